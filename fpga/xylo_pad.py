"""Fit a smaller Xylo network into a larger core: the padding the host applies before loading."""

from __future__ import annotations

import numpy as np

from spikegate.sim.xylo.config import XyloConfig

#: Threshold of a padding neuron: its membrane stays 0 (no weights reach it), which never reaches it.
QUIET_THRESHOLD = 32767


def pad_config(config: XyloConfig, params) -> XyloConfig:
    """``config`` grown to the sizes of ``params`` (a :class:`~spikegate.hdl.xylo.XyloCoreParams`).

    Extra input channels and neurons get zero weights, the largest threshold and zero biases, so
    no padding neuron ever spikes and the original neurons compute exactly what they did; the
    results of the first Nhid / Nout neurons are the config's. Raises ValueError when the config is
    larger than the core in any size or of another version.
    """
    sizes = {"Nin": (config.n_inputs, params.n_inputs), "Nhid": (config.n_hidden, params.n_hidden),
             "Nout": (config.n_outputs, params.n_outputs)}
    for name, (have, room) in sizes.items():
        if have > room:
            raise ValueError(f"{name}: the config has {have}, more than the core's {room}")
    if config.version != params.version:
        raise ValueError(f"version: the config is version {config.version}, the core version {params.version}")
    if all(have == room for have, room in sizes.values()):
        return config
    n_in, n_hid, n_out = params.n_inputs, params.n_hidden, params.n_outputs
    h = config.n_hidden

    def grow(array, shape, fill=0):
        grown = np.full(shape, fill, np.int64)
        grown[tuple(slice(0, n) for n in array.shape)] = array
        return grown

    return XyloConfig(
        weights_in=grow(config.weights_in, (n_in, n_hid, 2)),
        weights_rec=grow(config.weights_rec, (n_hid, n_hid, 2)),
        weights_out=grow(config.weights_out, (n_hid, n_out)),
        dash_mem=grow(config.dash_mem, (n_hid,)), dash_syn=grow(config.dash_syn, (n_hid,)),
        dash_syn_2=grow(config.dash_syn_2, (n_hid,)),
        dash_mem_out=grow(config.dash_mem_out, (n_out,)), dash_syn_out=grow(config.dash_syn_out, (n_out,)),
        threshold=grow(config.threshold, (n_hid,), QUIET_THRESHOLD),
        threshold_out=grow(config.threshold_out, (n_out,), QUIET_THRESHOLD),
        weight_shift_in=config.weight_shift_in, weight_shift_rec=config.weight_shift_rec,
        weight_shift_out=config.weight_shift_out,
        aliases=tuple(config.aliases) + ((),) * (n_hid - h),
        bias=grow(config.bias, (n_hid,)), bias_out=grow(config.bias_out, (n_out,)),
        version=config.version, dt=config.dt)
