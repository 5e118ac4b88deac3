"""Float networks (:class:`~.modules.Layout`) to the chip's integers, and back.

Quantization (:func:`quantize`): the hidden neurons share one *state scale* ``σ_h`` (integer units
of current and membrane per float unit) and the readout neurons another, ``σ_o``. Thresholds become
``round(θ·σ)`` (int16) and each weight matrix ``M`` becomes ``round(M·σ / 2^k)`` (int8) with its
own weight shift ``k`` (0..7), the smallest that fits int8, so the chip's ``w << k`` is ``M·σ``
to within rounding: each matrix has its own power-of-two scale relative to the shared state scale.
Rounding is to nearest, ties to even (``numpy.rint``).

Automatic ``σ`` (``scale=None``), per side: the largest weight magnitude ``A`` over that side's
matrices maps to ``127·2^k`` with the largest ``k`` in 0..7 that keeps every threshold at most
``max_threshold`` (default 4096 = 2^12, leaving the 16-bit state eight thresholds of headroom for
multi-spike steps and synaptic build-up). When thresholds exceed ``max_threshold`` already at
``k = 0``, ``σ = min(127 / A, 32767 / max θ)``. A larger σ makes the chip's rounded decays
(``x >> dash``) relatively more exact, so σ is as large as the headroom allows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from spikegate.sim.checks import INT8, INT16
from spikegate.sim.xylo.config import (MAX_FANOUT, MAX_HIDDEN, MAX_INPUTS, MAX_OUTPUTS, MAX_RECURRENT_SYNAPSES,
                                       MAX_SPIKES, MAX_WEIGHT_SHIFT, XyloConfig)

from .modules import Layout, Population, XyloNet

INT8_MAX = INT8[1]  #: largest chip weight (int8)
INT16_MAX = INT16[1]  #: largest chip threshold (int16)
DEFAULT_MAX_THRESHOLD = 4096


@dataclass
class Quantized:
    """The result of :func:`quantize`: the rockpool spec dict and the two state scales used."""

    spec: dict[str, Any]
    scale_hidden: float
    scale_out: float

    @property
    def config(self) -> XyloConfig:
        return XyloConfig.from_spec(**self.spec)


def to_xylo_spec(model: XyloNet | Layout, dt: float | None = None, scale=None,
                 max_threshold: int = DEFAULT_MAX_THRESHOLD) -> dict[str, Any]:
    """The rockpool specification dict of a float network (``XyloConfig.from_spec(**spec)``).

    Args:
        model: an :class:`~.modules.XyloNet` (or its :class:`~.modules.Layout`).
        dt: the time step in seconds; the model's own when omitted, and if given it must match it
            (the dashes were fixed when the model was built).
        scale: ``None`` for the automatic state scales (module docstring), a number ``σ`` used for
            both the hidden and the readout side, or a pair ``(σ_h, σ_o)``.
        max_threshold: the largest integer threshold the automatic scale aims for.

    Raises ValueError naming the layer, the value and the limit for every constraint the chip
    cannot meet.
    """
    layout = model.layout() if isinstance(model, XyloNet) else model
    if isinstance(model, XyloNet) and dt is not None and not np.isclose(dt, model.dt, rtol=1e-9, atol=0):
        raise ValueError(f"dt: {dt} s differs from the {model.dt} s the model's layers were built for")
    return quantize(layout, scale, max_threshold, dt=model.dt if isinstance(model, XyloNet) else dt).spec


def quantize(layout: Layout, scale=None, max_threshold: int = DEFAULT_MAX_THRESHOLD,
             dt: float | None = None) -> Quantized:
    """Check ``layout`` against the chip's limits and quantize it (see the module docstring)."""
    w_in, w_rec, w_out = (_numpy(t) for t in (layout.weights_in, layout.weights_rec, layout.weights_out))
    threshold, threshold_out = _numpy(layout.threshold), _numpy(layout.threshold_out)
    _check_sizes(layout, w_in.shape[0], w_out.shape[1])
    _check_populations(layout)
    for name, array in (("weights_in", w_in), ("weights_rec", w_rec), ("weights_out", w_out),
                        ("threshold", threshold), ("threshold_out", threshold_out)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name}: contains a value that is not finite")
    scale_h, scale_o = (None, None) if scale is None else (scale if isinstance(scale, tuple) else (scale, scale))
    scale_h = _state_scale([w_in, w_rec], threshold, max_threshold) if scale_h is None else float(scale_h)
    scale_o = _state_scale([w_out], threshold_out, max_threshold) if scale_o is None else float(scale_o)
    spec: dict[str, Any] = {}
    for name, matrix, sigma in (("in", w_in, scale_h), ("rec", w_rec, scale_h), ("out", w_out, scale_o)):
        spec[f"weights_{name}"], spec[f"weight_shift_{name}"] = _quantize_matrix(f"weights_{name}", matrix, sigma)
    spec["threshold"] = _quantize_threshold(layout, "threshold", threshold, scale_h)
    spec["threshold_out"] = _quantize_threshold(layout, "threshold_out", threshold_out, scale_o)
    _check_fanout(layout, spec["weights_rec"])
    for name in ("dash_mem", "dash_syn", "dash_mem_out", "dash_syn_out"):
        spec[name] = _numpy(getattr(layout, name)).astype(np.int64)
    spec["dash_syn_2"] = spec["dash_syn"].copy()
    spec["aliases"] = layout.aliases()
    if dt is not None:
        spec["dt"] = float(dt)
    return Quantized(spec, scale_h, scale_o)


