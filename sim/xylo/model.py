"""``XyloSim``: the bit-exact behavioural model of one Xylo LIF array, with rockpool's API.

    from spikegate.sim.xylo import XyloSim
    sim = XyloSim.from_specification(**spec)          # or XyloSim(config)
    out, state, rec = sim.evolve(raster, record=True)  # raster (T, Nin) or (B, T, Nin) ints

The arithmetic is ``docs/xylo-core.md`` (Xylo v1 rules, or the Xylo Audio 2 membrane rule
and biases when ``config.version == 2``); the step loop is compiled by numba
(:mod:`spikegate.sim.xylo.kernels`) and its machine code cached on disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import as_array, check_range
from . import kernels
from .config import MAX_INPUT_COUNT, MAX_RASTER_COUNT, XyloConfig

#: Names of the recorded arrays: hidden (T, Nhid), then readout (T, Nout).
HIDDEN_RECORDS = ("Isyn", "Isyn2", "Vmem", "Spikes")
READOUT_RECORDS = ("Isyn_out", "Vmem_out")
RECORDS = HIDDEN_RECORDS + READOUT_RECORDS



def check_raster(raster, n_inputs: int, batched: bool = True) -> np.ndarray:
    """Validate a raster of input counts (0..255 per channel and step) as ``XyloSim.evolve`` does.

    ``raster``: integers, shape (T, Nin) or, when ``batched``, (B, T, Nin). Returns it as an array."""
    raster = as_array("raster", raster)
    if raster.dtype == bool or raster.dtype.kind not in "iu":
        raise TypeError(f"raster: expected an integer array of event counts, got dtype {raster.dtype}")
    if not batched and (raster.ndim != 2 or raster.shape[1] != n_inputs):
        raise ValueError(f"raster: expected shape (T, Nin={n_inputs}), got {raster.shape}")
    if raster.ndim not in (2, 3):
        raise ValueError(f"raster: expected shape (T, Nin) or (B, T, Nin), got {raster.ndim} axes {raster.shape}")
    if raster.shape[-1] != n_inputs:
        raise ValueError(f"raster: expected Nin={n_inputs} channels in the last axis, got shape {raster.shape}")
    check_range("raster", raster, 0, MAX_RASTER_COUNT, "input count")
    return raster

class XyloSim:
    """Bit-exact model of a Xylo LIF array configured by a :class:`XyloConfig`.

    The carried state (all 16-bit registers, held as int32): ``Isyn``, ``Isyn2``, ``Vmem`` per hidden
    neuron, ``Isyn_out``, ``Vmem_out`` per readout neuron, and ``Spikes``, the hidden spike counts
    (0..31) of the previous step. It starts at zero and persists across :meth:`evolve` calls until
    :meth:`reset_state`. A batched call (B samples) carries B states; the next call must then
    have the same batch size (or reset the state first).
    """

    def __init__(self, config: XyloConfig):
        if not isinstance(config, XyloConfig):
            raise TypeError(f"config: expected a XyloConfig, got {type(config).__name__}")
        self.config = config
        self._params = _kernel_params(config)
        self._fanout_in = np.count_nonzero(config.weights_in, axis=(1, 2))
        self._fanout_rec = np.count_nonzero(config.weights_rec, axis=(1, 2))
        self._fanout_out = np.count_nonzero(config.weights_out, axis=1)
        self.reset_state()

    @classmethod
    def from_specification(cls, **spec: Any) -> "XyloSim":
        """Build from a rockpool specification dict (see :meth:`XyloConfig.from_spec`)."""
        return cls(XyloConfig.from_spec(**spec))

    # ------------------------------------------------------------------ state
    def reset_state(self) -> None:
        """Zero every state register (``reset_all`` in xylosim)."""
        self._state: dict[str, np.ndarray] | None = None
        self._batched = False

    reset_all = reset_state  # xylosim's name

    def _zero_state(self, batch: int) -> dict[str, np.ndarray]:
        n_hid, n_out = padded_size(self.config.n_hidden), self.config.n_outputs
        return {"isyn": np.zeros((batch, 2, n_hid), np.int32), "vmem": np.zeros((batch, n_hid), np.int32),
                "isyn_out": np.zeros((batch, n_out), np.int32), "vmem_out": np.zeros((batch, n_out), np.int32),
                "spikes": np.zeros((batch, n_hid), np.int32)}

    def state(self) -> dict[str, np.ndarray]:
        """The carried state as int16 copies: (Nhid,) / (Nout,) arrays, or (B, N) after a batched call."""
        internal = self._state or self._zero_state(1)
        state = {"Isyn": internal["isyn"][:, 0], "Isyn2": internal["isyn"][:, 1], "Vmem": internal["vmem"],
                 "Isyn_out": internal["isyn_out"], "Vmem_out": internal["vmem_out"], "Spikes": internal["spikes"]}
        unbatched = self._state is None or not self._batched
        n = {name: self.config.n_outputs if name.endswith("_out") else self.config.n_hidden for name in state}
        return {name: (v[0] if unbatched else v)[..., :n[name]].astype(np.int16) for name, v in state.items()}

    # ----------------------------------------------------------------- evolve
    def evolve(self, raster, record: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Run the network over a raster of input event counts.

        Args:
            raster: integer array (T, Nin) or (B, T, Nin) of events per channel and step, 0..255;
                counts above 15 act as 15 (the chip counts at most 15 events per channel and step).
            record: also return every state register at every step.

        Returns:
            ``(out, state, rec)``: ``out`` the readout spikes (T, Nout) int16 (0/1), ``state`` as
            :meth:`state`, ``rec`` (empty unless ``record``) with ``Isyn, Isyn2, Vmem, Spikes``
            (T, Nhid) and ``Isyn_out, Vmem_out`` (T, Nout), int16, sampled at the end of each step
            (currents after decay, membranes after the threshold subtraction, spike counts after
            aliasing). Batched input gives a leading batch axis on ``out`` and every record.
        """
        counts, batched = self._counts(raster)
        batch, n_steps, _ = counts.shape
        if self._state is not None and self._state["vmem"].shape[0] != batch:
            raise ValueError(f"raster: batch of {batch} samples, but the carried state holds "
                             f"{self._state['vmem'].shape[0]}; call reset_state() first")
        if self._state is None:
            self._state = self._zero_state(batch)
        self._batched = batched
        n_hid, n_out = self.config.n_hidden, self.config.n_outputs
        rows = n_steps if record else 1
        rec = tuple(np.zeros((batch, rows, n), np.int16) for n in (n_hid,) * 4 + (n_out,) * 2)
        out = np.zeros((batch, n_steps, n_out), np.int16)
        arrays = (counts, *(self._state[k] for k in ("isyn", "vmem", "isyn_out", "vmem_out", "spikes")), out)
        if batch == 1:  # no thread start-up for a single sample
            kernels.run_sample(*(a[0] for a in arrays), tuple(r[0] for r in rec), record, *self._params)
        else:
            kernels.run_batch(*arrays, rec, record, *self._params)
        recorded = dict(zip(RECORDS, rec)) if record else {}
        if not batched:
            out = out[0]
            recorded = {name: value[0] for name, value in recorded.items()}
        return out, self.state(), recorded

    def _counts(self, raster) -> tuple[np.ndarray, bool]:
        """Validate a raster and return it as (B, T, Nin) uint8 counts clipped to 15, and whether it was batched."""
        raster = check_raster(raster, self.config.n_inputs)
        counts = np.minimum(raster, MAX_INPUT_COUNT).astype(np.uint8)
        return (counts, True) if raster.ndim == 3 else (counts[None], False)

    # -------------------------------------------------------------- work done
    def synaptic_events(self, raster, spikes, initial_spikes=None) -> dict[str, np.ndarray]:
        """Synaptic additions per step, the work a core does: one per (target, synapse) entry of
        each active source (a source adds count × weight in one addition, spec §3).

        Args:
            raster: the input counts given to :meth:`evolve`, (T, Nin) or (B, T, Nin).
            spikes: ``rec["Spikes"]`` of that call, (T, Nhid) or (B, T, Nhid).
            initial_spikes: the hidden counts carried into the call (``state["Spikes"]`` before it),
                default none: the hidden spikes of step t reach their targets at step t + 1.

        Returns:
            ``{"input", "recurrent", "readout"}`` int64 arrays (T,) (or (B, T)): additions into
            hidden synapses from input channels with a count > 0, into hidden synapses from hidden
            neurons that spiked the step before, and into readout synapses from those neurons.
        """
        raster, spikes = np.asarray(raster), np.asarray(spikes)
        if initial_spikes is None:
            initial_spikes = np.zeros(spikes.shape[:-2] + spikes.shape[-1:], spikes.dtype)
        previous = np.concatenate([np.asarray(initial_spikes)[..., None, :], spikes[..., :-1, :]], axis=-2) > 0
        return {"input": (raster > 0) @ self._fanout_in, "recurrent": previous @ self._fanout_rec,
                "readout": previous @ self._fanout_out}

    def __repr__(self) -> str:
        return f"XyloSim({self.config!r})"


