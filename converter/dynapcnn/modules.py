"""Torch modules for spiking networks that map onto DYNAP-CNN cores: :class:`IAF` and :class:`SumPool2d`.

They carry the parameters the converter reads and run the time-stepped dynamics of sinabs' layers
(spec §7.1) in floating point, so a network can be evaluated in torch before conversion: an
``nn.Sequential`` of Conv2d/Linear, :class:`IAF` and :class:`SumPool2d` runs on one sample's raster
``(time, C, H, W)``, the first axis being time (as sinabs' ``IAFSqueeze`` with batch size 1). sinabs'
own ``IAF``/``IAFSqueeze``/``SumPool2d`` are accepted by the converter as well (recognised by their
class names and attributes; sinabs is never imported).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

RESETS = ("subtract", "zero")


class IAF(nn.Module):
    """Integrate-and-fire neurons with several spikes per time step (sinabs' ``MultiSpike``).

    Per step: ``V += x``; ``n = trunc(V / spike_threshold)`` where ``V > 0``, else 0; reset
    ``V −= n · spike_threshold`` (``reset="subtract"``) or ``V = 0`` where ``n > 0`` (``reset="zero"``);
    then ``V = max(V, min_v_mem)`` unless ``min_v_mem`` is None. V starts at 0 on every call.

    Args:
        spike_threshold: θ_high, > 0 (model units; the converter scales it with the weights).
        min_v_mem: floor θ_low of the membrane, below ``spike_threshold``, or None (then −32768 on the
            chip, see spec §4).
        reset: "subtract" or "zero" (samna ``return_to_zero``).
    """

    def __init__(self, spike_threshold: float = 1.0, min_v_mem: float | None = None, reset: str = "subtract"):
        super().__init__()
        if not spike_threshold > 0:
            raise ValueError(f"spike_threshold: value {spike_threshold!r} must be > 0")
        if reset not in RESETS:
            raise ValueError(f"reset: value {reset!r} is not one of {RESETS}")
        if min_v_mem is not None and not min_v_mem < spike_threshold:
            raise ValueError(f"min_v_mem: value {min_v_mem!r} must be below spike_threshold {spike_threshold!r}")
        self.spike_threshold = float(spike_threshold)
        self.min_v_mem = None if min_v_mem is None else float(min_v_mem)
        self.reset = reset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Spike counts, same shape as ``x`` (time, ...)."""
        if x.ndim < 1:
            raise ValueError(f"x: expected (time, ...), got shape {tuple(x.shape)}")
        v = torch.zeros_like(x[0])
        out = []
        for step in range(x.shape[0]):
            v = v + x[step]
            n = torch.where(v > 0, torch.div(v, self.spike_threshold, rounding_mode="trunc"), torch.zeros_like(v))
            v = v - n * self.spike_threshold if self.reset == "subtract" else torch.where(n > 0, 0.0, v)
            if self.min_v_mem is not None:
                v = torch.clamp(v, min=self.min_v_mem)
            out.append(n)
        return torch.stack(out, 0)

    def extra_repr(self) -> str:
        return f"spike_threshold={self.spike_threshold}, min_v_mem={self.min_v_mem}, reset={self.reset!r}"


class SumPool2d(nn.Module):
    """Sum pooling over ``kernel_size`` × ``kernel_size`` windows (stride defaults to the kernel, which is
    what the cores do; the converter refuses any other stride). Works on (..., C, H, W); sizes are floored.
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-3]
        y = functional.avg_pool2d(x.reshape(-1, *x.shape[-3:]), self.kernel_size, self.stride, divisor_override=1)
        return y.reshape(*lead, *y.shape[-3:])

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"