def fake_quantize(layout: Layout, scale=None, max_threshold: int = DEFAULT_MAX_THRESHOLD) -> Layout:
    """``layout`` in the chip's integer units, with the weights and thresholds that :func:`quantize`
    gives (``w << shift``, ``round(θ·σ)``) and straight-through gradients to the float weights.

    Run it with ``Layout.run(raster, integer=True)`` for quantization-aware training: that run is the
    chip's (``XyloSim``) as long as no partial sum saturates.
    """
    q = quantize(layout, scale, max_threshold)
    spec = q.spec

    def straight_through(value: torch.Tensor, ints: np.ndarray, factor: float) -> torch.Tensor:
        scaled = value * factor
        return scaled + (torch.tensor(ints, dtype=scaled.dtype) - scaled).detach()

    weights = {name: straight_through(getattr(layout, f"weights_{name}"),
                                      spec[f"weights_{name}"] * 2 ** spec[f"weight_shift_{name}"], sigma)
               for name, sigma in (("in", q.scale_hidden), ("rec", q.scale_hidden), ("out", q.scale_out))}
    return dataclasses.replace(
        layout, weights_in=weights["in"], weights_rec=weights["rec"], weights_out=weights["out"],
        threshold=straight_through(layout.threshold, spec["threshold"], q.scale_hidden),
        threshold_out=straight_through(layout.threshold_out, spec["threshold_out"], q.scale_out))


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float64) if isinstance(tensor, torch.Tensor) else np.asarray(
        tensor, dtype=np.float64)


def _check_sizes(layout: Layout, n_in: int, n_out: int) -> None:
    if n_in > MAX_INPUTS:
        raise ValueError(f"{layout.input_name}: reads {n_in} input channels; the chip has at most {MAX_INPUTS}")
    if layout.n_hidden > MAX_HIDDEN:
        sizes = ", ".join(f"{p.name}: {p.size}" for p in layout.populations)
        raise ValueError(f"hidden populations: {layout.n_hidden} neurons in total ({sizes}); the chip has at most "
                         f"{MAX_HIDDEN}")
    if n_out > MAX_OUTPUTS:
        raise ValueError(f"{layout.output_name}: {n_out} readout neurons; the chip has at most {MAX_OUTPUTS}")


