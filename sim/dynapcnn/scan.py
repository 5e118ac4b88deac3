"""The neuron scan of the time-stepped DYNAP-CNN model: one fused kernel per core over all time steps.

:func:`scan` takes one core's convolution results of a whole batch, ``current`` (B, T, N) (N neurons per
frame, integers held in float32 or float64, contiguous) and its membranes ``v`` (B, N), and runs, per
neuron and step (spec §7.1; the formulas of :mod:`.timestepped`):

    I = round(current)                    the convolution's rounding correction |current − I| is recorded
    V = V + I
    n = trunc(V / threshold_high) where V > 0, else 0
    V = V − n · threshold_high  (subtract)  or  V = 0 where n > 0  (return_to_zero)
    V = max(V, threshold_low)

``current`` is overwritten with the spike counts n and ``v`` with the final membranes. It returns
``(error, peak)``: the largest rounding correction and the largest ``|I|`` or ``|V|`` (after the
addition) met, for the exactness checks of the caller.

Backends, one per device: a numba kernel on the CPU (threads over batch x blocks of neurons, per block
the steps in order, the same float operations as torch's), a Triton kernel on CUDA when Triton is
importable, else the same formulas as torch operations, one step at a time.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..extras import require

require("spikegate.sim.dynapcnn.scan", "torch")

import torch  # noqa: E402 (after the check that names the extra)

try:
    import triton
    import triton.language as tl
except ImportError:  # the CUDA path then runs on torch operations
    triton = None

BLOCK = 256  #: neurons per thread (numba) or per program (Triton)


def scan(current: torch.Tensor, v: torch.Tensor, threshold_high: int, threshold_low: int,
         return_to_zero: bool) -> tuple[float, float]:
    """Run the neurons over time (module docstring), in place; returns (largest rounding correction, peak)."""
    if current.device.type == "cpu":
        out = _scan_numba(current.numpy(), v.numpy(), current.dtype == torch.float32, threshold_high, threshold_low,
                          return_to_zero)
        return float(out[0]), float(out[1])
    if triton is not None and current.device.type == "cuda":
        return _scan_triton(current, v, threshold_high, threshold_low, return_to_zero)
    return _scan_torch(current, v, threshold_high, threshold_low, return_to_zero)


@njit(cache=True, parallel=True)
def _scan_kernel(current, v, threshold_high, threshold_low, return_to_zero):
    """current (B, T, N), v (B, N) of one float type; thresholds of that type. Returns (error, peak).
    Threads over batch x blocks of neurons; per block the steps in order, the block's neurons innermost
    (contiguous, branch-free: the compiler vectorizes it)."""
    batch, steps, size = current.shape
    blocks = (size + BLOCK - 1) // BLOCK
    stats = np.zeros((batch * blocks, 2), current.dtype)
    zero = threshold_high - threshold_high
    for task in prange(batch * blocks):
        b, lo = task // blocks, (task % blocks) * BLOCK
        hi = min(lo + BLOCK, size)
        vb = v[b, lo:hi].copy()
        error, peak = zero, zero
        for t in range(steps):
            row = current[b, t, lo:hi]
            for j in range(hi - lo):
                raw = row[j]
                i = np.rint(raw)
                error = max(error, abs(raw - i))
                vj = vb[j] + i
                peak = max(peak, max(abs(i), abs(vj)))
                n = np.trunc(max(vj, zero) / threshold_high)
                if return_to_zero:
                    vj = zero if n > zero else vj
                else:
                    vj = vj - n * threshold_high
                vb[j] = max(vj, threshold_low)
                row[j] = n
        v[b, lo:hi] = vb
        stats[task, 0], stats[task, 1] = error, peak
    out = np.zeros(2, current.dtype)
    for task in range(stats.shape[0]):
        out[0], out[1] = max(out[0], stats[task, 0]), max(out[1], stats[task, 1])
    return out


def _scan_numba(current, v, single, threshold_high, threshold_low, return_to_zero):
    kind = np.float32 if single else np.float64
    return _scan_kernel(current, v, kind(threshold_high), kind(threshold_low), bool(return_to_zero))


def _scan_torch(current, v, threshold_high, threshold_low, return_to_zero):
    """The same formulas as torch operations over (B, N) slices, one step at a time (devices without a kernel)."""
    rounded = torch.round(current)
    error = float((current - rounded).abs().amax()) if current.numel() else 0.0
    peak = torch.zeros((), dtype=v.dtype, device=v.device)
    for t in range(current.shape[1]):
        v += rounded[:, t]
        peak = torch.maximum(peak, torch.maximum(rounded[:, t].abs().amax(), v.abs().amax()))
        n = torch.where(v > 0, torch.div(v, threshold_high, rounding_mode="trunc"), 0.0)
        if return_to_zero:
            v.masked_fill_(n > 0, 0.0)
        else:
            v -= n * threshold_high
        v.clamp_(min=threshold_low)
        current[:, t] = n
    return error, float(peak) if current.numel() else 0.0


if triton is not None:
    @triton.jit
    def _scan_triton_kernel(current, v, stats, steps, size, blocks, threshold_high, threshold_low,
                            RETURN_TO_ZERO: tl.constexpr, BLOCK_SIZE: tl.constexpr):
        """One program: sample program_id(0), neurons of block program_id(1), every step; writes its
        (error, peak) to stats[program]."""
        b, block = tl.program_id(0), tl.program_id(1)
        offsets = block * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offsets < size
        vj = tl.load(v + b * size + offsets, mask=mask, other=0.0)
        error = tl.zeros_like(vj)
        peak = tl.zeros_like(vj)
        for t in range(steps):
            pointer = current + (b * steps + t) * size + offsets
            raw = tl.load(pointer, mask=mask, other=0.0)
            i = tl.floor(raw + 0.5)  # differs from round-half-even only at x.5, far past the bound anyway
            error = tl.maximum(error, tl.abs(raw - i))
            vj += i
            peak = tl.maximum(peak, tl.maximum(tl.abs(i), tl.abs(vj)))
            # the quotient of integers, corrected to the exact floor (GPU division may be off by an ulp)
            n = tl.floor(vj / threshold_high)
            n = tl.where((n + 1) * threshold_high <= vj, n + 1, n)
            n = tl.where(n * threshold_high > vj, n - 1, n)
            n = tl.where(vj > 0, n, 0.0)
            if RETURN_TO_ZERO:
                vj = tl.where(n > 0, 0.0, vj)
            else:
                vj = vj - n * threshold_high
            vj = tl.maximum(vj, threshold_low)
            tl.store(pointer, n, mask=mask)
        tl.store(v + b * size + offsets, vj, mask=mask)
        program = b * blocks + block
        tl.store(stats + 2 * program, tl.max(tl.where(mask, error, 0.0), axis=0))
        tl.store(stats + 2 * program + 1, tl.max(tl.where(mask, peak, 0.0), axis=0))


def _scan_triton(current, v, threshold_high, threshold_low, return_to_zero):
    batch, steps, size = current.shape
    blocks = triton.cdiv(size, BLOCK)
    stats = torch.zeros((batch * blocks, 2), dtype=current.dtype, device=current.device)
    if current.numel():
        _scan_triton_kernel[(batch, blocks)](current, v, stats, steps, size, blocks, float(threshold_high),
                                             float(threshold_low), RETURN_TO_ZERO=bool(return_to_zero),
                                             BLOCK_SIZE=BLOCK)
    error, peak = stats.amax(0).tolist() if stats.numel() else (0.0, 0.0)
    return error, peak
