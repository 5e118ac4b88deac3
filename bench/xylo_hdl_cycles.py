"""Clock cycles per time step of the full-size XyloCore (16/1000/8, fan-out 32) at 0 %, ~10 % and 100 %
hidden activity, measured in Amaranth's simulator, beside the vendor's cycle model for Xylo Audio 2
(the vendor's cycle model: 38.9k / 68k / 331k cycles with 30 % input activity), run compiled
by :func:`spikegate.fpga.compiled.simulate_xylo` (the same design; equal to the Python simulator, cycles included).

Activity is set exactly with the version-2 bias: with ``dash_syn = dash_mem = 0`` a neuron's membrane
is ``bias`` every step, so ``bias = threshold`` gives one spike per step and ``bias = 0`` none,
whatever the weights. Every step also carries 5 of 16 input channels (30 %) and each spiking neuron's
32 recurrent targets and 8 readout weights. The version-1 figure is :func:`step_cycles` at the same
activity (the formula is checked against the simulation in tests/test_xylo_hdl.py).

    python bench/xylo_hdl_cycles.py            # about 30 s, most of it the first g++ build
"""

import time

import numpy as np

from spikegate.fpga.cycles import VENDOR_CYCLES as VENDOR
from spikegate.fpga.compiled import simulate_xylo
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.hdl.xylo.core import step_cycles
from spikegate.sim.xylo import XyloConfig, XyloSim

N_IN, N_HID, N_OUT, FANOUT = 16, 1000, 8, 32
THRESHOLD = 1000


def config(activity: float, rng: np.random.Generator) -> XyloConfig:
    w_rec = np.zeros((N_HID, N_HID, 2), np.int64)
    for pre in range(N_HID):
        w_rec[pre].reshape(-1)[rng.choice(2 * N_HID, FANOUT, replace=False)] = rng.integers(1, 128, FANOUT)
    active = rng.random(N_HID) < activity if 0 < activity < 1 else np.full(N_HID, activity == 1)
    return XyloConfig.from_spec(
        weights_in=rng.integers(-128, 128, (N_IN, N_HID, 2)), weights_rec=w_rec,
        weights_out=rng.integers(-128, 128, (N_HID, N_OUT)), dash_mem=0, dash_syn=0, dash_syn_2=0,
        threshold=THRESHOLD, bias=np.where(active, THRESHOLD, 0), threshold_out=30000, dash_syn_out=0,
        dash_mem_out=0, version=2)


def main():
    rng = np.random.default_rng(0)
    raster = np.zeros((2, N_IN), np.int64)
    raster[:, :5] = 1  # 30 % input activity; step 1 also carries step 0's hidden spikes
    v1 = XyloCoreParams(N_IN, N_HID, N_OUT, version=1)
    print(f"{'activity':>8} {'spiking':>8} {'v2 sim':>8} {'v1 formula':>10} {'vendor':>8} {'v1/vendor':>9} {'sim s':>6}")
    for activity in (0.0, 0.1, 1.0):
        cfg = config(activity, rng)
        start = time.perf_counter()
        _, _, _, cycles = simulate_xylo(cfg, raster, record=False, params=XyloCoreParams(version=2))
        seconds = time.perf_counter() - start
        _, _, rec = XyloSim(cfg).evolve(raster, record=True)
        spiking = int(np.count_nonzero(rec["Spikes"][1]))
        fanout = int(np.count_nonzero(cfg.weights_rec[rec["Spikes"][0] > 0]))
        formula_v1 = step_cycles(v1, active_inputs=5, active_sources=int(np.count_nonzero(rec["Spikes"][0])),
                                 fanout_entries=fanout, own_spikes=int(rec["Spikes"][1].sum()), alias_pushes=0,
                                 output_spikes=0)
        print(f"{activity:>8.0%} {spiking:>8} {cycles[1]:>8} {formula_v1:>10} {VENDOR[activity]:>8} "
              f"{formula_v1 / VENDOR[activity]:>9.2f} {seconds:>6.1f}")


if __name__ == "__main__":
    main()
