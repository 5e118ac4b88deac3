"""Convolution of sparse event counts on the CPU, by scattering each input count through the kernel.

The time-stepped DYNAP-CNN model convolves all B·T frames of a core at once; its inputs (event counts of
the sensor, spikes of earlier cores) are mostly zeros. :func:`scatter_conv2d` costs one pass over the
input plus ``f`` multiply-adds per non-zero count and kernel position that reaches the output, where a
dense convolution costs ``f · c · kh · kw`` per output position. Sums are made in int64, so the result is
the exact integer current; it is then written in the model's float type (exact below 2^24 for float32,
2^53 for float64: the model's range guard checks that).
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

#: largest fraction of non-zero input values for which the scatter is used (a dense convolution's
#: multiply-adds run about this many times faster per operation)
DENSITY_LIMIT = 0.15


def scatter_conv2d(x: torch.Tensor, weight: np.ndarray, bias: np.ndarray, stride: tuple[int, int],
                   padding: tuple[int, int]) -> torch.Tensor:
    """conv2d of integer counts x (F, c, h, w), float32 or float64 on the CPU, with integer weights
    ``weight`` (c, kh, kw, f) int64 (the torch weight with the features last) and ``bias`` (f,) int64 added
    to every output position; returns (F, f, h', w') in x's dtype, as ``functional.conv2d``."""
    frames, _, height, width = x.shape
    _, kh, kw, features = weight.shape
    out_h = (height + 2 * padding[0] - kh) // stride[0] + 1
    out_w = (width + 2 * padding[1] - kw) // stride[1] + 1
    out = torch.empty((frames, features, out_h, out_w), dtype=x.dtype)
    if out.numel():
        _scatter_kernel(x.contiguous().numpy(), weight, bias, stride[0], stride[1], padding[0], padding[1],
                        out.numpy())
    return out


def density(x: torch.Tensor) -> float:
    """Fraction of non-zero values of x."""
    return int(torch.count_nonzero(x)) / max(1, x.numel())


@njit(cache=True, parallel=True)
def _scatter_kernel(x, weight, bias, stride_y, stride_x, pad_y, pad_x, out):
    """Frames in parallel; per frame an int64 (h', w', f) sum, written transposed into out (F, f, h', w')."""
    frames, channels, height, width = x.shape
    _, kh, kw, features = weight.shape
    _, _, out_h, out_w = out.shape
    for frame in prange(frames):
        total = np.empty((out_h, out_w, features), np.int64)
        for oy in range(out_h):
            for ox in range(out_w):
                total[oy, ox, :] = bias
        for c in range(channels):
            for y in range(height):
                for xx in range(width):
                    value = x[frame, c, y, xx]
                    if value == 0:
                        continue
                    count = np.int64(value)
                    for ky in range(kh):
                        ty = y + pad_y - ky
                        if ty < 0 or ty % stride_y != 0 or ty // stride_y >= out_h:
                            continue
                        for kx in range(kw):
                            tx = xx + pad_x - kx
                            if tx < 0 or tx % stride_x != 0 or tx // stride_x >= out_w:
                                continue
                            row = total[ty // stride_y, tx // stride_x]
                            kernel = weight[c, ky, kx]
                            for o in range(features):
                                row[o] += count * kernel[o]
        for o in range(features):
            for oy in range(out_h):
                for ox in range(out_w):
                    out[frame, o, oy, ox] = total[oy, ox, o]
