"""Convolution of sparse event counts on the CPU, by scattering each count through the kernel.

The time-stepped DYNAP-CNN model convolves all B·T frames of a core at once; its inputs (event counts of
the sensor, spikes of earlier cores) are mostly zeros. :func:`gather` lists a core's input events straight
from its sources' count maps (destination pooling, dropping and ``feature_shift`` applied to the
coordinates: the core's dense input is never built), and :func:`scatter_conv2d` adds, per event, ``count ·
weight`` to the ``f`` neurons of every kernel position it reaches: ``f`` multiply-adds per event and kernel
position, where a dense convolution costs ``f · c · kh · kw`` per output position. Sums are made in int64,
so the result is the exact integer current; it is then written in the model's float type (exact below
2^24 for float32, 2^53 for float64: the model's range guard checks that).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from numba import njit, prange

#: largest fraction of non-zero input values for which the scatter is used (a dense convolution's
#: multiply-adds run about this many times faster per operation)
DENSITY_LIMIT = 0.15


class Events(NamedTuple):
    """Input events of F frames, ordered by frame: ``start`` (F + 1,) int64 offsets of each frame's events,
    ``channel``, ``y``, ``x`` (E,) int64 coordinates in the core's input map, ``count`` (E,) int64."""

    start: np.ndarray
    channel: np.ndarray
    y: np.ndarray
    x: np.ndarray
    count: np.ndarray


def gather(sources, shape: tuple[int, int, int], limit: float = DENSITY_LIMIT) -> Events | None:
    """The events of a core's input map ``shape`` (c, h, w) from ``sources``: (counts (F, f, h, w), pooling,
    feature_shift) of each source, as a destination routes them; None when they would fill more than
    ``limit`` of the input values (then a dense convolution is faster)."""
    frames = len(sources[0][0])
    channels, height, width = shape
    arrays = [(counts.contiguous().numpy(), pooling, shift) for counts, pooling, shift in sources]
    per_frame = np.zeros(frames, np.int64)
    for counts, pooling, _ in arrays:
        _count_events(counts, pooling, height, width, per_frame)
    start = np.zeros(frames + 1, np.int64)
    np.cumsum(per_frame, out=start[1:])
    if start[-1] > limit * frames * channels * height * width:
        return None
    events = Events(start, *(np.empty(start[-1], np.int64) for _ in range(4)))
    cursor = start[:-1].copy()
    for counts, pooling, shift in arrays:
        _fill_events(counts, pooling, shift, height, width, cursor, *events[1:])
    return events


@njit(cache=True, parallel=True)
def _count_events(counts, pooling, height, width, per_frame):
    """Add to per_frame[F] the non-zero counts (F, f, h, w) of each frame that land in the height x width map."""
    frames, features, rows, columns = counts.shape
    for frame in prange(frames):
        n = 0
        for f in range(features):
            for y in range(min(rows, height * pooling)):
                for x in range(min(columns, width * pooling)):
                    if counts[frame, f, y, x] != 0:
                        n += 1
        per_frame[frame] += n


@njit(cache=True, parallel=True)
def _fill_events(counts, pooling, shift, height, width, cursor, channel, y_out, x_out, count):
    """Write the events of counts (F, f, h, w) from cursor[frame] on (advancing it): channel f + shift,
    position (y // pooling, x // pooling) when inside the height x width map, count."""
    frames, features, rows, columns = counts.shape
    for frame in prange(frames):
        event = cursor[frame]
        for f in range(features):
            for y in range(min(rows, height * pooling)):
                for x in range(min(columns, width * pooling)):
                    value = counts[frame, f, y, x]
                    if value != 0:
                        channel[event], y_out[event], x_out[event] = f + shift, y // pooling, x // pooling
                        count[event] = np.int64(value)
                        event += 1
        cursor[frame] = event


def scatter_conv2d(events: Events, weight: np.ndarray, bias: np.ndarray, out_shape: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int], dtype: torch.dtype) -> torch.Tensor:
    """conv2d of the input ``events`` with integer weights ``weight`` (c, kh, kw, f) int64 (the torch weight
    with the features last) and ``bias`` (f,) int64 added to every output position; returns
    (F, f, h', w') = ``out_shape`` (h', w') in ``dtype``, as ``functional.conv2d`` of the dense input."""
    frames = len(events.start) - 1
    out = torch.empty((frames, weight.shape[3], *out_shape), dtype=dtype)
    if out.numel():
        _scatter_kernel(*events, weight, bias, stride[0], stride[1], padding[0], padding[1], out.numpy())
    return out


@njit(cache=True, parallel=True)
def _scatter_kernel(start, channel, y, x, count, weight, bias, stride_y, stride_x, pad_y, pad_x, out):
    """Frames in parallel; per frame an int64 (h', w', f) sum, written transposed into out (F, f, h', w')."""
    _, kh, kw, features = weight.shape
    frames, _, out_h, out_w = out.shape
    for frame in prange(frames):
        total = np.empty((out_h, out_w, features), np.int64)
        for oy in range(out_h):
            for ox in range(out_w):
                total[oy, ox, :] = bias
        for event in range(start[frame], start[frame + 1]):
            c, n = channel[event], count[event]
            for ky in range(kh):
                ty = y[event] + pad_y - ky
                if ty < 0 or ty % stride_y != 0 or ty // stride_y >= out_h:
                    continue
                for kx in range(kw):
                    tx = x[event] + pad_x - kx
                    if tx < 0 or tx % stride_x != 0 or tx // stride_x >= out_w:
                        continue
                    row = total[ty // stride_y, tx // stride_x]
                    kernel = weight[c, ky, kx]
                    for o in range(features):
                        row[o] += n * kernel[o]
        for o in range(features):
            for oy in range(out_h):
                for ox in range(out_w):
                    out[frame, o, oy, ox] = total[oy, ox, o]
