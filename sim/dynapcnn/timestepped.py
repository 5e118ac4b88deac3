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
pool, crop, flip y, flip x, swap) on the raster. There is no 16-bit saturation (as in sinabs): values are
integers held in float32 (float64 on request), exact while every ``|V|`` and ``|I|`` stays below 2^24
(2^53); a run that leaves that range raises ValueError instead of returning inexact results.

This differs from the event-driven :class:`~spikegate.sim.dynapcnn.DynapcnnSim` (the chip), where a
neuron emits at most one spike per update and the bias is added on leak ticks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..extras import require

require("the time-stepped DYNAP-CNN model", "torch")

import torch  # noqa: E402 (after the check that names the extra)
from torch.nn import functional

from .config import DVS_POLARITIES, DVS_SIZE, ChipConfig, Destination
from .model import topological_order

_EXACT = {torch.float32: 2 ** 24, torch.float64: 2 ** 53}


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

    ``model(raster)`` runs a batch from each core's ``neurons_initial_value``; calls are independent.
    """

    def __init__(self, chip_config: ChipConfig, device=None, dtype: torch.dtype = torch.float32):
        if not isinstance(chip_config, ChipConfig):
            raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
        if dtype not in _EXACT:
            raise ValueError(f"dtype: value {dtype} is not one of {tuple(_EXACT)}")
        self.config = chip_config
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
            }

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(array), dtype=self.dtype, device=self.device)

    # ------------------------------------------------------------------------------------------- run
    def __call__(self, raster) -> TimeSteppedResult:
        """Run a raster (B, T, C, H, W) of non-negative integer event counts (torch tensor or numpy array):
        channel = DVS polarity (or input channel without merge), H, W ≤ 128 (the sensor map)."""
        x = self._checked(raster)
        batch, steps = x.shape[:2]
        config = self.config
        membranes = {i: self._cores[i]["initial"].expand(batch, -1, -1, -1).clone() for i in self.order}
        spikes = {i: torch.zeros((batch, steps, *membranes[i].shape[1:]), dtype=self.dtype, device=self.device)
                  for i in self.order}
        peak = torch.zeros((), dtype=self.dtype, device=self.device)
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False), torch.no_grad():
            for t in range(steps):
                inputs = self.zero_inputs(batch)
                self.route(self.dvs_layer(x[:, t]), config.dvs_layer.destinations, inputs)
                for i in self.order:
                    n, current = self._step(i, inputs[i], membranes[i])
                    peak = torch.maximum(peak, torch.maximum(current.abs().amax(), membranes[i].abs().amax()))
                    spikes[i][:, t] = n
                    self.route(n, config.cores[i].destinations, inputs)
        if steps and float(peak) >= _EXACT[self.dtype]:
            raise ValueError(f"a membrane or input current reached {float(peak):.0f}, beyond the exact integer range "
                             f"2^{_EXACT[self.dtype].bit_length() - 1} of {self.dtype}; use dtype=torch.float64")
        return TimeSteppedResult(spikes, membranes)

    def _step(self, i: int, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of core i on input x, updating the membrane v in place; returns (spikes, current)."""
        core, params = self.config.cores[i], self._cores[i]
        current = functional.conv2d(x, params["weight"], params["bias"], params["stride"], params["padding"])
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
        x = functional.pad(x, (0, max(0, width - x.shape[3]), 0, max(0, height - x.shape[2])))
        x = x[:, :, dvs.origin.y:height, dvs.origin.x:width]
        if dvs.mirror_y:
            x = x.flip(2)
        if dvs.mirror_x:
            x = x.flip(3)
        return x.transpose(2, 3) if dvs.mirror_diagonal else x

    def _checked(self, raster) -> torch.Tensor:
        x = torch.as_tensor(raster)
        if x.ndim != 5:
            raise ValueError(f"raster: expected 5 axes (batch, time, channel, y, x), got shape {tuple(x.shape)}")
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
        if x.numel() and (bool((x < 0).any()) or bool((x != torch.round(x)).any())):
            bad = torch.nonzero((x < 0) | (x != torch.round(x)))[0].tolist()
            raise ValueError(f"raster: value {x[tuple(bad)].item()} at index {tuple(bad)} is not a non-negative "
                             f"integer event count")
        return x


def _sum_pool(x: torch.Tensor, py: int, px: int) -> torch.Tensor:
    """Sum over py × px windows, keeping partial windows at the far edges (x // px as events are pooled)."""
    if py == px == 1:
        return x
    x = functional.pad(x, (0, -x.shape[3] % px, 0, -x.shape[2] % py))
    return functional.avg_pool2d(x, (py, px), divisor_override=1)
