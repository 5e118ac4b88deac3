"""Time-stepped batch model of a DYNAP-CNN chip: :class:`DynapcnnTimeStepped` (spec §7.1).

The semantics of sinabs' ``DynapcnnNetwork`` forward, for fast evaluation of datasets on dense rasters
of event counts ``(batch, time, channel, y, x)``, in torch (on CUDA when available). Per time step, the
input passes the DVS layer, then every used core in topological order of the routing (all within the
same step, no delay between cores):

    I = conv(x_t) (+ biases when leak_enable)       bias added once per step, not on a slow clock
    V = V + I
    n = trunc(V / threshold_high) where V > 0, else 0     several spikes per step (MultiSpike)
    V = V − n · threshold_high  (subtract)  or  V = 0 where n > 0  (return_to_zero)
    V = max(V, threshold_low)

A core's spike counts n go, per enabled destination, sum-pooled by its ``pooling`` (positions beyond the
target's input map dropped) and shifted by ``feature_shift``, into the target's input of the same step;
a core with two sources receives the sum. The DVS layer does what :class:`DvsLayerConfig` says (merge,
pool, crop, flip y, flip x, swap) on the raster. There is no 16-bit saturation (as in sinabs).

**Order of work** (``mode="layer"``, the default). Since no core feeds an earlier one within a step (the
routing is acyclic: :func:`~.model.topological_order` refuses loops), a core's input at every step is
known once the cores before it have run all steps. So each core runs in one go. On the CPU, a sparse
input runs as one fused event kernel (:mod:`.scatter`): its events are listed from its sources, and frame
by frame they are scattered through the kernel, the neurons updated and the spikes listed as events for the
next core; no current tensor is built. Otherwise (dense inputs, CUDA) one convolution covers all B·T
frames, then the neuron scan over time runs as one fused kernel (:mod:`.scan`: numba on the CPU, Triton on
CUDA). Samples are processed in chunks whose frames fit :data:`CHUNK_ELEMENTS`, each written into its
slice of the result. ``mode="step"`` runs the same formulas one step at a time, every core per step (the
straightforward order, kept as the reference).

**Exactness.** Values are integers held in float32 (float64 on request). Every result is exact on every
device, or the call refuses it:

- the CPU's event kernel sums and updates in float64, exact below 2^53; it refuses inputs whose sums could
  pass that, and hands a core whose values reach the exact range to the dense path (whose guard raises);
- every other convolution result (integer inputs and weights: the exact current is an integer) is rounded
  to the nearest integer and the largest rounding correction is checked against :data:`ROUNDING_BOUND`.
  Convolution algorithms (cuDNN's FFT or Winograd, the CPU's own) may return non-integers; while their
  error stays below 0.5 the rounding restores the exact value. Past the bound, a float32 model convolves
  that core again in float64 and raises ValueError if even that is past it;
- every ``|I|`` and ``|V|`` must stay below 2^24 (float32) or 2^53 (float64), where every integer is
  held exactly; a run that leaves that range raises ValueError instead of returning inexact results.

This differs from the event-driven :class:`~spikegate.sim.dynapcnn.DynapcnnSim` (the chip), where a
neuron emits at most one spike per update and the bias is added on leak ticks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..checks import as_array
from ..extras import require

require("the time-stepped DYNAP-CNN model", "torch")

import torch  # noqa: E402 (after the check that names the extra)
from torch.nn import functional

from .config import DVS_POLARITIES, DVS_SIZE, ChipConfig, Destination
from .model import topological_order
from .scan import scan
from .scatter import DENSITY_LIMIT, Events, gather, kernel_weight, run_core

_EXACT = {torch.float32: 2 ** 24, torch.float64: 2 ** 53}
MODES = ("layer", "step")
ROUNDING_BOUND = 0.25  #: largest rounding correction of a convolution result accepted as exact
CHUNK_ELEMENTS = {"cpu": 2 ** 27, "cuda": 2 ** 29}  #: per device kind, input + neuron values of a chunk's frames


class TimeSteppedResult(NamedTuple):
    """``spikes[core]``: (B, T, f, h', w') spike counts of each used core (un-pooled, the neuron map);
    ``membranes[core]``: (B, f, h', w') membranes after the last step. Torch axis order (y before x)."""

    spikes: dict[int, torch.Tensor]
    membranes: dict[int, torch.Tensor]


class DynapcnnTimeStepped:
    """sinabs' time-stepped forward of the chip configured by ``chip_config`` (module docstring).

    Args:
        chip_config: the chip's registers.
        device: torch device; None picks CUDA when available, else the CPU.
        dtype: torch.float32 (default) or torch.float64 for the integer-valued arithmetic.
        mode: "layer" (default: each core over all steps at once) or "step" (every core per step; the
            reference). Both give the same results.

    ``model(raster)`` runs a batch from each core's ``neurons_initial_value``; calls are independent.
    """

    def __init__(self, chip_config: ChipConfig, device=None, dtype: torch.dtype = torch.float32,
                 mode: str = "layer"):
        if not isinstance(chip_config, ChipConfig):
            raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
        if dtype not in _EXACT:
            raise ValueError(f"dtype: value {dtype} is not one of {tuple(_EXACT)}")
        if mode not in MODES:
            raise ValueError(f"mode: value {mode!r} is not one of {MODES}")
        self.config, self.mode = chip_config, mode
        self.device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if device is None else device)
        self.dtype = dtype
        self.order = topological_order(chip_config)
        self._cores = {}
        for i in self.order:
            core = chip_config.cores[i]
            if core.threshold_high <= 0:
                raise ValueError(f"cores[{i}].threshold_high: value {core.threshold_high} must be > 0 in the "
                                 f"time-stepped model (it divides the membrane)")
            dims = core.dimensions
            self._cores[i] = {
                "weight": self._tensor(core.weights.transpose(0, 1, 3, 2)),
                "bias": self._tensor(core.biases) if core.leak_enable else None,
                "stride": (dims.stride.y, dims.stride.x),
                "padding": (dims.padding.y, dims.padding.x),
                "initial": self._tensor(core.neurons_initial_value.transpose(0, 2, 1)),
                "event_weight": kernel_weight(core.weights),
                "event_bias": np.asarray(core.biases if core.leak_enable else np.zeros(core.features), np.float64),
            }

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(array), dtype=self.dtype, device=self.device)

    # ------------------------------------------------------------------------------------------- run
    def __call__(self, raster) -> TimeSteppedResult:
        """Run a raster (B, T, C, H, W) of non-negative integer event counts (torch tensor or numpy array):
        channel = DVS polarity (or input channel without merge), H, W ≤ 128 (the sensor map)."""
        x = self._checked(raster)
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False), torch.no_grad():
            if self.mode == "step":
                return self._run_steps(x)
            batch, steps = x.shape[:2]
            result = TimeSteppedResult(
                {i: torch.empty((batch, steps, *self._cores[i]["initial"].shape), dtype=self.dtype, device=self.device)
                 for i in self.order},
                {i: torch.empty((batch, *self._cores[i]["initial"].shape), dtype=self.dtype, device=self.device)
                 for i in self.order})
            chunk = self._chunk_size(x)
            for start in range(0, batch, chunk):
                part = slice(start, start + chunk)
                self._run_layers(x[part], TimeSteppedResult(*({i: values[i][part] for i in self.order}
                                                               for values in result)))
        return result

    # ----------------------------------------------------------------------------- layer by layer
    def _run_layers(self, x: torch.Tensor, out: TimeSteppedResult) -> None:
        """Every core over all steps at once, in topological order (module docstring), into ``out`` (the
        result's tensors of these samples)."""
        frames = x.shape[0] * x.shape[1]
        incoming = {i: [] for i in self.order}  # per core: (counts (B·T, f, h, w), pooling, feature_shift, events)
        _send(self.dvs_layer(x.reshape(frames, *x.shape[2:])), None, self.config.dvs_layer.destinations, incoming)
        for i in self.order:
            events = self._run_core(i, incoming.pop(i), out.spikes[i], out.membranes[i])
            counts = out.spikes[i].view(frames, *out.spikes[i].shape[2:])
            _send(counts, events, self.config.cores[i].destinations, incoming)

    def _run_core(self, i: int, sources: list, spikes: torch.Tensor, membranes: torch.Tensor) -> tuple | None:
        """Core i on its sources (as :func:`_send` lists them) of all steps: writes its spikes (B, T, f, h', w')
        and final membranes (B, f, h', w'); returns its spikes as events when the event path ran (else None)."""
        core, params = self.config.cores[i], self._cores[i]
        batch, steps = spikes.shape[:2]
        membranes.copy_(params["initial"].expand_as(membranes))
        x = self._layer_input(i, sources, batch * steps)
        if isinstance(x, Events):
            listing = any(destination.enable for destination in core.destinations)
            events = run_core(x, params["event_weight"], params["event_bias"], params["stride"], params["padding"],
                              membranes.numpy(), spikes.view(batch * steps, *spikes.shape[2:]).numpy(),
                              core.threshold_high, core.threshold_low, core.return_to_zero, listing,
                              _EXACT[self.dtype], torch.get_num_threads())
            if events is not None:
                return events or None
            membranes.copy_(params["initial"].expand_as(membranes))  # past the exact range: the dense path reports it
            x = self._layer_input(i, sources, batch * steps, events=False)
        current = self._convolve(i, x)
        error, peak = scan(current.view(batch, steps, -1), membranes.view(batch, -1), core.threshold_high,
                           core.threshold_low, core.return_to_zero)
        if error > ROUNDING_BOUND and self.dtype == torch.float32:
            current = self._convolve(i, x.double()).float()
            membranes.copy_(params["initial"].expand_as(membranes))
            error, peak = scan(current.view(batch, steps, -1), membranes.view(batch, -1), core.threshold_high,
                               core.threshold_low, core.return_to_zero)
        self._check_rounding(i, error)
        self._check_range(peak)
        spikes.copy_(current.view_as(spikes))
        return None

    def _layer_input(self, i: int, sources: list, frames: int, events: bool = True) -> torch.Tensor | Events:
        """Core i's input of all frames: on the CPU, when sparse (at most :data:`~.scatter.DENSITY_LIMIT`
        non-zero) and ``events``, its events (:func:`~.scatter.gather`); else the dense (B·T, c, h, w) counts."""
        core = self.config.cores[i]
        shape = (core.channels, *core.input_map[::-1])
        if events and self.device.type == "cpu" and sources:
            events = gather(sources, shape, DENSITY_LIMIT)
            if events is not None:
                return events
        inputs = {i: torch.zeros((frames, *shape), dtype=self.dtype, device=self.device)}
        for counts, pooling, shift, _ in sources:
            self.route(counts, (Destination(i, True, pooling, shift),), inputs)
        return inputs[i]

    def _convolve(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """Core i's convolution (+ biases when leak_enable) of the frames x, in x's dtype, not yet rounded."""
        params = self._cores[i]
        weight, bias = params["weight"].to(x.dtype), params["bias"]
        bias = None if bias is None else bias.to(x.dtype)
        return functional.conv2d(x, weight, bias, params["stride"], params["padding"]).contiguous()

    def _initial(self, i: int, batch: int) -> torch.Tensor:
        return self._cores[i]["initial"].expand(batch, -1, -1, -1).clone(memory_format=torch.contiguous_format)

    def _chunk_size(self, x: torch.Tensor) -> int:
        """Samples per chunk: as many as keep the values of their frames (inputs and neurons of every core)
        within :data:`CHUNK_ELEMENTS` of the device kind (at least one)."""
        per_frame = x[0, 0].numel() + sum(self.config.cores[i].channels * np.prod(self.config.cores[i].input_map)
                                          + self._cores[i]["initial"].numel() for i in self.order)
        budget = CHUNK_ELEMENTS.get(self.device.type, CHUNK_ELEMENTS["cuda"])
        return max(1, int(budget // max(1, per_frame * x.shape[1])))

    def _check_rounding(self, i: int, error: float) -> None:
        if error > ROUNDING_BOUND:
            raise ValueError(f"core {i}: a convolution result was {error:.3g} away from the nearest integer, past the "
                             f"bound {ROUNDING_BOUND} of an exact result (device {self.device}, {self.dtype})")

    def _check_range(self, peak: float) -> None:
        if peak >= _EXACT[self.dtype]:
            raise ValueError(f"a membrane or input current reached {peak:.0f}, beyond the exact integer range "
                             f"2^{_EXACT[self.dtype].bit_length() - 1} of {self.dtype}; use dtype=torch.float64")

    # ------------------------------------------------------------------------------- step by step
    def _run_steps(self, x: torch.Tensor) -> TimeSteppedResult:
        """Every core per step, steps in order (the reference order)."""
        batch, steps = x.shape[:2]
        config = self.config
        membranes = {i: self._initial(i, batch) for i in self.order}
        spikes = {i: torch.zeros((batch, steps, *membranes[i].shape[1:]), dtype=self.dtype, device=self.device)
                  for i in self.order}
        peak = torch.zeros((), dtype=self.dtype, device=self.device)
        for t in range(steps):
            inputs = self.zero_inputs(batch)
            self.route(self.dvs_layer(x[:, t]), config.dvs_layer.destinations, inputs)
            for i in self.order:
                n, current = self._step(i, inputs[i], membranes[i])
                peak = torch.maximum(peak, torch.maximum(current.abs().amax(), membranes[i].abs().amax()))
                spikes[i][:, t] = n
                self.route(n, config.cores[i].destinations, inputs)
        if steps:
            self._check_range(float(peak))
        return TimeSteppedResult(spikes, membranes)

    def _step(self, i: int, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of core i on input x, updating the membrane v in place; returns (spikes, current)."""
        core = self.config.cores[i]
        raw = self._convolve(i, x)
        current = torch.round(raw)
        if raw.numel():
            self._check_rounding(i, float((raw - current).abs().amax()))
        v += current
        n = torch.where(v > 0, torch.div(v, core.threshold_high, rounding_mode="trunc"), 0.0)
        if core.return_to_zero:
            v.masked_fill_(n > 0, 0.0)
        else:
            v -= n * core.threshold_high
        v.clamp_(min=core.threshold_low)
        return n, current

    def zero_inputs(self, batch: int) -> dict[int, torch.Tensor]:
        """Per used core, a zero input (``batch``, channels, height, width) for :meth:`route` to fill."""
        return {i: torch.zeros((batch, self.config.cores[i].channels, *self.config.cores[i].input_map[::-1]),
                               dtype=self.dtype, device=self.device) for i in self.order}

    def route(self, n: torch.Tensor, destinations: tuple[Destination, ...], inputs: dict[int, torch.Tensor]) -> None:
        """Add ``n`` (B, f, h, w), event counts of a core or of the DVS layer, into ``inputs`` (from
        :meth:`zero_inputs`) of each enabled destination: sum-pooled by its ``pooling``, cropped to the
        target's input map and offset by its ``feature_shift`` channels."""
        for destination in destinations:
            if not destination.enable:
                continue
            target = inputs[destination.layer]
            height, width = target.shape[2:]
            pooled = _sum_pool(n, destination.pooling, destination.pooling)[:, :, :height, :width]
            shift = destination.feature_shift
            target[:, shift:shift + n.shape[1], :pooled.shape[2], :pooled.shape[3]] += pooled

    def dvs_layer(self, x: torch.Tensor) -> torch.Tensor:
        """The DVS layer on event counts (B, C, H, W) of one step: merge → pool → crop → flip y, flip x →
        swap x/y; returns the counts (B, C', h, w) that :meth:`route` sends to its destinations."""
        dvs = self.config.dvs_layer
        if dvs.merge:
            x = x.sum(1, keepdim=True)
        x = _sum_pool(x, dvs.pooling.y, dvs.pooling.x)
        height, width = dvs.cut.y + 1, dvs.cut.x + 1
        if x.shape[3] < width or x.shape[2] < height:
            x = functional.pad(x, (0, max(0, width - x.shape[3]), 0, max(0, height - x.shape[2])))
        x = x[:, :, dvs.origin.y:height, dvs.origin.x:width]
        if dvs.mirror_y:
            x = x.flip(2)
        if dvs.mirror_x:
            x = x.flip(3)
        return x.transpose(2, 3) if dvs.mirror_diagonal else x

    def _checked(self, raster) -> torch.Tensor:
        if not isinstance(raster, torch.Tensor):
            raster = as_array("raster", raster)
            if raster.dtype.kind not in "biuf":
                raise TypeError(f"raster: expected integer event counts, got dtype {raster.dtype}")
            if not raster.flags.writeable:  # torch shares a read-only array's memory only with a warning
                raster = raster.copy()
        x = torch.as_tensor(raster)
        if x.ndim != 5:
            raise ValueError(f"raster: expected 5 axes (batch, time, channel, y, x), got shape {tuple(x.shape)}")
        if 0 in x.shape:
            raise ValueError(f"raster: shape {tuple(x.shape)} has an empty axis; every axis needs at least 1 entry")
        if x.dtype == torch.bool or x.dtype.is_complex:
            raise TypeError(f"raster: expected integer event counts, got dtype {x.dtype}")
        for axis, size in (("y", x.shape[3]), ("x", x.shape[4])):
            if size > DVS_SIZE:
                raise ValueError(f"raster: {axis} size {size} is over the DVS input map of {DVS_SIZE}")
        dvs = self.config.dvs_layer
        if dvs.merge:
            if x.shape[2] > DVS_POLARITIES:
                raise ValueError(f"raster: {x.shape[2]} channels, but the DVS layer merges {DVS_POLARITIES} polarities")
        else:
            for destination in dvs.destinations:
                channels = self.config.cores[destination.layer].channels if destination.enable else None
                if channels is not None and x.shape[2] + destination.feature_shift > channels:
                    raise ValueError(f"raster: {x.shape[2]} channels (+ feature_shift {destination.feature_shift}) "
                                     f"are more than core {destination.layer}'s {channels} input channels")
        x = x.to(device=self.device, dtype=self.dtype)
        if x.numel() and not _all_counts(x):
            bad = torch.nonzero((x < 0) | (x != torch.round(x)) | x.isinf())[0].tolist()
            raise ValueError(f"raster: value {x[tuple(bad)].item()} at index {tuple(bad)} is not a non-negative "
                             f"integer event count")
        return x


def _all_counts(x: torch.Tensor) -> bool:
    """Whether every value of x is a finite non-negative integer (on the CPU in one pass)."""
    if x.device.type == "cpu":
        return _all_counts_kernel(x.reshape(-1).numpy())
    return not (bool((x < 0).any()) or bool((x != torch.round(x)).any()) or bool(x.isinf().any()))


@njit(cache=True)
def _all_counts_kernel(values):
    valid = True
    for value in values:  # NaN fails the first test
        valid &= (value >= 0) & (value == np.floor(value)) & (value < np.inf)
    return valid


def _send(counts: torch.Tensor, events, destinations: tuple[Destination, ...], incoming: dict[int, list]) -> None:
    """List the counts (B·T, f, h, w) of a core or of the DVS layer, and the same as events when the event path
    made them (else None), under each enabled destination's core."""
    for destination in destinations:
        if destination.enable:
            incoming[destination.layer].append((counts, destination.pooling, destination.feature_shift, events))


def _sum_pool(x: torch.Tensor, py: int, px: int) -> torch.Tensor:
    """Sum over py × px windows, keeping partial windows at the far edges (x // px as events are pooled)."""
    if py == px == 1:
        return x
    if x.shape[3] % px or x.shape[2] % py:
        x = functional.pad(x, (0, -x.shape[3] % px, 0, -x.shape[2] % py))
    return functional.avg_pool2d(x, (py, px), divisor_override=1)