def _check_populations(layout: Layout) -> None:
    sources: dict[int, int] = {}
    for index, pop in enumerate(layout.populations):
        if pop.max_spikes != MAX_SPIKES:
            raise ValueError(f"{pop.name}: max_spikes is {pop.max_spikes}, but the chip's neurons emit up to "
                             f"{MAX_SPIKES} spikes per step; train with max_spikes={MAX_SPIKES} to convert")
        if pop.alias_source is None:
            continue
        source = layout.populations[pop.alias_source]
        if pop.alias_source >= index:
            raise ValueError(f"{pop.name}: aliased from {source.name}, which comes after it; an alias must point to "
                             f"a higher hidden index (the target fires after its source)")
        if pop.alias_source in sources:
            first = layout.populations[sources[pop.alias_source]].name
            raise ValueError(f"{source.name}: its neurons would alias into both {first} and {pop.name}; the chip "
                             f"allows 1 alias target per neuron")
        if source.size != pop.size:
            raise ValueError(f"{pop.name}: aliased from {source.name} with {source.size} neurons, but has {pop.size}")
        sources[pop.alias_source] = index


def _state_scale(matrices: list[np.ndarray], threshold: np.ndarray, max_threshold: int) -> float:
    """Integer state units per float unit for one side of the chip (module docstring)."""
    largest = max(float(np.abs(m).max(initial=0.0)) for m in matrices)
    top = float(threshold.max(initial=0.0))
    if largest == 0.0:
        return max_threshold / top if top > 0 else 1.0
    for shift in range(MAX_WEIGHT_SHIFT, -1, -1):
        sigma = INT8_MAX * 2 ** shift / largest
        if sigma * top <= max_threshold:
            return sigma
    return min(INT8_MAX / largest, INT16_MAX / top)


def _quantize_matrix(name: str, matrix: np.ndarray, sigma: float) -> tuple[np.ndarray, int]:
    """int8 weights and the smallest weight shift with ``round(M·σ/2^k)`` inside -128..127."""
    for shift in range(MAX_WEIGHT_SHIFT + 1):
        ints = np.rint(matrix * sigma / 2 ** shift)
        if ints.size == 0 or (ints.min() >= -INT8_MAX - 1 and ints.max() <= INT8_MAX):
            return ints.astype(np.int64), shift
    largest = float(np.abs(matrix).max())
    raise ValueError(f"{name}: largest |weight| {largest:g} times scale {sigma:g} is {largest * sigma:g}, beyond "
                     f"int8 even with weight shift {MAX_WEIGHT_SHIFT} (limit {INT8_MAX << MAX_WEIGHT_SHIFT})")


def _quantize_threshold(layout: Layout, name: str, threshold: np.ndarray, sigma: float) -> np.ndarray:
    ints = np.rint(threshold * sigma)
    for bad, limit in ((ints < 1, "below 1"), (ints > INT16_MAX, f"above the int16 limit {INT16_MAX}")):
        if np.any(bad):
            index = int(np.argmax(bad))
            where = (layout.output_name if name == "threshold_out" else
                     f"{layout.population_of(index).name}, hidden neuron {index}")
            raise ValueError(f"{name}: {threshold[index]:g} at scale {sigma:g} rounds to {int(ints[index])}, {limit} "
                             f"({where})")
    return ints.astype(np.int64)


def _check_fanout(layout: Layout, weights_rec: np.ndarray) -> None:
    fanout = np.count_nonzero(weights_rec, axis=1)
    if np.any(fanout > MAX_FANOUT):
        pre = int(np.argmax(fanout > MAX_FANOUT))
        pop = layout.population_of(pre)
        raise ValueError(f"{pop.name}: neuron {pre - pop.start} (hidden neuron {pre}) projects to {int(fanout[pre])} "
                         f"hidden neurons; the chip's recurrent fan-out limit is {MAX_FANOUT}")
    if fanout.sum() > MAX_RECURRENT_SYNAPSES:
        raise ValueError(f"weights_rec: {int(fanout.sum())} hidden-to-hidden synapses in total; the chip holds at "
                         f"most {MAX_RECURRENT_SYNAPSES}")


