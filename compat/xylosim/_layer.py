"""What ``xylosim.v1`` and ``xylosim.v2`` share: synapses, neurons and the layer, on spikegate's XyloSim.

A :class:`Layer` turns xylosim's constructor arguments (per-source synapse lists, per-neuron parameter
lists) into one validated :class:`~spikegate.sim.xylo.XyloConfig`, runs :class:`~spikegate.sim.xylo.XyloSim`
on ``evolve`` and exposes the records as xylosim does: plain lists of ints, hidden and readout membranes
and currents as (N, T), spike records as (T, N), for the last ``evolve`` call only.

Where xylosim accepts what the chip cannot hold (decay shifts above 15, weight shifts above 7, several
alias targets, more neurons than the chip has), spikegate refuses it with the message of its own
validation; a synapse to a neuron that does not exist, which crashes xylosim, is refused too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spikegate.sim.xylo import XyloConfig, XyloSim
from spikegate.sim.xylo.config import MAX_RASTER_COUNT

#: The record attributes, each with the name of the XyloSim record it holds (None: always empty).
HIDDEN_RECORDS = {"rec_i_syn": "Isyn", "rec_i_syn2": "Isyn2", "rec_v_mem": "Vmem"}
READOUT_RECORDS = {"rec_i_syn_out": "Isyn_out", "rec_v_mem_out": "Vmem_out", "rec_i_syn2_out": None}


def integer(owner: str, value: Any, lo: int, hi: int, what: str) -> int:
    """``value`` as an int in ``lo..hi``; anything else is a TypeError, as xylosim's typed arguments are."""
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: expected an integer, got {value!r}")
    if not lo <= value <= hi:
        raise TypeError(f"{owner}: {int(value)} is outside the {what} range {lo}..{hi}")
    return int(value)


