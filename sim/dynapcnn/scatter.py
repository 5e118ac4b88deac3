"""Sparse cores of the time-stepped DYNAP-CNN model on the CPU: event lists, and one fused kernel per core.

A core's inputs (event counts of the sensor, spikes of earlier cores) are mostly zeros, so on the CPU a core
with a sparse input never builds its dense input or its convolution result:

- :func:`gather` lists the core's input events frame by frame (:class:`Events`) from its sources: dense
  count maps (the DVS layer's) or the event lists of the cores before, with each destination's pooling,
  dropping and ``feature_shift`` applied to the coordinates;
- :func:`run_core` runs the core over all frames, one sample after the other: per frame, every event adds
  ``count · weight`` to the ``f`` neurons of each kernel position it reaches, then every neuron is updated
  by the formulas of :mod:`.timestepped`, its spike count written to the dense output and, when the core
  routes anywhere, listed as an event for the cores after. Everything stays in one frame's worth of cache.
  Sums and membranes are float64 integers, exact below 2^53: :func:`run_core` refuses inputs whose sums
  could pass that, and counts the values that reach the model's exact range (2^24 for float32), so the
  model can hand such a core to its dense path, whose range guard names the value. Samples (for fewer
  samples than threads: blocks of features) run in parallel threads.

The cost per frame is ``f`` multiply-adds per event and kernel position plus one update per neuron, where a
dense convolution costs ``f · c · kh · kw`` per output position.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from numba import njit, prange

#: largest fraction of non-zero input values for which the event path is used (a dense convolution's
#: multiply-adds run about this many times faster per operation)
DENSITY_LIMIT = 0.15
#: neuron values (frames x neurons) per worker thread of :func:`run_core`, at least (fewer: the threads
#: cost more than they save)
VALUES_PER_THREAD = 2 ** 19


class Events(NamedTuple):
    """Events of F frames, ordered by frame: ``start`` (F + 1,) int64 offsets of each frame's events,
    ``channel``, ``y``, ``x`` (E,) int64 coordinates, ``count`` (E,) int64 (≥ 1)."""

    start: np.ndarray
    channel: np.ndarray
    y: np.ndarray
    x: np.ndarray
    count: np.ndarray


def gather(sources, shape: tuple[int, int, int], limit: float = DENSITY_LIMIT) -> Events | None:
    """The events of a core's input map ``shape`` (c, h, w), from ``sources``: per source (counts (F, f, h, w)
    torch tensor, pooling, feature_shift, parts) as a destination routes them, where ``parts`` is the
    source's spikes as a tuple of :class:`Events` (from :func:`run_core`) or None (then ``counts`` is read).
    None when the events would fill more than ``limit`` of the input values (a dense convolution is faster)."""
    frames = len(sources[0][0])
    channels, height, width = shape
    inputs = [(values, pooling, shift) for counts, pooling, shift, parts in sources
              for values in (parts if parts is not None else (counts.contiguous().numpy(),))]
    per_frame = np.zeros(frames, np.int64)
    for values, pooling, _ in inputs:
        if isinstance(values, Events):
            _count_listed(*values, pooling, height, width, per_frame)
        else:
            _count_dense(values, pooling, height, width, per_frame)
    start = np.zeros(frames + 1, np.int64)
    np.cumsum(per_frame, out=start[1:])
    if start[-1] > limit * frames * channels * height * width:
        return None
    events = Events(start, *(np.empty(start[-1], np.int64) for _ in range(4)))
    cursor = start[:-1].copy()
    for values, pooling, shift in inputs:
        if isinstance(values, Events):
            _fill_listed(*values, pooling, shift, height, width, cursor, *events[1:])
        else:
            _fill_dense(values, pooling, shift, height, width, cursor, *events[1:])
    return events


@njit(cache=True, parallel=True)
def _count_dense(counts, pooling, height, width, per_frame):
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
def _fill_dense(counts, pooling, shift, height, width, cursor, channel, y_out, x_out, count):
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


@njit(cache=True)
def _count_listed(start, channel, y, x, count, pooling, height, width, per_frame):
    """Add to per_frame[F] the listed events of each frame whose pooled position lands in the height x width map."""
    for frame in range(len(start) - 1):
        for event in range(start[frame], start[frame + 1]):
            if y[event] // pooling < height and x[event] // pooling < width:
                per_frame[frame] += 1


@njit(cache=True)
def _fill_listed(start, channel, y, x, count, pooling, shift, height, width, cursor, channel_out, y_out, x_out,
                 count_out):
    """:func:`_fill_dense` for listed events."""
    for frame in range(len(start) - 1):
        out = cursor[frame]
        for event in range(start[frame], start[frame + 1]):
            row, column = y[event] // pooling, x[event] // pooling
            if row < height and column < width:
                channel_out[out], y_out[out], x_out[out] = channel[event] + shift, row, column
                count_out[out] = count[event]
                out += 1
        cursor[frame] = out


def run_core(events: Events, weight: np.ndarray, bias: np.ndarray, stride: tuple[int, int],
             padding: tuple[int, int], membranes: np.ndarray, spikes: np.ndarray, threshold_high: int,
             threshold_low: int, return_to_zero: bool, listing: bool, limit: float, threads: int) -> tuple | None:
    """Run a core over the input ``events`` of all B·T frames (module docstring).

    ``weight`` (c, kh, kw, f) float64 is the torch weight with the features last and kx reversed
    (:func:`kernel_weight`), ``bias`` (f,) float64 the current added to every neuron each step (zeros
    without leak). ``membranes`` (B, f, h', w') hold the initial membranes and receive the final ones;
    ``spikes`` (B·T, f, h', w') receives every spike count; both are float arrays, written as exact integers.

    Sums are made in float64, exact while every partial sum stays below 2^53: when the events' counts could
    pass that, or when an ``|I|`` or ``|V|`` reaches ``limit`` (the model's exact range), it returns None
    (the caller then runs the core densely, where the range guard reports the value). Else it returns the
    spikes as a tuple of :class:`Events` when ``listing``, or an empty tuple. ``threads``: parallel workers."""
    if events.count.sum(dtype=np.float64) * np.abs(weight).max(initial=0) + np.abs(bias).max(initial=0) >= 2.0 ** 53:
        return None
    batch, features = membranes.shape[:2]
    steps = len(spikes) // batch
    if not membranes.flags.c_contiguous:  # reshaped below, it must stay a view to receive the final membranes
        raise ValueError("membranes: must be C-contiguous")
    neurons = membranes.reshape(batch, features, -1)

    def run(task):
        first, last, low, high = task
        part = slice(low, high)
        return _core_kernel(*events, np.ascontiguousarray(weight[..., part]), np.ascontiguousarray(bias[part]),
                            stride[0], stride[1], padding[0], padding[1], neurons, spikes, first * steps,
                            last * steps, steps, low, threshold_high, threshold_low, bool(return_to_zero), listing,
                            float(limit))
    tasks = _tasks(batch, features, max(1, min(threads, spikes.size // VALUES_PER_THREAD)))
    if len(tasks) == 1:
        results = [run(tasks[0])]
    else:
        with ThreadPoolExecutor(len(tasks)) as pool:
            results = list(pool.map(run, tasks))
    if any(result[5] for result in results):
        return None
    return tuple(Events(*result[:5]) for result in results) if listing else ()


def kernel_weight(weights: np.ndarray) -> np.ndarray:
    """A core's weights (f, c, kx, ky) as :func:`run_core` takes them: (c, ky, kx reversed, f) float64."""
    return np.ascontiguousarray(np.transpose(weights, (1, 3, 2, 0))[:, :, ::-1], np.float64)


def _tasks(batch: int, features: int, threads: int) -> list[tuple[int, int, int, int]]:
    """(first sample, end sample, first feature, end feature) of each worker: contiguous groups of samples, or
    for fewer samples than threads, each sample's features in up to threads // batch blocks."""
    if batch >= threads:
        bounds = np.linspace(0, batch, threads + 1).round().astype(int)
        return [(int(a), int(b), 0, features) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    blocks = np.linspace(0, features, min(features, max(1, threads // batch)) + 1).round().astype(int)
    return [(sample, sample + 1, int(a), int(b)) for sample in range(batch) for a, b in zip(blocks[:-1], blocks[1:])]


@njit(cache=True, nogil=True)
def _core_kernel(start, channel, y, x, count, weight, bias, stride_y, stride_x, pad_y, pad_x, membranes, spikes,
                 first, last, steps, low, threshold_high, threshold_low, return_to_zero, listing, limit):
    """Frames [first, last) (whole samples) of the features low … low + width − 1 that ``weight`` (c, kh, kw,
    width) and ``bias`` (width,) hold; membranes (B, f, h'·w'). Returns (start (F + 1,) of the listed spikes, channel, y, x, count,
    number of values at or past ``limit``). Per frame the neurons are held (h'·w', width) in float64."""
    frames, _, out_h, out_w = spikes.shape
    width, positions = len(bias), out_h * out_w
    total = np.empty((positions, width))  # the frame's currents, then its spike counts
    spiking = np.empty(positions, np.int64)  # per position: how many of its neurons spike
    membrane = np.empty((positions, width))
    flat = spikes.reshape(frames, -1)
    listed = np.zeros(frames + 1, np.int64)
    fields = np.empty((4, 1024), np.int64)  # channel, y, x, count of each listed spike
    beyond = 0
    for frame in range(first, last):
        sample, step = frame // steps, frame % steps
        if step == 0:
            membrane[:] = membranes[sample, low:low + width].T
        _fill_rows(total, bias)
        _scatter(total, start[frame], start[frame + 1], channel, y, x, count, weight, out_h, out_w, stride_y,
                 stride_x, pad_y, pad_x)
        out = flat[frame, low * positions:(low + width) * positions]
        out[:] = 0.0
        beyond += _scan(total, spiking, membrane, np.float64(threshold_high), np.float64(threshold_low),
                        return_to_zero, limit)
        hits = listed[frame]
        if listing and hits + positions * width > fields.shape[1]:
            fields = _grown(fields, hits, hits + positions * width)
        listed[frame + 1] = _list(total, spiking, out, fields, hits, low, out_w, listing)
        if step == steps - 1:
            membranes[sample, low:low + width] = membrane.T
    used = listed[last]
    listed[last + 1:] = used
    return listed, fields[0, :used].copy(), fields[1, :used].copy(), fields[2, :used].copy(), fields[3, :used].copy(), beyond


# Helpers of _core_kernel. Array indices are slices' own range indices where it matters: a computed index
# makes numba check for negative values, which stops the loop from being vectorized.

@njit(cache=True, nogil=True)
def _fill_rows(total, bias):
    """Every position's row of total (h'·w', width) set to bias (width,)."""
    for p in range(total.shape[0]):
        row = total[p]
        for o in range(len(bias)):
            row[o] = bias[o]


@njit(cache=True, nogil=True)
def _scatter(total, begin, end, channel, y, x, count, weight, out_h, out_w, stride_y, stride_x, pad_y, pad_x):
    """Add count · weight of events begin … end − 1 to total (h'·w', width); weight (c, kh, kw, width) has kx
    reversed, so that with stride_x 1 a kernel row's reach is one contiguous run of total and of weight."""
    _, kh, kw, width = weight.shape
    flat, kernel = total.ravel(), weight.ravel()
    for event in range(begin, end):
        c, n = channel[event], np.float64(count[event])
        row_y, row_x = y[event] + pad_y, x[event] + pad_x
        low_y, high_y = _reach(row_y, stride_y, kh, out_h)
        low_x, high_x = _reach(row_x, stride_x, kw, out_w)
        for ky in range(low_y, high_y, stride_y):
            oy = (row_y - ky) // stride_y
            if stride_x == 1:
                target = (oy * out_w + row_x - (high_x - 1)) * width
                source = ((c * kh + ky) * kw + kw - high_x) * width
                size = (high_x - low_x) * width
                into, taken = flat[target:target + size], kernel[source:source + size]
                for k in range(size):
                    into[k] += n * taken[k]
            else:
                for kx in range(low_x, high_x, stride_x):
                    target = (oy * out_w + (row_x - kx) // stride_x) * width
                    source = ((c * kh + ky) * kw + kw - 1 - kx) * width
                    into, taken = flat[target:target + width], kernel[source:source + width]
                    for o in range(width):
                        into[o] += n * taken[o]


@njit(cache=True, nogil=True)
def _scan(total, row_spikes, membrane, threshold, floor_v, return_to_zero, limit):
    """One step of every neuron (the formulas of :mod:`.timestepped`; floor(V / θ) of integers below 2^53 is
    exact in float64): currents in total become spike counts, row_spikes[p] counts each position's spiking
    neurons. Returns how many |I| or |V| reached limit."""
    positions, width = membrane.shape
    beyond = 0
    for p in range(positions):
        row_total, row_v = total[p], membrane[p]
        spiking = 0
        for o in range(width):
            current = row_total[o]
            v = row_v[o] + current
            beyond += (abs(current) >= limit) | (abs(v) >= limit)
            n = np.floor(max(v, 0.0) / threshold)
            spiking += n > 0.0
            if return_to_zero:
                v = 0.0 if n > 0.0 else v
            else:
                v = v - n * threshold
            row_v[o] = max(v, floor_v)
            row_total[o] = n
        row_spikes[p] = spiking
    return beyond


@njit(cache=True, nogil=True)
def _list(total, row_spikes, out, fields, hits, low, out_w, listing):
    """Write the frame's spike counts (total) into out (width, h'·w', zeroed) and, when listing, append them
    to fields from column hits on; returns the new number of listed spikes."""
    positions, width = total.shape
    for p in range(positions):
        if row_spikes[p] == 0:
            continue
        for o in range(width):
            n = total[p, o]
            if n > 0:
                out[o * positions + p] = n
                if listing:
                    fields[0, hits], fields[1, hits], fields[2, hits] = low + o, p // out_w, p % out_w
                    fields[3, hits] = np.int64(n)
                    hits += 1
    return hits


@njit(cache=True, nogil=True)
def _reach(position, stride, size, outputs):
    """The kernel offsets k that take an input at ``position`` (+ padding) to an output (position − k) /
    stride in [0, outputs): returns (first k, end k); k runs in steps of stride."""
    first = max(0, position - stride * (outputs - 1))
    first += (position - first) % stride
    return first, min(size, position + 1)


@njit(cache=True, nogil=True)
def _grown(fields, used, needed):
    """fields (4, capacity) with its first ``used`` columns, grown to hold at least ``needed``."""
    grown = np.empty((4, max(2 * fields.shape[1], needed)), np.int64)
    grown[:, :used] = fields[:, :used]
    return grown
