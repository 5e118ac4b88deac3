"""The compiled time-step loop of the Xylo model (numba), written from ``docs/xylo-core.md`` §3.

One function, :func:`run_batch`, advances B independent samples by T steps, in parallel over the
batch (``prange``); :func:`run_sample` is the loop of one sample. All arithmetic is on int32
values that hold the chip's 16-bit registers; :func:`sat` and :func:`wrap` bring results back
into 16 bits exactly where the spec says.

Order of operations in one step (the contract the RTL follows):

1. input counts ``c = min(raster, 15)`` (done by the caller);
2. hidden synaptic input: channels ascending with ``c > 0``, then hidden neurons ascending whose
   previous-step count ``S > 0`` (recurrent fan-out list, CSR), each source one saturating addition
   of count × shifted weight to the (neuron, synapse) accumulator;
3. readout synaptic input from the same previous-step spikes, ascending, saturating per source;
4. synaptic decay ``I ← I − leak(I, dash)`` of Isyn, Isyn2 and Isyn_out;
5. membranes: v1 ``V ← sat(V − leak(V) + I1 + I2)``; v2 ``V ← sat(V + sat(sat(I1 + I2 − leak(V)) + bias))``;
6. hidden spikes, neurons ascending: counter starts at what aliases pushed, ``V ← wrap(V − θ)`` while
   counter < 31 and ``V ≥ θ``; then the count is pushed to the alias target (capped at 31);
7. readout spikes: at most one per neuron, ``Vo ← wrap(Vo − θo)``.

Records are sampled at the end of the step.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .config import MAX_SPIKES

WORD = 8  #: hidden neurons whose threshold flags (one byte each) are tested as one 64-bit word


@njit(inline="always")
def sat(x):
    """Clip to the signed 16-bit range. ``x`` must fit in 32 bits (every sum of the model does):
    narrowing it first lets the compiler use 32-bit vector lanes."""
    return min(max(np.int32(x), np.int32(-32768)), np.int32(32767))


@njit(inline="always")
def wrap(x):
    """Keep the low 16 bits, two's complement."""
    return np.int32(((x + 32768) & 0xFFFF) - 32768)


@njit(inline="always")
def leak(x, d):
    """``x >> d`` (towards −inf), but 1 where ``x > 0`` and the shift gives 0 (spec §2). ``d`` is a
    4-bit dash: masking it tells the compiler the shift stays below 32 bits, so it can use 32-bit lanes."""
    s = np.int32(x >> (d & 15))
    return np.int32(s + ((x > 0) & (s == 0)))


@njit(inline="always")
def membrane(v, current, d, bias, v2):
    """One membrane update of spec §3 step 5 (``current`` = I1 + I2, or Io for the readout)."""
    if v2:
        a = sat(current + wrap(-leak(v, d)))
        return sat(v + sat(a + bias))
    return sat(v - leak(v, d) + current)


@njit(inline="always")
def decay(x, dash):
    """Step 4 on a row of accumulators: ``x ← x − leak(x, dash)``."""
    for n in range(x.shape[0]):
        x[n] = np.int32(x[n] - leak(x[n], dash[n]))


@njit(inline="always")
def copy_row(source, destination):
    """Record: the first ``len(destination)`` values of ``source``."""
    for n in range(destination.shape[0]):
        destination[n] = source[n]


@njit(inline="always")
def flag_neurons(vmem, threshold, flags):
    """``flags[n]``: whether neuron n is at or above its threshold (one byte per neuron)."""
    for n in range(vmem.shape[0]):
        flags[n] = vmem[n] >= threshold[n]


