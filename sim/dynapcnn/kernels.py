"""Compiled inner loops of :class:`spikegate.sim.dynapcnn.DynapcnnSim` (numba, cached on disk).

Everything here works on flat arrays prepared by :mod:`spikegate.sim.dynapcnn.model`:

- ``params[core, P_*]``: int64 table of one row per core (columns below);
- ``weights``: int32, per core ``[c][ky][k-1-kx][f]`` from offset ``P_WOFF`` (features innermost and kx reversed,
  so that one input event updates the neurons of a row in contiguous passes);
- ``biases``: int32, per core ``[f]`` from ``P_BOFF``;
- ``state``: int32 membranes, per core ``[oy][ox][f]`` from ``P_VOFF``, always within int16;
- spikes: int64 ``(n, 3)`` rows of (f, ox, oy) in emission order;
- items: int64 ``(n, 6)`` rows of (kind, core, x, y, channel, t) with ``kind`` one of ``ITEM_EVENT``,
  ``ITEM_LEAK`` (a leak tick of ``core``) or ``ITEM_MONITOR`` (a DVS monitor copy: x, y, channel = p);
- output records: int64 ``(n, 5)`` rows of (layer, feature, x, y, t);
- counters: int64 ``(4, 9)``: ``C_EVENTS_IN``, ``C_SYNOPS``, ``C_EVENTS_OUT``, ``C_LEAK``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .config import CORE_REGISTER_SET, DESTINATION_REGISTER_SET, register_paths

#: Registers held in the parameter table, one column each, in :data:`CORE_REGISTER_SET` order.
REGISTER_COLUMNS = tuple(register_paths(CORE_REGISTER_SET))
_COLUMN = {path: column for column, path in enumerate(REGISTER_COLUMNS)}
P_C = _COLUMN["dimensions.input_shape.feature_count"]
P_F = _COLUMN["dimensions.output_shape.feature_count"]
P_WIN, P_HIN = _COLUMN["dimensions.input_shape.size.x"], _COLUMN["dimensions.input_shape.size.y"]
P_WOUT, P_HOUT = _COLUMN["dimensions.output_shape.size.x"], _COLUMN["dimensions.output_shape.size.y"]
P_K = _COLUMN["dimensions.kernel_size"]
P_SX, P_SY = _COLUMN["dimensions.stride.x"], _COLUMN["dimensions.stride.y"]
P_PX, P_PY = _COLUMN["dimensions.padding.x"], _COLUMN["dimensions.padding.y"]
P_THH, P_THL = _COLUMN["threshold_high"], _COLUMN["threshold_low"]
P_RTZ, P_MON = _COLUMN["return_to_zero"], _COLUMN["monitor_enable"]
P_D0EN = _COLUMN["destinations[0].enable"]
#: destination i: columns P_D0EN + P_DEST_COLUMNS·i + D_* (the fields of DESTINATION_REGISTER_SET, in order)
P_DEST_COLUMNS = len(DESTINATION_REGISTER_SET)
D_LAYER, D_POOLING, D_SHIFT = (list(DESTINATION_REGISTER_SET).index(n) for n in ("layer", "pooling", "feature_shift"))
#: After the registers: offsets of the core's weights, biases and membranes in the flat arrays.
P_WOFF, P_BOFF, P_VOFF = range(len(REGISTER_COLUMNS), len(REGISTER_COLUMNS) + 3)
N_PARAMS = len(REGISTER_COLUMNS) + 3

ITEM_EVENT, ITEM_LEAK, ITEM_MONITOR = 0, 1, 2
C_EVENTS_IN, C_SYNOPS, C_EVENTS_OUT, C_LEAK = 0, 1, 2, 3
DVS_LAYER = 9  #: ``layer`` of the output records copied from the DVS layer's input
V_MIN, V_MAX = -32768, 32767


@njit(cache=True, inline="always")
def _saturate(v):
    return min(max(v, V_MIN), V_MAX)


@njit(cache=True)
def _fire(params, state, core, index, spikes, n, f, ox, oy, counters):
    """The threshold rule on a neuron whose new value is already stored: one spike at most, then the reset
    (subtract with saturation, or to zero) and the threshold_low clamp; returns the new spike count."""
    v = state[index]
    if v >= params[core, P_THH]:
        v = 0 if params[core, P_RTZ] else _saturate(v - params[core, P_THH])
        spikes[n, 0] = f
        spikes[n, 1] = ox
        spikes[n, 2] = oy
        n += 1
        counters[C_EVENTS_OUT, core] += 1
    state[index] = max(v, params[core, P_THL])
    return n


@njit(cache=True)
def _sort_by_feature(spikes, lo, hi):
    """Stable sort of ``spikes[lo:hi]`` by feature (column 0)."""
    if hi - lo > 32:
        order = np.argsort(spikes[lo:hi, 0], kind="mergesort")
        spikes[lo:hi] = spikes[lo:hi][order]
        return
    for i in range(lo + 1, hi):
        f, ox, oy = spikes[i, 0], spikes[i, 1], spikes[i, 2]
        j = i
        while j > lo and spikes[j - 1, 0] > f:
            spikes[j] = spikes[j - 1]
            j -= 1
        spikes[j, 0], spikes[j, 1], spikes[j, 2] = f, ox, oy


@njit(cache=True)
def update_event(params, weights, state, core, x, y, c, spikes, n, hit, counters):
    """One input event (x, y, channel c) at ``core``: every neuron it reaches gets its weight (saturating),
    then the threshold rule; spikes are appended to ``spikes`` from row ``n`` in the order f, then oy, then ox,
    ascending. Returns the new spike count.

    Neurons are updated in contiguous runs, all features innermost: one run per row of reached positions when
    stride.x is 1, one per position otherwise (``hit`` notes which neurons of the run reached threshold_high,
    and those then take the threshold rule). The spikes, found in (oy, ox, f) order, are put in f-major order
    by a stable sort on f. Each neuron takes exactly one addition, so the states and the spike order equal
    visiting the neurons one by one in f-major order.
    """
    nf, k = params[core, P_F], params[core, P_K]
    sx, sy, wout = params[core, P_SX], params[core, P_SY], params[core, P_WOUT]
    ax, ay = x + params[core, P_PX], y + params[core, P_PY]
    ox_lo, ox_hi = max(0, (ax - k + sx) // sx), min(wout - 1, ax // sx)
    oy_lo, oy_hi = max(0, (ay - k + sy) // sy), min(params[core, P_HOUT] - 1, ay // sy)
    counters[C_EVENTS_IN, core] += 1
    if ox_lo > ox_hi or oy_lo > oy_hi:
        return n
    counters[C_SYNOPS, core] += nf * (ox_hi - ox_lo + 1) * (oy_hi - oy_lo + 1)
    thh, thl = params[core, P_THH], params[core, P_THL]
    woff, voff = params[core, P_WOFF], params[core, P_VOFF]
    first = n
    # with stride 1 the neurons of one row and their weights ([kx] stored reversed) are contiguous: one run per
    # row; otherwise one run per position
    run, n_runs = ((ox_hi - ox_lo + 1) * nf, 1) if sx == 1 else (nf, ox_hi - ox_lo + 1)
    row_h = hit[:run]
    for oy in range(oy_lo, oy_hi + 1):
        ky = ay - oy * sy
        for r in range(n_runs):
            ox0 = ox_lo + r
            w0 = woff + ((c * k + ky) * k + k - 1 - ax + ox0 * sx) * nf
            v0 = voff + (oy * wout + ox0) * nf
            row_v, row_w = state[v0:v0 + run], weights[w0:w0 + run]
            any_hit = False
            for j in range(run):
                v = _saturate(row_v[j] + row_w[j])
                fired = v >= thh
                row_h[j] = fired
                any_hit |= fired
                row_v[j] = v if fired else max(v, thl)
            if any_hit:
                for j in range(run):
                    if row_h[j]:
                        n = _fire(params, state, core, v0 + j, spikes, n, j % nf, ox0 + j // nf, oy, counters)
    if n - first > 1:
        _sort_by_feature(spikes, first, n)
    return n


@njit(cache=True)
def leak_tick(params, biases, state, core, spikes, n, counters):
    """A leak tick of ``core``: every neuron, in the order f, oy, ox, gets its feature's bias (saturating),
    then the threshold rule. Returns the new spike count."""
    nf, wout, hout = params[core, P_F], params[core, P_WOUT], params[core, P_HOUT]
    voff, boff = params[core, P_VOFF], params[core, P_BOFF]
    counters[C_LEAK, core] += nf * wout * hout
    for f in range(nf):
        for oy in range(hout):
            for ox in range(wout):
                index = voff + (oy * wout + ox) * nf + f
                state[index] = _saturate(state[index] + biases[boff + f])
                n = _fire(params, state, core, index, spikes, n, f, ox, oy, counters)
    return n


@njit(cache=True)
def _record(out, n_out, layer, feature, x, y, t):
    """Append one output record, doubling ``out`` when full; returns (out, new count)."""
    if n_out == out.shape[0]:
        bigger = np.empty((2 * out.shape[0], 5), np.int64)
        bigger[:n_out] = out
        out = bigger
    out[n_out, 0] = layer
    out[n_out, 1] = feature
    out[n_out, 2] = x
    out[n_out, 3] = y
    out[n_out, 4] = t
    return out, n_out + 1


@njit(cache=True)
def _start(params, weights, biases, state, kind, core, x, y, c, spikes, n, hit, counters):
    if kind == ITEM_LEAK:
        return leak_tick(params, biases, state, core, spikes, n, counters)
    return update_event(params, weights, state, core, x, y, c, spikes, n, hit, counters)


@njit(cache=True)
def run_depth_first(params, weights, biases, state, items, spikes, hit, counters):
    """Depth-first (the chip's order): every spike is routed on, destination 0 then 1, and fully processed
    downstream before its core sends its next spike. Explicit stack of frames, one per core on the current
    path (the routing is acyclic, so at most nine); frames own consecutive row ranges of ``spikes``.
    Returns the output records of monitored cores (and DVS monitor copies) in emission order."""
    out = np.empty((1024, 5), np.int64)
    n_out = 0
    depth_max = params.shape[0] + 1
    f_core = np.empty(depth_max, np.int64)
    f_end = np.empty(depth_max, np.int64)
    f_pos = np.empty(depth_max, np.int64)
    f_step = np.empty(depth_max, np.int64)  # 0: spike not yet sent; 1, 2: destination 0, 1 next; 3: done
    for i in range(items.shape[0]):
        kind, core, t = items[i, 0], items[i, 1], items[i, 5]
        if kind == ITEM_MONITOR:
            out, n_out = _record(out, n_out, DVS_LAYER, items[i, 4], items[i, 2], items[i, 3], t)
            continue
        f_core[0], f_pos[0], f_step[0] = core, 0, 0
        f_end[0] = _start(params, weights, biases, state, kind, core, items[i, 2], items[i, 3], items[i, 4],
                          spikes, 0, hit, counters)
        depth = 1
        while depth > 0:
            d = depth - 1
            src, s = f_core[d], f_pos[d]
            if s == f_end[d]:
                depth -= 1
                continue
            if f_step[d] == 0:
                if params[src, P_MON]:
                    out, n_out = _record(out, n_out, src, spikes[s, 0], spikes[s, 1], spikes[s, 2], t)
                f_step[d] = 1
            elif f_step[d] == 3:
                f_pos[d] = s + 1
                f_step[d] = 0
            else:
                col = P_D0EN + P_DEST_COLUMNS * (f_step[d] - 1)
                f_step[d] += 1
                if not params[src, col]:
                    continue
                dst, pool = params[src, col + D_LAYER], params[src, col + D_POOLING]
                tx, ty = spikes[s, 1] // pool, spikes[s, 2] // pool
                if tx >= params[dst, P_WIN] or ty >= params[dst, P_HIN]:
                    continue
                base = f_end[d]
                f_core[depth], f_pos[depth], f_step[depth] = dst, base, 0
                f_end[depth] = update_event(params, weights, state, dst, tx, ty, spikes[s, 0] + params[src, col + D_SHIFT],
                                            spikes, base, hit, counters)
                depth += 1
    return out[:n_out]


@njit(cache=True)
def run_core_queue(params, weights, biases, state, core, items, spikes, hit, counters):
    """Breadth-first step: ``core`` processes its whole queue of items (events and leak ticks) in order.
    Returns (f, ox, oy, t) of its spikes in emission order."""
    sent = np.empty((1024, 4), np.int64)
    n_sent = 0
    for i in range(items.shape[0]):
        n = _start(params, weights, biases, state, items[i, 0], core, items[i, 2], items[i, 3], items[i, 4],
                   spikes, 0, hit, counters)
        if n_sent + n > sent.shape[0]:
            bigger = np.empty((2 * (n_sent + n), 4), np.int64)
            bigger[:n_sent] = sent[:n_sent]
            sent = bigger
        sent[n_sent:n_sent + n, :3] = spikes[:n]
        sent[n_sent:n_sent + n, 3] = items[i, 5]
        n_sent += n
    return sent[:n_sent]
