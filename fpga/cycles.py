"""Cycle figures of a build, measured by running the core in Amaranth's simulator.

Xylo: clock cycles per time step at about 0 %, 10 % and 100 % hidden activity, on networks built
like the vendor cycle model's case (16/1000/8, fan-out 32, 30 % of the inputs active; scaled to
the core's size), beside the vendor model's figures where the size is that case
(rockpool's ``power_cycles_model`` for Xylo Audio 2), and the
real-time factor of a 1 ms step at a clock frequency. DYNAP-CNN: clock cycles per input event of a
random single-core network filling the hardware core.
"""

from __future__ import annotations

import numpy as np

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