def integers(owner: str, values: Any, lo: int, hi: int, what: str) -> list[int]:
    """A sequence of :func:`integer` values."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{owner}: expected a list of integers, got {values!r}")
    return [integer(f"{owner}[{i}]", v, lo, hi, what) for i, v in enumerate(values)]


class Synapse:
    """``XyloSynapse(target_neuron_id, target_synapse_id, weight)``: one connection of a source (an input
    channel, a hidden neuron or, for ``synapses_out``, a hidden neuron onto a readout neuron).

    Attributes (read/write, checked as xylosim checks them):
        target_neuron_id: index of the target neuron (≥ 0).
        target_synapse_id: 0 for synapse 1, 1 for synapse 2 (readout neurons have synapse 0 only).
        weight: int8 weight, -128..127.
    """

    def __init__(self, target_neuron_id, target_synapse_id, weight):
        self.target_neuron_id = target_neuron_id
        self.target_synapse_id = target_synapse_id
        self.weight = weight

    def __setattr__(self, name: str, value: Any) -> None:
        limits = {"target_neuron_id": (0, 2 ** 32 - 1, "index"), "target_synapse_id": (0, 2 ** 32 - 1, "index"),
                  "weight": (-128, 127, "int8")}
        if name not in limits:
            raise AttributeError(f"XyloSynapse has no attribute {name!r}")
        object.__setattr__(self, name, integer(f"XyloSynapse.{name}", value, *limits[name]))

    def triple(self) -> tuple[int, int, int]:
        return self.target_neuron_id, self.target_synapse_id, self.weight

    def __repr__(self) -> str:
        return f"XyloSynapse({self.target_neuron_id}, {self.target_synapse_id}, {self.weight})"


class Neuron:
    """``XyloIAFNeuron``: one neuron's parameters as xylosim's layer reports them in ``iaf_neurons``.

    Attributes: ``dash_mem`` (decay shift of Vmem), ``dash_syns`` (list: decay shifts of the synapses),
    ``v_th`` (int16 threshold); xylosim.v2 adds ``has_bias`` and ``bias`` (int16).
    """

    def __init__(self, dash_mem, dash_syns, v_th):
        self.dash_mem = integer("XyloIAFNeuron.dash_mem", dash_mem, 0, 255, "uint8")
        self.dash_syns = integers("XyloIAFNeuron.dash_syns", dash_syns, 0, 255, "uint8")
        self.v_th = integer("XyloIAFNeuron.v_th", v_th, -32768, 32767, "int16")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"XyloIAFNeuron({fields})"


def _weights(name: str, lists, synapse_class: type, n_targets: int, n_synapses: int, kind: str) -> np.ndarray:
    """(sources, targets, synapses) int weights from per-source lists of synapses."""
    if isinstance(lists, (str, bytes)) or not isinstance(lists, Sequence):
        raise TypeError(f"{name}: expected one list of XyloSynapse per source, got {lists!r}")
    weights = np.zeros((len(lists), n_targets, n_synapses), np.int64)
    seen = np.zeros(weights.shape, bool)
    for source, synapses in enumerate(lists):
        for k, synapse in enumerate(synapses):
            where = f"{name}[{source}][{k}]"
            if not isinstance(synapse, synapse_class):
                raise TypeError(f"{where}: expected a {synapse_class.__module__}.XyloSynapse, got {synapse!r}")
            target, syn, weight = synapse.triple()
            if target >= n_targets:
                raise ValueError(f"{where}: target neuron {target} is outside the {kind} neurons 0..{n_targets - 1}")
            if syn >= n_synapses:
                raise ValueError(f"{where}: target synapse {syn} is outside 0..{n_synapses - 1} ({kind} neurons have "
                                 f"{n_synapses} synapse{'s' if n_synapses > 1 else ''})")
            if seen[source, target, syn]:
                raise ValueError(f"{where}: a second synapse from source {source} to neuron {target}, synapse {syn}; "
                                 f"spikegate holds one weight per (source, target, synapse)")
            seen[source, target, syn] = True
            weights[source, target, syn] = weight
    return weights


def _dashes(name: str, dash_syns, count: int, per_neuron: int) -> np.ndarray:
    """(N, per_neuron) decay shifts from xylosim's ``dash_syns`` / ``dash_syns_out`` lists."""
    rows = []
    for n, entry in enumerate(dash_syns):
        row = integers(f"{name}[{n}]", entry, 0, 255, "uint8")
        if len(row) != per_neuron:
            plural = "s" if per_neuron > 1 else ""
            raise ValueError(f"{name}[{n}]: expected {per_neuron} decay shift{plural}, got {row}")
        rows.append(row)
    _length(name, rows, count)
    return np.array(rows, np.int64).reshape(count, per_neuron)


def _length(name: str, values, count: int) -> None:
    if len(values) != count:
        raise ValueError(f"{name}: expected {count} entries (one per neuron), got {len(values)}")


