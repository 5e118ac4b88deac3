"""Cycle figures of a build, measured by running the core in Amaranth's simulator.

Xylo: clock cycles per time step at about 0 %, 10 % and 100 % hidden activity, on networks built
like the vendor cycle model's case (16/1000/8, fan-out 32, 30 % of the inputs active; scaled to
the core's size), beside the vendor model's figures where the size is that case
(rockpool's ``power_cycles_model`` for Xylo Audio 2), and the
real-time factor of a 1 ms step at a clock frequency (:func:`xylo_cycles`). DYNAP-CNN: clock cycles
per input event of a random single-core network filling the hardware core (:func:`dynapcnn_cycles`).
"""

from __future__ import annotations

import numpy as np
from amaranth.utils import ceil_log2

from spikegate.sim.xylo import XyloSim
from spikegate.sim.xylo.config import XyloConfig

#: The vendor cycle model at 16/1000/8, fan-out 32, 30 % input activity: hidden activity -> cycles.
VENDOR_CYCLES = {0.0: 38_900, 0.1: 68_000, 1.0: 331_000}
VENDOR_SIZE = (16, 1000, 8)
ACTIVITIES = (0.0, 0.1, 1.0)
#: Recurrent targets per neuron in the activity networks (the vendor case's average fan-out).
FANOUT = 32
#: Steps run per measurement: the first builds the spikes the measured (last) step sends on.
STEPS = 3


def activity_config(params, activity: float, seed: int = 0) -> XyloConfig:
    """A network on a core of ``params`` in which a fraction ``activity`` of the hidden neurons spike
    once per step under :func:`activity_raster`, the others never.

    Every neuron receives +20 from each input channel on synapse 1 (dash_syn 1, so its current
    settles near the per-step input of 100) and has ``dash_mem`` 0 (its membrane is that step's
    current); active neurons have threshold 70 (one spike: the current stays below 140 even with
    recurrent input), the others 32767. Each neuron sends weight 1 to ``min(FANOUT, ...)`` random
    targets, within the core's fan-out limits.
    """
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = params.n_inputs, params.n_hidden, params.n_outputs
    fanout = min(FANOUT, params.max_fanout, params.max_synapses // n_hid, n_hid)
    w_rec = np.zeros((n_hid, n_hid, 2), np.int64)
    for pre in range(n_hid):
        w_rec[pre, rng.choice(n_hid, fanout, replace=False), 0] = 1
    active = round(activity * n_hid)
    threshold = np.full(n_hid, 32767)
    threshold[rng.choice(n_hid, active, replace=False)] = 70
    return XyloConfig(
        weights_in=np.full((n_in, n_hid, 2), [20, 0]), weights_rec=w_rec,
        weights_out=rng.integers(-4, 5, (n_hid, n_out)),
        dash_mem=np.zeros(n_hid, np.int64), dash_syn=np.ones(n_hid, np.int64), dash_syn_2=np.ones(n_hid, np.int64),
        dash_mem_out=np.full(n_out, 4), dash_syn_out=np.full(n_out, 4),
        threshold=threshold, threshold_out=np.full(n_out, 500), version=params.version)


def activity_raster(params, steps: int = STEPS) -> np.ndarray:
    """30 % of the input channels (at least one) with 5 events each, every step: input 100 per neuron."""
    raster = np.zeros((steps, params.n_inputs), np.int64)
    active = max(1, round(0.3 * params.n_inputs))
    raster[:, :active] = max(1, round(5 / active))
    return raster


def xylo_cycles(params, clock_hz: float) -> list[dict]:
    """Simulate :func:`activity_config` at each of :data:`ACTIVITIES`; per activity: the measured
    hidden activity of the last step, its cycles, the vendor figure (when the core has the vendor
    case's size, else None), the step time at ``clock_hz`` and the real-time factor of a 1 ms step
    (1 ms divided by the step time: above 1 is faster than real time)."""
    from spikegate.hdl.xylo import simulate

    rows = []
    vendor_size = (params.n_inputs, params.n_hidden, params.n_outputs) == VENDOR_SIZE
    for activity in ACTIVITIES:
        config = activity_config(params, activity)
        raster = activity_raster(params)
        _, _, _, cycles = simulate(config, raster, record=False, params=params, load="direct")
        _, _, rec = XyloSim(config).evolve(raster, record=True)
        step_us = cycles[-1] / clock_hz * 1e6
        rows.append({"target_activity": activity,
                     "measured_activity": float(np.mean(rec["Spikes"][-1] > 0)),
                     "cycles": int(cycles[-1]),
                     "vendor_cycles": VENDOR_CYCLES[activity] if vendor_size else None,
                     "step_us": step_us,
                     "realtime_factor": 1000.0 / step_us})
    return rows


def dynapcnn_cycles(limits) -> dict:
    """Cycles per input event of a random 3x3-kernel network filling core 0 of ``limits`` (the nine
    :class:`~spikegate.hdl.dynapcnn.CoreLimits` of a design), in simulation."""
    from spikegate.hdl.dynapcnn import simulate
    from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, DvsLayerConfig

    rng = np.random.default_rng(0)
    limit = limits[0]
    features = max(1, min(limit.bias, limit.kernel // 16 // 2))
    side = max(1, int((limit.neuron // 2 // features) ** 0.5))
    while features * (1 << (2 * ceil_log2(side))) > limit.neuron and side > 1:
        side -= 1
    core = CoreConfig.from_weights(rng.integers(-20, 40, (features, 2, 3, 3)), (side, side), threshold_high=100,
                                   threshold_low=-100, padding=(1, 1), monitor_enable=True)
    chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (side, side)))
    events = np.zeros(64, INPUT_EVENT_DTYPE)
    events["x"], events["y"] = rng.integers(0, side, 64), rng.integers(0, side, 64)
    events["p"], events["t"] = rng.integers(0, 2, 64), np.arange(64)
    result = simulate(chip, events, limits=(limit,) + (None,) * (len(limits) - 1), read_membranes=False)
    return {"network": f"core 0: 2 -> {features} features, 3x3 kernel, {side}x{side} map, padding 1",
            "events": result.items, "cycles": result.cycles, "cycles_per_event": result.cycles_per_item,
            "synops_per_cycle": result.synops_per_cycle}
