"""The register configuration of one Xylo LIF array: the contract shared by the converter, the numpy
model (:class:`spikegate.sim.xylo.XyloSim`) and the hardware description (``spikegate.hdl.xylo``).

Field names are rockpool's (``XyloSim.from_specification`` / ``config_from_specification``); the
arithmetic they drive is ``docs/xylo-core.md``. All weights are stored with an explicit
synapse axis of 2 (synapse 1, synapse 2); a 2-D matrix given to :meth:`XyloConfig.from_spec` drives
synapse 1 only.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import INT8, INT16, as_int_array, check_range, is_finite_number
from ..jsonconfig import JsonConfig
from .profiles import DEFAULT_PROFILE, XYLO_V1, XyloProfile, get_profile

#: Chip limits of the Xylo v1 (SYNS61300) and Xylo Audio 2 (SYNS61201) cores, the default profiles (the
#: other family members' limits are in :mod:`spikegate.sim.xylo.profiles`).
MAX_INPUTS = XYLO_V1.max_inputs
MAX_HIDDEN = XYLO_V1.max_hidden
MAX_OUTPUTS = XYLO_V1.max_outputs
MAX_FANOUT = XYLO_V1.max_fanout  #: recurrent (target, synapse) entries per hidden neuron
MAX_RECURRENT_SYNAPSES = XYLO_V1.max_recurrent_synapses  #: recurrent (target, synapse) entries in total
#: Register widths, the same on every family member.
MAX_DASH = 15  #: 4-bit decay shifts
MAX_WEIGHT_SHIFT = 7  #: 3-bit weight shifts
MAX_INPUT_COUNT = 15  #: input events per channel per step that the chip counts
MAX_RASTER_COUNT = 255  #: largest input count accepted per channel and step (above 15 acts as 15, spec §1)
MAX_SPIKES = 31  #: hidden spike counter width (5 bits)
VERSIONS = (1, 2)

_ARRAY_FIELDS = (
    "weights_in", "weights_rec", "weights_out",
    "dash_mem", "dash_syn", "dash_syn_2", "dash_mem_out", "dash_syn_out",
    "threshold", "threshold_out", "bias", "bias_out",
)
_SCALAR_FIELDS = ("weight_shift_in", "weight_shift_rec", "weight_shift_out")


@dataclass(frozen=True, eq=False)
class XyloConfig(JsonConfig):
    """Every register of a Xylo LIF array, validated against the chip's limits on construction.

    Sizes: ``Nin`` inputs (≤ 16), ``Nhid`` hidden neurons (≤ 1000), ``Nout`` readout neurons (≤ 8), or the
    limits of another member of the family (``profile``: Xylo IMU 496 hidden and 16 readout neurons, one
    synaptic state; Xylo Audio 3 992 and 32; see :mod:`spikegate.sim.xylo.profiles`).

    Attributes (numpy arrays are read-only copies):
        weights_in: (Nin, Nhid, 2) int8 input weights, ``[channel, neuron, synapse]``.
        weights_rec: (Nhid, Nhid, 2) int8 recurrent weights, ``[pre, post, synapse]``; at most
            :data:`MAX_FANOUT` non-zero (post, synapse) entries per pre neuron and
            :data:`MAX_RECURRENT_SYNAPSES` in total.
        weights_out: (Nhid, Nout) int8 readout weights.
        dash_mem, dash_syn, dash_syn_2: (Nhid,) 4-bit decay shifts (0..15) of Vmem, Isyn, Isyn2 (members with
            one synaptic state have no Isyn2 register: ``dash_syn_2`` is set to ``dash_syn``).
        dash_mem_out, dash_syn_out: (Nout,) 4-bit decay shifts of the readout neurons.
        threshold: (Nhid,) int16 spike thresholds; threshold_out: (Nout,) int16.
        weight_shift_in, weight_shift_rec, weight_shift_out: 3-bit left shifts (0..7) of the weights.
        aliases: Nhid tuples, each ``()`` or ``(target,)``: hidden neuron whose spike counter this
            neuron's spikes are added to (one target per neuron, not itself).
        bias, bias_out: (Nhid,), (Nout,) int16 membrane biases, version 2 arithmetic only.
        version: the arithmetic: 1 for Xylo v1 (SYNS61300), 2 for the Xylo Audio 2 core (SYNS61201) and the
            members built on it. Default: the profile's, or 1.
        dt: time step in seconds (not a register; kept for the converter and plots).
        profile: the family member whose limits apply (a :class:`XyloProfile` or its key or part number:
            ``"v1"``, ``"audio2"``, ``"imu"``, ``"audio3"``, ``"syns63300"``...). Default: Xylo v1 for
            version 1, Xylo Audio 2 for version 2. Read back as a :class:`XyloProfile`.
    """

    FORMAT = "spikegate.xylo.config"  #: the ``format`` tag of the JSON form

    weights_in: np.ndarray
    weights_rec: np.ndarray
    weights_out: np.ndarray
    dash_mem: np.ndarray
    dash_syn: np.ndarray
    dash_syn_2: np.ndarray
    dash_mem_out: np.ndarray
    dash_syn_out: np.ndarray
    threshold: np.ndarray
    threshold_out: np.ndarray
    weight_shift_in: int = 0
    weight_shift_rec: int = 0
    weight_shift_out: int = 0
    aliases: tuple[tuple[int, ...], ...] = ()
    bias: np.ndarray | None = None
    bias_out: np.ndarray | None = None
    version: int | None = None
    dt: float = 1e-3
    profile: XyloProfile | str | None = None

    # ------------------------------------------------------------------ sizes
    @property
    def n_inputs(self) -> int:
        return self.weights_in.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.weights_in.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.weights_out.shape[1]

    @property
    def has_bias(self) -> bool:
        """The v2 ``has_bias`` flag: set when any hidden or readout bias is non-zero."""
        return bool(np.any(self.bias != 0) or np.any(self.bias_out != 0))

    @property
    def uses_syn2(self) -> bool:
        return bool(np.any(self.weights_in[:, :, 1]) or np.any(self.weights_rec[:, :, 1]))

    @property
    def alias_target(self) -> np.ndarray:
        """(Nhid,) int: each neuron's alias target, or -1 for none."""
        return np.array([a[0] if a else -1 for a in self.aliases], dtype=np.int64)

    def fanout(self) -> list[np.ndarray]:
        """Per pre neuron, its recurrent fan-out list as an (n, 3) array of (target, synapse, weight),
        in ascending (target, synapse) order: the layout of the chip's recurrent RAMs."""
        lists = []
        for pre in range(self.n_hidden):
            post, syn = np.nonzero(self.weights_rec[pre])
            lists.append(np.stack([post, syn, self.weights_rec[pre, post, syn]], axis=1).astype(np.int64))
        return lists

    # ------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        self._normalise()
        self._validate()

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _normalise(self) -> None:
        """Turn every field into its canonical type: read-only int16 arrays, ints and tuples."""
        weights_in = as_int_array("weights_in", self.weights_in)
        if weights_in.ndim == 2:
            weights_in = np.stack([weights_in, np.zeros_like(weights_in)], axis=-1)
        if weights_in.ndim != 3 or weights_in.shape[2] != 2:
            raise ValueError(f"weights_in: expected shape (Nin, Nhid) or (Nin, Nhid, 2), got {weights_in.shape}")
        n_in, n_hid, _ = weights_in.shape
        weights_out = as_int_array("weights_out", self.weights_out)
        if weights_out.ndim != 2 or weights_out.shape[0] != n_hid:
            raise ValueError(f"weights_out: expected shape (Nhid={n_hid}, Nout), got {weights_out.shape}")
        n_out = weights_out.shape[1]
        weights_rec = np.zeros((n_hid, n_hid, 2), np.int64) if self.weights_rec is None else as_int_array(
            "weights_rec", self.weights_rec)
        if weights_rec.shape not in ((n_hid, n_hid), (n_hid, n_hid, 2)):
            raise ValueError(
                f"weights_rec: expected shape (Nhid, Nhid) or (Nhid, Nhid, 2) with Nhid={n_hid}, got {weights_rec.shape}")
        if weights_rec.ndim == 2:
            weights_rec = np.stack([weights_rec, np.zeros_like(weights_rec)], axis=-1)
        arrays = {"weights_in": weights_in, "weights_rec": weights_rec, "weights_out": weights_out}
        for name, size in (("dash_mem", n_hid), ("dash_syn", n_hid), ("dash_syn_2", n_hid), ("threshold", n_hid),
                           ("bias", n_hid), ("dash_mem_out", n_out), ("dash_syn_out", n_out),
                           ("threshold_out", n_out), ("bias_out", n_out)):
            value = getattr(self, name)
            if value is None:
                value = np.zeros(size, np.int64)
            value = as_int_array(name, value)
            if value.ndim == 0:
                value = np.full(size, int(value))
            if value.shape != (size,):
                raise ValueError(f"{name}: expected shape ({size},), got {value.shape}")
            arrays[name] = value
        for name, value in arrays.items():
            check_range(name, value, *(INT8 if name.startswith("weights") else INT16), "int8" if name.startswith(
                "weights") else "int16")
            value = value.astype(np.int16)
            value.flags.writeable = False
            self._set(name, value)
        for name in _SCALAR_FIELDS:
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name}: expected an integer, got {value!r}")
            self._set(name, int(value))
        self._set("aliases", self._normalise_aliases(self.aliases, n_hid))
        self._normalise_profile()
        if not is_finite_number(self.dt) or self.dt <= 0:
            raise ValueError(f"dt: value {self.dt!r} is not a positive, finite time step in seconds")
        self._set("dt", float(self.dt))

    def _normalise_profile(self) -> None:
        """Settle ``profile`` and ``version``: either gives the other; given both, they must agree."""
        version = self.version
        if version is not None and (isinstance(version, (bool, np.bool_)) or version not in VERSIONS):
            raise ValueError(f"version: value {version!r} is not one of {VERSIONS} (1 = Xylo v1, 2 = Xylo Audio 2)")
        if self.profile is None:
            profile = DEFAULT_PROFILE[1 if version is None else int(version)]
        else:
            profile = get_profile(self.profile)
            if version is not None and version != profile.version:
                raise ValueError(f"version: value {version!r} does not match profile {profile.key!r} "
                                 f"({profile.label} has version {profile.version} arithmetic); leave version out")
        self._set("profile", profile)
        self._set("version", profile.version)
        if profile.synapses == 1:  # no synapse-2 register: its decay shift is that of synapse 1 (it decays nothing)
            self._set("dash_syn_2", self.dash_syn)

    @staticmethod
    def _normalise_aliases(aliases, n_hid: int) -> tuple[tuple[int, ...], ...]:
        if aliases is not None and (isinstance(aliases, (str, bytes, dict)) or not hasattr(aliases, "__len__")):
            raise TypeError(f"aliases: expected one list per hidden neuron ({n_hid}), got {aliases!r}")
        if aliases is None or len(aliases) == 0:
            return tuple(() for _ in range(n_hid))
        if len(aliases) != n_hid:
            raise ValueError(f"aliases: expected one list per hidden neuron ({n_hid}), got {len(aliases)}")
        result = []
        for source, targets in enumerate(aliases):
            targets = () if targets is None else targets
            if isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__"):
                raise TypeError(f"aliases[{source}]: expected a list of at most one target neuron, got {targets!r}")
            for target in targets:
                if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
                    raise TypeError(f"aliases[{source}]: expected integer targets, got {target!r}")
            result.append(tuple(int(t) for t in targets))
        return tuple(result)

    def _validate(self) -> None:
        p = self.profile
        n_in, n_hid, n_out = self.n_inputs, self.n_hidden, self.n_outputs
        for name, value, limit in (("Nin", n_in, p.max_inputs), ("Nhid", n_hid, p.max_hidden),
                                   ("Nout", n_out, p.max_outputs)):
            if not 1 <= value <= limit:
                raise ValueError(f"{name}: {value} is outside the chip's range 1..{limit} ({p.label})")
        for name in ("dash_mem", "dash_syn", "dash_syn_2", "dash_mem_out", "dash_syn_out"):
            check_range(name, getattr(self, name), 0, MAX_DASH, "4-bit")
        for name in _SCALAR_FIELDS:
            check_range(name, np.asarray(getattr(self, name)), 0, MAX_WEIGHT_SHIFT, "3-bit")
        fanout = np.count_nonzero(self.weights_rec, axis=(1, 2))
        if np.any(fanout > p.max_fanout):
            pre = int(np.argmax(fanout > p.max_fanout))
            raise ValueError(
                f"weights_rec: neuron {pre} has {int(fanout[pre])} recurrent targets (post, synapse), "
                f"over the fan-out limit of {p.max_fanout} ({p.label})")
        if fanout.sum() > p.max_recurrent_synapses:
            raise ValueError(f"weights_rec: {int(fanout.sum())} recurrent synapses in total, over the limit of "
                             f"{p.max_recurrent_synapses} ({p.label})")
        self._validate_projections()
        for source, targets in enumerate(self.aliases):
            if len(targets) > 1:
                raise ValueError(f"aliases[{source}]: {list(targets)} has {len(targets)} targets; the limit is 1")
            for target in targets:
                if not 0 <= target < n_hid:
                    raise ValueError(f"aliases[{source}]: target {target} is outside the hidden neurons 0..{n_hid - 1}")
                if target == source:
                    raise ValueError(f"aliases[{source}]: a neuron cannot alias itself")
        if self.version == 1 and (np.any(self.bias != 0) or np.any(self.bias_out != 0)):
            name = "bias" if np.any(self.bias != 0) else "bias_out"
            index = int(np.argmax(getattr(self, name) != 0))
            raise ValueError(
                f"{name}: value {int(getattr(self, name)[index])} at index {index} is non-zero, but Xylo v1 has no "
                f"bias (use version=2)")

    def _validate_projections(self) -> None:
        """The profile's synaptic states and the hidden neurons its input and readout weights may reach."""
        p = self.profile
        for name in ("weights_in", "weights_rec"):
            if p.synapses == 1 and np.any(getattr(self, name)[..., 1]):
                index = tuple(int(i) for i in np.argwhere(getattr(self, name)[..., 1])[0]) + (1,)
                raise ValueError(f"{name}: synapse-2 weight at index {index} is non-zero, but {p.label} has one "
                                 f"synaptic state per neuron")
        if np.any(self.weights_in[:, p.input_neurons:]):
            channel, neuron, _ = (int(i) for i in np.argwhere(self.weights_in[:, p.input_neurons:])[0])
            raise ValueError(f"weights_in: channel {channel} reaches hidden neuron {neuron + p.input_neurons}, but "
                             f"{p.label} projects its inputs to the first {p.input_neurons} hidden neurons only")
        first = self.n_hidden - p.readout_neurons
        if first > 0 and np.any(self.weights_out[:first]):
            neuron, readout = (int(i) for i in np.argwhere(self.weights_out[:first])[0])
            raise ValueError(f"weights_out: hidden neuron {neuron} drives readout neuron {readout}, but {p.label} "
                             f"reads out from the last {p.readout_neurons} hidden neurons only "
                             f"({first}..{self.n_hidden - 1})")

    # --------------------------------------------------------------- spec dicts
    @classmethod
    def from_spec(cls, *, weights_in, weights_out, weights_rec=None, dash_mem=1, dash_mem_out=1, dash_syn=1,
                  dash_syn_2=None, dash_syn_out=1, threshold=None, threshold_out=None, weight_shift_in=0,
                  weight_shift_rec=0, weight_shift_out=0, aliases=None, bias=None, bias_out=None, version=None,
                  dt=1e-3, profile=None, **unknown) -> "XyloConfig":
        """Build a config from a rockpool specification dict (``XyloConfig.from_spec(**spec)``).

        Scalars broadcast over their population. ``dash_syn_2`` defaults to ``dash_syn``. ``profile`` picks
        the family member (default: by ``version``, Xylo v1 or Xylo Audio 2).
        ``threshold`` and ``threshold_out`` are required (a threshold of 0 fires 31 times per step).
        ``output_mode`` and ``name`` from rockpool specs are accepted and ignored.
        """
        unknown.pop("output_mode", None)
        unknown.pop("name", None)
        if unknown:
            raise TypeError(f"unknown Xylo specification fields: {sorted(unknown)}")
        missing = [name for name, value in (("threshold", threshold), ("threshold_out", threshold_out)) if value is None]
        if missing:
            raise ValueError(f"threshold and threshold_out are required (missing: {', '.join(missing)})")
        return cls(weights_in=weights_in, weights_rec=weights_rec, weights_out=weights_out, dash_mem=dash_mem,
                   dash_syn=dash_syn, dash_syn_2=dash_syn if dash_syn_2 is None else dash_syn_2,
                   dash_mem_out=dash_mem_out, dash_syn_out=dash_syn_out, threshold=threshold,
                   threshold_out=threshold_out, weight_shift_in=weight_shift_in, weight_shift_rec=weight_shift_rec,
                   weight_shift_out=weight_shift_out, aliases=aliases, bias=bias, bias_out=bias_out,
                   version=version, dt=dt, profile=profile)

    def to_spec(self) -> dict[str, Any]:
        """The rockpool specification dict of this config (arrays as int numpy arrays), with ``profile`` (its
        key) unless it is the default of its version."""
        spec: dict[str, Any] = {name: np.array(getattr(self, name)) for name in _ARRAY_FIELDS}
        spec.update({name: getattr(self, name) for name in _SCALAR_FIELDS})
        spec["aliases"] = [list(a) for a in self.aliases]
        spec["version"] = self.version
        spec["dt"] = self.dt
        if self.profile != DEFAULT_PROFILE[self.version]:
            spec["profile"] = self.profile.key
        if self.version == 1:
            del spec["bias"], spec["bias_out"]
        return spec

    def replace(self, **changes) -> "XyloConfig":
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    # --------------------------------------------------------------------- JSON
    def to_json(self) -> str:
        doc = {"format": self.FORMAT, "format_version": 1}
        for name, value in self.to_spec().items():
            doc[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return json.dumps(doc)

    @classmethod
    def from_json(cls, text: str) -> "XyloConfig":
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError(f"not a spikegate Xylo config: expected a JSON object, got a JSON {type(doc).__name__}")
        found = doc.pop("format", None)
        if found != cls.FORMAT:
            raise ValueError(f"not a spikegate Xylo config: the 'format' field is missing or different "
                             f"(value {found!r}, expected {cls.FORMAT!r})")
        version = doc.pop("format_version", 1)
        if version != 1 or isinstance(version, bool):
            raise ValueError(f"format_version: value {version!r} is not the supported version 1")
        missing = [name for name in ("weights_in", "weights_out") if name not in doc]
        if missing:
            raise ValueError(f"missing field(s) {missing}: a Xylo config needs weights_in and weights_out")
        return cls.from_spec(**doc)

    def __repr__(self) -> str:
        profile = "" if self.profile == DEFAULT_PROFILE[self.version] else f", profile={self.profile.key!r}"
        return (f"XyloConfig(Nin={self.n_inputs}, Nhid={self.n_hidden}, Nout={self.n_outputs}, "
                f"version={self.version}{profile}, synapses={int(np.count_nonzero(self.weights_rec))} recurrent)")