def dequantize(config: XyloConfig) -> Layout:
    """The float network that a config computes, in integer state units (``σ = 1``): weights
    ``w << shift``, thresholds and dashes as they are. Aliases become population-level aliases: the
    hidden array is split into populations so that every alias maps one population onto another
    neuron by neuron. Refuses what a :class:`Layout` cannot hold (synapse 2, v2 biases)."""
    if config.uses_syn2:
        raise ValueError("weights_in/weights_rec: synapse 2 is used; a float Layout (and NIR's CubaLIF) has one "
                         "synapse")
    if config.has_bias:
        raise ValueError("bias/bias_out: non-zero v2 biases have no place in a float Layout")
    for name in ("threshold", "threshold_out"):
        values = getattr(config, name)
        if np.any(values < 1):
            index = int(np.argmax(values < 1))
            raise ValueError(f"{name}: value {int(values[index])} at index {index} is below 1; a float Layout needs "
                             f"positive thresholds")
    def as_float(weights: np.ndarray, shift: int) -> torch.Tensor:
        return torch.tensor(weights.astype(np.float64) * 2 ** shift, dtype=torch.float32)

    return Layout(
        weights_in=as_float(config.weights_in[:, :, 0], config.weight_shift_in),
        weights_rec=as_float(config.weights_rec[:, :, 0], config.weight_shift_rec),
        weights_out=as_float(config.weights_out, config.weight_shift_out),
        threshold=torch.tensor(config.threshold, dtype=torch.float32),
        threshold_out=torch.tensor(config.threshold_out, dtype=torch.float32),
        dash_mem=torch.tensor(config.dash_mem.astype(np.int64)),
        dash_syn=torch.tensor(config.dash_syn.astype(np.int64)),
        dash_mem_out=torch.tensor(config.dash_mem_out.astype(np.int64)),
        dash_syn_out=torch.tensor(config.dash_syn_out.astype(np.int64)),
        populations=_populations_from_aliases(config.alias_target))


def _populations_from_aliases(target: np.ndarray) -> list[Population]:
    """Split ``range(len(target))`` into populations so that aliases map whole populations, in order.

    Aliases are grouped into runs (consecutive sources onto consecutive targets); the run ends, and
    the images of every boundary under every run, become population boundaries.
    """
    n = len(target)
    sources = np.flatnonzero(target >= 0)
    runs: list[tuple[int, int, int]] = []  # (source start, target start, length)
    for s in sources:
        if runs and runs[-1][0] + runs[-1][2] == s and runs[-1][1] + runs[-1][2] == target[s]:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((int(s), int(target[s]), 1))
    bounds = {0, n}
    for src, dst, length in runs:
        if src < dst < src + length:
            raise ValueError(f"aliases: neurons {src}..{src + length - 1} alias into an overlapping range starting at "
                             f"{dst}; a float Layout needs whole populations aliased onto others")
        bounds |= {src, src + length, dst, dst + length}
    changed = True
    while changed:  # carry every boundary through every run, both ways, until nothing new appears
        changed = False
        for src, dst, length in runs:
            for b in sorted(bounds):
                for lo, hi in ((src, dst), (dst, src)):
                    if lo < b < lo + length and b - lo + hi not in bounds:
                        bounds.add(b - lo + hi)
                        changed = True
    edges = sorted(bounds)
    pops = [Population(f"hidden[{a}:{b}]", a, b) for a, b in zip(edges, edges[1:])]
    starts = {p.start: k for k, p in enumerate(pops)}
    for src, dst, length in runs:
        for k, pop in enumerate(pops):
            if src <= pop.start < src + length:
                target_pop = pops[starts[pop.start - src + dst]]
                if target_pop.alias_source is not None:
                    raise ValueError(f"aliases: {target_pop.name} receives from two populations; a float Layout "
                                     f"allows one alias source per population")
                target_pop.alias_source = k
    return pops