class Layer:
    """The state and records of one xylosim ``XyloLayer``; ``xylosim.v1`` and ``.v2`` subclass it with
    their constructor signatures. Configuration attributes are read-only (build a new layer to change
    one); the ``rec_*`` attributes, ``name`` (and v2's ``in_hibernation_mode``) are plain attributes."""

    VERSION = 1
    SYNAPSE: type = Synapse
    NEURON: type = Neuron
    #: Profiles tried in order: the first whose limits the network meets simulates it.
    PROFILES: tuple[str, ...] = ("v1",)

    def _build(self, synapses_in, synapses_rec, synapses_out, aliases, threshold, threshold_out, weight_shift_inp,
               weight_shift_rec, weight_shift_out, dash_mem, dash_mem_out, dash_syns, dash_syns_out, name,
               bias=None, bias_out=None) -> None:
        n_hid, n_out = len(threshold), len(threshold_out)
        for field, values, count in (("synapses_rec", synapses_rec, n_hid), ("synapses_out", synapses_out, n_hid),
                                     ("aliases", aliases, n_hid), ("dash_mem", dash_mem, n_hid),
                                     ("dash_mem_out", dash_mem_out, n_out)):
            _length(field, values, count)
        w_in = _weights("synapses_in", synapses_in, self.SYNAPSE, n_hid, 2, "hidden")
        w_rec = _weights("synapses_rec", synapses_rec, self.SYNAPSE, n_hid, 2, "hidden")
        w_out = _weights("synapses_out", synapses_out, self.SYNAPSE, n_out, 1, "readout")[:, :, 0]
        hidden_dashes = _dashes("dash_syns", dash_syns, n_hid, 2)
        readout_dashes = _dashes("dash_syns_out", dash_syns_out, n_out, 1)
        fields = dict(
            weights_in=w_in, weights_rec=w_rec, weights_out=w_out,
            dash_mem=integers("dash_mem", dash_mem, 0, 255, "uint8"),
            dash_syn=hidden_dashes[:, 0], dash_syn_2=hidden_dashes[:, 1],
            dash_mem_out=integers("dash_mem_out", dash_mem_out, 0, 255, "uint8"), dash_syn_out=readout_dashes[:, 0],
            threshold=integers("threshold", threshold, -32768, 32767, "int16"),
            threshold_out=integers("threshold_out", threshold_out, -32768, 32767, "int16"),
            weight_shift_in=integer("weight_shift_inp", weight_shift_inp, 0, 255, "uint8"),
            weight_shift_rec=integer("weight_shift_rec", weight_shift_rec, 0, 255, "uint8"),
            weight_shift_out=integer("weight_shift_out", weight_shift_out, 0, 255, "uint8"),
            aliases=[integers(f"aliases[{n}]", a, 0, 2 ** 32 - 1, "index") for n, a in enumerate(aliases)],
            bias=bias, bias_out=bias_out, version=self.VERSION)
        object.__setattr__(self, "_config", _fitting_config(fields, self.PROFILES))
        object.__setattr__(self, "_synapses", tuple([[s.triple() for s in lst] for lst in lists]
                                                    for lists in (synapses_in, synapses_rec, synapses_out)))
        object.__setattr__(self, "_dashes", ([list(r) for r in hidden_dashes], [list(r) for r in readout_dashes]))
        object.__setattr__(self, "_sim", XyloSim(self._config))
        self.name = str(name)
        self._clear_records()

    # ----------------------------------------------------------------- records
    def _clear_records(self) -> None:
        n_hid, n_out = self._config.n_hidden, self._config.n_outputs
        for attribute in HIDDEN_RECORDS:
            setattr(self, attribute, [[] for _ in range(n_hid)])
        for attribute in READOUT_RECORDS:
            setattr(self, attribute, [[] for _ in range(n_out)])
        self.rec_recurrent_spikes = []
        self.rec_out_spikes = []

    def _store_records(self, out: np.ndarray, rec: dict[str, np.ndarray]) -> None:
        for attribute, record in HIDDEN_RECORDS.items():
            setattr(self, attribute, rec[record].T.astype(np.int64).tolist())
        for attribute, record in READOUT_RECORDS.items():
            value = rec[record].T.astype(np.int64).tolist() if record else [[] for _ in range(self._config.n_outputs)]
            setattr(self, attribute, value)
        self.rec_recurrent_spikes = rec["Spikes"].astype(np.int64).tolist()
        self.rec_out_spikes = out.astype(np.int64).tolist()

    # ------------------------------------------------------------------- evolve
    def evolve(self, input_raster) -> list[list[int]]:
        """Run the layer over ``input_raster``: T rows of input event counts, one per input channel (a
        shorter row leaves the missing channels at 0; counts above 15 act as 15). Returns the T rows of
        readout spikes (0/1 per readout neuron) and sets every ``rec_*`` attribute for these T steps. The
        state carries on from the previous call until :meth:`reset_all`."""
        counts = _counts(input_raster, self._config.n_inputs)
        if counts.shape[0] == 0:
            self._clear_records()
            return []
        before = self._sim.state()
        out, _, rec = self._sim.evolve(counts, record=True)
        self._store_records(out, rec)
        self._after_evolve(counts, before, out, rec)
        return out.astype(np.int64).tolist()

    def _after_evolve(self, counts, before, out, rec) -> None:
        """Hook for the v2 hibernation flag."""

    def reset_all(self) -> None:
        """Zero every state register and clear the records."""
        self._sim.reset_state()
        self._clear_records()

    # ------------------------------------------------------ configuration views
    @property
    def config(self) -> XyloConfig:
        """spikegate's :class:`XyloConfig` of this layer (a spikegate addition to xylosim's API)."""
        return self._config

    @property
    def synapses_in(self) -> list[list[Synapse]]:
        return self._synapse_lists(0)

    @property
    def synapses_rec(self) -> list[list[Synapse]]:
        return self._synapse_lists(1)

    @property
    def synapses_out(self) -> list[list[Synapse]]:
        return self._synapse_lists(2)

    def _synapse_lists(self, which: int) -> list[list[Synapse]]:
        return [[self.SYNAPSE(*triple) for triple in lst] for lst in self._synapses[which]]

    @property
    def aliases(self) -> list[list[int]]:
        return [list(a) for a in self._config.aliases]

    @property
    def weight_shift_inp(self) -> int:
        return self._config.weight_shift_in

    @property
    def weight_shift_rec(self) -> int:
        return self._config.weight_shift_rec

    @property
    def weight_shift_out(self) -> int:
        return self._config.weight_shift_out

    @property
    def iaf_neurons(self) -> list[Neuron]:
        c = self._config
        return [self._neuron(c.dash_mem[n], self._dashes[0][n], c.threshold[n], c.bias[n]) for n in range(c.n_hidden)]

    @property
    def iaf_neurons_out(self) -> list[Neuron]:
        c = self._config
        return [self._neuron(c.dash_mem_out[o], self._dashes[1][o], c.threshold_out[o], c.bias_out[o])
                for o in range(c.n_outputs)]

    def _neuron(self, dash_mem, dash_syns, v_th, bias) -> Neuron:
        return self.NEURON(int(dash_mem), dash_syns, int(v_th))

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"XyloLayer.{name} is read-only in spikegate.compat.xylosim: build a new XyloLayer "
                                 f"to change the network")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"XyloLayer(name={self.name!r}, {self._config!r})"