@njit(cache=True)
def run_sample(counts, isyn, vmem, isyn_out, vmem_out, spikes, out, rec, record, hidden, readout, w_in, in_used,
               fanout, v2, syn2):
    """Advance one sample by ``T = counts.shape[0]`` steps, updating the state arrays in place.

    Args:
        counts: (T, Nin) input counts, already clipped to 0..15.
        isyn: (2, Npad) int32 Isyn, Isyn2; vmem: (Npad,) int32; isyn_out, vmem_out: (Nout,) int32;
            Npad is Nhid padded to a multiple of :data:`WORD` with neurons that never fire.
        spikes: (Npad,) int32 hidden spike counts of the previous step (0..31).
        out: (T, Nout) int16 output spikes, written.
        rec: (Isyn, Isyn2, Vmem, Spikes, Isyn_out, Vmem_out) int16 arrays of (T, N) when ``record``,
            else of (1, N), a scratch row that the spike and readout loops write to. Spikes (and
            Isyn2 when synapse 2 is unused) must be zero on entry: only non-zero counts are written.
        hidden: (dash_syn, dash_syn_2, dash_mem, threshold, bias, alias_target) per hidden neuron (Npad,).
        readout: (dash_syn_out, dash_mem_out, threshold_out, bias_out, weights_out (Nhid, Nout) shifted).
        w_in: (Nin, 2, Npad) int32 shifted input weights; in_used: (Nin, 2) bool, any weight non-zero.
        fanout: (ptr (Nhid+1,), target, weight) recurrent CSR: pre neuron j's entries are
            ``ptr[j]:ptr[j+1]``, ``target = synapse * Npad + post`` indexes ``isyn`` flattened,
            weights shifted.
        v2: the Xylo Audio 2 membrane rule; syn2: synapse 2 is used (else Isyn2 stays 0 and is skipped).
    """
    dash_syn, dash_syn_2, dash_mem, threshold, bias, alias = hidden
    dash_syn_out, dash_mem_out, threshold_out, bias_out, w_out = readout
    ptr, target, weight = fanout
    rec_isyn, rec_isyn2, rec_vmem, rec_spikes, rec_isyn_out, rec_vmem_out = rec
    n_steps, n_in = counts.shape
    n_pad = vmem.shape[0]
    accumulators = isyn.reshape(2 * n_pad)  # Isyn then Isyn2, as the recurrent targets index them
    n_out = w_out.shape[1]
    flags = np.zeros(n_pad, np.uint8)
    words = flags.view(np.uint64)  # eight neurons' flags at a time
    active = np.empty(n_pad, np.int64)  # hidden neurons with a non-zero count, ascending
    n_active = 0
    for n in range(n_pad):
        if spikes[n] > 0:
            active[n_active] = n
            n_active += 1
    for t in range(n_steps):
        row = t if record else 0
        # 2. hidden synaptic input: input channels, then previous-step spikes, saturating per source
        for i in range(n_in):
            c = counts[t, i]
            if c > 0:
                for s in range(2):
                    if in_used[i, s]:
                        acc = isyn[s]
                        w = w_in[i, s]
                        for n in range(n_pad):
                            acc[n] = sat(acc[n] + c * w[n])
        for k in range(n_active):
            j = active[k]
            count = spikes[j]
            for e in range(ptr[j], ptr[j + 1]):
                n = target[e]
                accumulators[n] = sat(accumulators[n] + count * weight[e])
        # 3. readout synaptic input from the same spikes
        for k in range(n_active):
            j = active[k]
            count = spikes[j]
            for o in range(n_out):
                isyn_out[o] = sat(isyn_out[o] + count * w_out[j, o])
        # 4-5. synaptic decay and membranes (separate simple loops: each compiles to vector code)
        i1, i2 = isyn[0], isyn[1]
        decay(i1, dash_syn)
        if syn2:
            decay(i2, dash_syn_2)
            for n in range(n_pad):
                vmem[n] = membrane(vmem[n], i1[n] + i2[n], dash_mem[n], bias[n], v2)
        else:
            for n in range(n_pad):
                vmem[n] = membrane(vmem[n], i1[n], dash_mem[n], bias[n], v2)
        flag_neurons(vmem, threshold, flags)
        if record:  # Vmem before the threshold step: the spike loop below records the neurons that fire
            copy_row(i1, rec_isyn[row])
            if syn2:
                copy_row(i2, rec_isyn2[row])
            copy_row(vmem, rec_vmem[row])
        for o in range(n_out):
            a = isyn_out[o] - leak(isyn_out[o], dash_syn_out[o])
            isyn_out[o] = a
            vmem_out[o] = membrane(vmem_out[o], a, dash_mem_out[o], bias_out[o], v2)
        # 6. hidden spikes, ascending, with alias pushes; only neurons flagged at or above threshold, or
        #    pushed to by an alias source, are visited
        for k in range(n_active):
            spikes[active[k]] = 0
        n_active = 0
        unsorted = False
        for word in range(words.shape[0]):
            if words[word] == 0:
                continue
            for n in range(word * WORD, word * WORD + WORD):
                if flags[n] == 0:
                    continue
                v, th, count = vmem[n], threshold[n], spikes[n]
                if v >= th and count < MAX_SPIKES:
                    if th > 0:
                        fire = min(v // th, MAX_SPIKES - count)
                        v -= fire * th
                        count += fire
                    else:
                        while count < MAX_SPIKES and v >= th:
                            v = wrap(v - th)
                            count += 1
                    vmem[n] = v
                    rec_vmem[row, n] = v
                    spikes[n] = count
                if count > 0:
                    active[n_active] = n
                    n_active += 1
                    b = alias[n]
                    if b >= 0:
                        if b < n and spikes[b] == 0:
                            active[n_active] = b
                            n_active += 1
                            unsorted = True
                        flags[b] = 1
                        spikes[b] = min(spikes[b] + count, MAX_SPIKES)
        if unsorted:
            active[:n_active] = np.sort(active[:n_active])
        for k in range(n_active):
            rec_spikes[row, active[k]] = spikes[active[k]]
        # 7. readout spikes
        for o in range(n_out):
            if vmem_out[o] >= threshold_out[o]:
                out[t, o] = 1
                vmem_out[o] = wrap(vmem_out[o] - threshold_out[o])
            rec_isyn_out[row, o] = isyn_out[o]
            rec_vmem_out[row, o] = vmem_out[o]


@njit(cache=True, parallel=True)
def run_batch(counts, isyn, vmem, isyn_out, vmem_out, spikes, out, rec, record, hidden, readout, w_in, in_used,
              fanout, v2, syn2):
    """:func:`run_sample` over a batch: every array argument but the config gains a leading batch
    axis B (``counts`` (B, T, Nin), states (B, ...), ``out`` and records (B, T or 1, N)). Samples
    run in parallel."""
    rec_isyn, rec_isyn2, rec_vmem, rec_spikes, rec_isyn_out, rec_vmem_out = rec
    for b in prange(counts.shape[0]):
        run_sample(counts[b], isyn[b], vmem[b], isyn_out[b], vmem_out[b], spikes[b], out[b],
                   (rec_isyn[b], rec_isyn2[b], rec_vmem[b], rec_spikes[b], rec_isyn_out[b], rec_vmem_out[b]),
                   record, hidden, readout, w_in, in_used, fanout, v2, syn2)
