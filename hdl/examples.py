"""The smallest networks whose behaviour can be worked out by hand: where a port to new hardware starts.

Each example returns a config, its input and a one-line statement of the expected answer, derived in
the docstring from the spec's rules (so that the numbers can be checked with pencil and paper before
any simulator is trusted). ``spikegate vectors example`` exports them as test vectors; each chip's HDL facet lists its own
(``examples``).
"""

from __future__ import annotations

import numpy as np

from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, Destination, DvsLayerConfig
from spikegate.sim.dynapcnn.model import INPUT_EVENT_DTYPE
from spikegate.sim.xylo import XyloConfig


def xylo_one_neuron() -> tuple[XyloConfig, np.ndarray, str]:
    """One input, one hidden neuron, one readout; weight 100, dash_syn = dash_mem = 1, threshold 45, one
    input event at step 0 (docs/xylo-core.md §2-§3: ``leak(x, 1) = x >> 1``, at least 1 while x > 0).

    - Step 0: Isyn = 100 - 50 = 50; Vmem = 0 + 50 = 50 ≥ 45: one spike, Vmem 5.
    - Step 1: Isyn = 50 - 25 = 25; Vmem = 5 - 2 + 25 = 28: no spike. The readout (weight 60, dashes 1,
      threshold 25) sees the hidden spike of step 0: Isyn_out = 60 - 30 = 30, Vmem_out = 30 ≥ 25: output
      spike, Vmem_out 5.
    - Step 2: Isyn 13, Vmem 28 - 14 + 13 = 27; no more spikes.
    """
    config = XyloConfig.from_spec(weights_in=[[100]], weights_out=[[60]], threshold=45, threshold_out=25,
                                  dash_mem=1, dash_syn=1, dash_mem_out=1, dash_syn_out=1)
    raster = np.zeros((8, 1), np.int64)
    raster[0, 0] = 1
    return config, raster, "hidden spike at step 0 (Vmem 50 -> 5); readout spike at step 1 (Vmem_out 30 -> 5)"


def xylo_two_layers() -> tuple[XyloConfig, np.ndarray, str]:
    """Input → hidden 0 → hidden 1 (recurrent weight) → readout: a spike takes one step per hop.

    All weights 127, all dashes 1, thresholds 60, one input event at step 0. Hidden 0: Isyn 127 - 63 = 64,
    Vmem 64 ≥ 60: spike at step 0 (then Isyn 32, 16...; Vmem 4 - 2 + 32 = 34, 34 - 17 + 16 = 33, ... never
    60 again). Hidden 1 receives it at step 1 (recurrent spikes act one step later, §4): the same numbers,
    spike at step 1. The readout receives hidden 1's spike at step 2: Isyn_out 64, Vmem_out 64 ≥ 60: output
    at step 2.
    """
    weights_rec = np.zeros((2, 2), np.int64)
    weights_rec[0, 1] = 127
    config = XyloConfig.from_spec(weights_in=[[127, 0]], weights_rec=weights_rec, weights_out=[[0], [127]],
                                  threshold=60, threshold_out=60, dash_mem=1, dash_syn=1, dash_mem_out=1,
                                  dash_syn_out=1)
    raster = np.zeros((5, 1), np.int64)
    raster[0, 0] = 1
    return config, raster, "hidden 0 fires at step 0, hidden 1 at step 1, the readout at step 2"


def _events(xyp) -> np.ndarray:
    events = np.zeros(len(xyp), INPUT_EVENT_DTYPE)
    for i, (x, y, p) in enumerate(xyp):
        events[i] = (x, y, i, p)
    return events


def dynapcnn_kernel_1x1() -> tuple[ChipConfig, np.ndarray, str]:
    """One core, one channel, one feature, a 1x1 kernel of weight 10, threshold 30 (subtract):
    every third event at the same pixel fires one output event at that pixel."""
    core = CoreConfig.from_weights(np.full((1, 1, 1, 1), 10), (4, 4), threshold_high=30, threshold_low=-30,
                                   monitor_enable=True)
    chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (4, 4)))
    events = _events([(1, 2, 0)] * 7)
    return chip, events, "output events at input events 2 and 5, both (feature 0, x 1, y 2)"


def dynapcnn_kernel_3x3_border() -> tuple[ChipConfig, np.ndarray, str]:
    """A 3x3 kernel with padding 1 on a 4x4 map, weights[kx][ky] = 10·kx + ky + 1, threshold 20.
    An event at the corner (0, 0) reaches neurons (ox, oy) with kx = 1 - ox, ky = 1 - oy: (0,0) gets
    w[1][1] = 12, (1,0) w[0][1] = 2, (0,1) w[1][0] = 11, (1,1) w[0][0] = 1. Two corner events: (0,0)
    reaches 24 ≥ 20 and fires at the second event (visiting order f, oy, ox); (0,1) reaches 22 and fires too."""
    k = np.arange(3)
    weights = (10 * k[:, None] + k[None, :] + 1).reshape(1, 1, 3, 3)
    core = CoreConfig.from_weights(weights, (4, 4), threshold_high=20, threshold_low=-20, padding=(1, 1),
                                   monitor_enable=True)
    chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (4, 4)))
    return chip, _events([(0, 0, 0)] * 2), "at input event 1: output (x 0, y 0) then (x 0, y 1)"


def dynapcnn_two_layers() -> tuple[ChipConfig, np.ndarray, str]:
    """Core 0 (1x1 kernel, weight 10, threshold 10: every event fires) sends through 2x2 sum pooling to
    core 1 (1x1 kernel, weight 5, threshold 10): core 1 fires on every second event of a pooled pixel.
    Events at (0,0), (1,0), (0,1) all pool to (0,0) of core 1: it reaches 10 at the second and fires once."""
    first = CoreConfig.from_weights(np.full((1, 1, 1, 1), 10), (4, 4), threshold_high=10, threshold_low=-10,
                                    destinations=[Destination(layer=1, enable=True, pooling=2)])
    second = CoreConfig.from_weights(np.full((1, 1, 1, 1), 5), (2, 2), threshold_high=10, threshold_low=-10,
                                     monitor_enable=True)
    chip = ChipConfig(cores={0: first, 1: second}, dvs_layer=DvsLayerConfig.direct([0], (4, 4)))
    return chip, _events([(0, 0, 0), (1, 0, 0), (0, 1, 0)]), "core 1 fires once, at input event 1, at (0, 0)"