def _fitting_config(fields: dict, profiles: Sequence[str]) -> XyloConfig:
    """The config on the first profile whose limits it meets; all refusals in one message otherwise."""
    errors = []
    for profile in profiles:
        try:
            return XyloConfig(**fields, profile=profile)
        except ValueError as error:
            errors.append((profile, str(error)))
    if len(errors) == 1 or len({message.rsplit(" (", 1)[0] for _, message in errors}) == 1:
        raise ValueError(errors[0][1])
    raise ValueError("XyloLayer: the network fits no Xylo chip with this arithmetic: "
                     + "; ".join(f"{profile}: {message}" for profile, message in errors))


def _counts(input_raster, n_inputs: int) -> np.ndarray:
    """xylosim's input rows as a (T, Nin) int array: short rows padded with 0, long rows an IndexError,
    non-integers and counts outside 0..255 a TypeError (as xylosim's typed argument)."""
    if isinstance(input_raster, (str, bytes)) or not isinstance(input_raster, (Sequence, np.ndarray)):
        raise TypeError(f"evolve: expected T rows of input event counts, got {input_raster!r}")
    if isinstance(input_raster, np.ndarray) and input_raster.ndim == 2:
        rows = [input_raster]  # one block, checked at once
    else:
        rows = [np.asarray(row)[None] for row in input_raster]
    counts = np.zeros((len(input_raster), n_inputs), np.int64)
    start = 0
    for block in rows:
        if block.ndim != 2 or (block.size and block.dtype.kind not in "biu"):
            raise TypeError(f"evolve: row {start} is not a list of integer event counts: {block.tolist()!r}")
        if block.shape[1] > n_inputs:
            raise IndexError(f"evolve: row {start} has {block.shape[1]} channels, the layer has {n_inputs} inputs")
        bad = (block < 0) | (block > MAX_RASTER_COUNT)
        if np.any(bad):
            t, channel = (int(i) for i in np.argwhere(bad)[0])
            raise TypeError(f"evolve: count {int(block[t, channel])} at step {start + t}, channel {channel} is "
                            f"outside the input count range 0..{MAX_RASTER_COUNT}")
        counts[start:start + block.shape[0], :block.shape[1]] = block
        start += block.shape[0]
    return counts