def _padded(value: np.ndarray, size: int, fill: int) -> np.ndarray:
    """``value`` (..., N) as contiguous int32, extended along its last axis to ``size`` with ``fill``."""
    pad = [(0, 0)] * (value.ndim - 1) + [(0, size - value.shape[-1])]
    return np.ascontiguousarray(np.pad(value.astype(np.int32), pad, constant_values=fill))


def _kernel_params(config: XyloConfig) -> tuple:
    """The config as the arrays :func:`kernels.run_batch` takes after the state: weights shifted
    (shifts 0..7 never overflow 16 bits), recurrent weights as a CSR fan-out list, hidden arrays
    padded to whole words with neurons that never fire (threshold 32767, no input)."""
    n_pad = padded_size(config.n_hidden)
    hidden = tuple(_padded(a, n_pad, fill) for a, fill in (
        (config.dash_syn, 0), (config.dash_syn_2, 0), (config.dash_mem, 0), (config.threshold, 32767),
        (config.bias, 0), (config.alias_target, -1)))
    w_out = config.weights_out.astype(np.int32) << config.weight_shift_out
    readout = tuple(np.ascontiguousarray(a, dtype=np.int32) for a in (
        config.dash_syn_out, config.dash_mem_out, config.threshold_out, config.bias_out, w_out))
    w_in = _padded(np.transpose(config.weights_in.astype(np.int32) << config.weight_shift_in, (0, 2, 1)), n_pad, 0)
    in_used = np.any(w_in != 0, axis=2)
    lists = config.fanout()
    entries = np.concatenate(lists)
    ptr = np.concatenate([[0], np.cumsum([len(fan) for fan in lists])]).astype(np.int64)
    fanout = (ptr, (entries[:, 1] * n_pad + entries[:, 0]).astype(np.int32),
              (entries[:, 2] << config.weight_shift_rec).astype(np.int32))
    return hidden, readout, w_in, in_used, fanout, config.version == 2, config.uses_syn2


def padded_size(n_hidden: int) -> int:
    """Hidden neurons rounded up to whole words of the compiled step loop's threshold flags."""
    return -(-n_hidden // kernels.WORD) * kernels.WORD
