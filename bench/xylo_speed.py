"""Speed of the Xylo model (spikegate.sim.xylo.XyloSim) against the vendor's xylosim, in one process.

    python bench/xylo_speed.py                 # batch 1 and batch 256, writes bench/results/xylo_speed.json
    python bench/xylo_speed.py --growth        # time against work at 100/1000 neurons, 1%/10%/50% activity,
                                               # plot in docs/xylo_growth.png

The workload: 16 inputs, 1000 hidden, 8 readout neurons, 32 recurrent targets per hidden neuron,
T = 2000 steps of Poisson input counts, the hidden threshold calibrated so that the network emits
about 3 hidden spikes per step. Both simulators see the same config and rasters and must agree on
every record. xylosim has no batch mode: at batch B it runs sample after sample, so it is timed on
``--ref-samples`` samples of the batch and its per-sample time is compared with spikegate's batch
time divided by B. spikegate's compile time (first call in a process without a cache) is excluded
and printed separately. Work done is counted as steps, hidden spikes and synaptic additions (one per
(target, synapse) entry of each active source, :meth:`XyloSim.synaptic_events`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig, XyloSim

N_IN, N_HID, N_OUT, FANOUT, STEPS = 16, 1000, 8, 32, 2000
INPUT_RATE = 0.1  # mean input events per channel and step


def network(n_hid: int, threshold: int, seed: int = 0) -> XyloConfig:
    """The bench network: dense input weights, ``FANOUT`` random recurrent targets per neuron on
    synapse 1, dense readout weights, one hidden threshold for all neurons."""
    rng = np.random.default_rng(seed)
    w_rec = np.zeros((n_hid, n_hid), np.int64)
    fanout = min(FANOUT, n_hid)
    for pre in range(n_hid):
        w_rec[pre, rng.choice(n_hid, fanout, replace=False)] = rng.integers(-128, 128, fanout)
    return XyloConfig.from_spec(
        weights_in=rng.integers(-128, 128, (N_IN, n_hid)), weights_rec=w_rec,
        weights_out=rng.integers(-128, 128, (n_hid, N_OUT)), dash_mem=4, dash_syn=3, dash_mem_out=4,
        dash_syn_out=3, threshold=threshold, threshold_out=4000, weight_shift_in=2, weight_shift_rec=1,
        weight_shift_out=3)


def rasters(batch: int, steps: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).poisson(INPUT_RATE, (batch, steps, N_IN))


def spikes_per_step(spikes: np.ndarray) -> float:
    """Hidden spikes (counts) per step."""
    return float(spikes.sum() / spikes.shape[0])


def activity(spikes: np.ndarray) -> float:
    """Fraction of hidden neurons that spike in a step."""
    return float(np.mean(spikes > 0))


def calibrate(n_hid: int, target: float, statistic=spikes_per_step, steps: int = 500) -> XyloConfig:
    """The bench network whose threshold brings ``statistic(rec["Spikes"])`` to about ``target``
    (bisection on the threshold, which activity decreases with, using the spikegate model)."""
    raster = rasters(1, steps)[0]
    lo, hi = 1, 32767
    while lo < hi:
        mid = (lo + hi) // 2
        _, _, rec = XyloSim(network(n_hid, mid)).evolve(raster, record=True)
        if statistic(rec["Spikes"]) > target:
            lo = mid + 1
        else:
            hi = mid
    return network(n_hid, lo)


def xylosim_run(config: XyloConfig, raster: np.ndarray) -> tuple[float, float, dict]:
    """xylosim on one sample, layer construction excluded: (seconds of ``evolve`` alone, seconds
    including reading its records into numpy arrays as rockpool does, records)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from xylo_reference import Reference

    reference = Reference(config)
    start = time.perf_counter()
    reference.run(raster)
    evolved = time.perf_counter()
    rec = reference.records()
    return evolved - start, time.perf_counter() - start, rec


def measure(config: XyloConfig, batch: int, steps: int, record: bool, ref_samples: int, repeats: int) -> dict:
    """Time spikegate on a (batch, steps) raster and xylosim on ``ref_samples`` of its samples,
    checking that every record agrees. The two are timed in turns, ``repeats`` times, and the best
    time of each is kept, so that both see the same load on a shared machine."""
    raster = rasters(batch, steps)
    timed = min(ref_samples, batch)
    sim = XyloSim(config)
    _, _, rec = sim.evolve(raster[:timed], record=True)
    ours, ref_evolve, ref_time = [], [], []
    for _ in range(repeats):
        sim.reset_state()
        start = time.perf_counter()
        sim.evolve(raster if batch > 1 else raster[0], record=record)
        ours.append(time.perf_counter() - start)
        evolve_total = total = 0.0
        for b in range(timed):
            evolve_seconds, seconds, ref_rec = xylosim_run(config, raster[b])
            evolve_total += evolve_seconds
            total += seconds
            assert_same(ref_rec, {name: value[b] for name, value in rec.items()}, names=("xylosim", "spikegate"),
                        context=f"sample {b}")
        ref_evolve.append(evolve_total / timed)
        ref_time.append(total / timed)
    ours, ref_per_sample, ref_evolve = min(ours), min(ref_time), min(ref_evolve)
    events = sim.synaptic_events(raster[:timed], rec["Spikes"])
    per_sample = ours / batch
    return {
        "batch": batch, "steps": steps, "record": record, "threads": _threads(), "repeats": repeats,
        "spikegate_s": ours, "spikegate_steps_per_s": batch * steps / ours,
        "xylosim_s_per_sample": ref_per_sample, "xylosim_evolve_only_s_per_sample": ref_evolve,
        "xylosim_samples_timed": timed, "ratio_to_evolve_only": ref_evolve / per_sample,
        "xylosim_steps_per_s": steps / ref_per_sample, "ratio_per_sample": ref_per_sample / per_sample,
        "hidden_spikes_per_step": float(rec["Spikes"].sum() / (timed * steps)),
        "hidden_activity": activity(rec["Spikes"]),
        "synaptic_events_per_step": {k: float(v.sum() / v.size) for k, v in events.items()},
    }


def machine() -> dict:
    """The CPU, its cores and the load on it (other processes share a 2-core CI machine)."""
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_1min": os.getloadavg()[0]}


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def report(name: str, row: dict) -> None:
    events = row["synaptic_events_per_step"]
    print(f"{name}: batch {row['batch']} x {row['steps']} steps (record={row['record']}, {row['threads']} threads)")
    print(f"  spikegate {row['spikegate_s']:.4f} s  {row['spikegate_steps_per_s']:,.0f} sample-steps/s")
    print(f"  xylosim   {row['xylosim_s_per_sample']:.4f} s per sample ({row['xylosim_samples_timed']} timed)  "
          f"{row['xylosim_steps_per_s']:,.0f} steps/s")
    print(f"  ratio per sample: {row['ratio_per_sample']:.0f}x (against xylosim's evolve alone, records left "
          f"unread: {row['ratio_to_evolve_only']:.0f}x)")
    print(f"  work per sample-step: {row['hidden_spikes_per_step']:.2f} hidden spikes, synaptic additions "
          + ", ".join(f"{k} {v:.0f}" for k, v in events.items()))


def growth(path: Path, repeats: int) -> list[dict]:
    """Time against work at 100 and 1000 hidden neurons and about 1%, 10%, 50% of them spiking per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for n_hid in (100, 1000):
        for target in (0.01, 0.1, 0.5):
            config = calibrate(n_hid, target, activity)
            row = measure(config, 1, STEPS, True, 1, repeats)
            row.update(n_hidden=n_hid, target_activity=target)
            rows.append(row)
            work = sum(row["synaptic_events_per_step"].values())
            print(f"Nhid {n_hid:5d} activity {target:4.0%}: {row['hidden_activity']:6.1%} measured, "
                  f"{work:8.0f} additions/step, spikegate {row['spikegate_steps_per_s']:10,.0f} steps/s, "
                  f"xylosim {row['xylosim_steps_per_s']:8,.0f} steps/s, {row['ratio_per_sample']:.0f}x")
    fig, ax = plt.subplots(figsize=(6, 4))
    for model, key, color in (("spikegate", "spikegate_s", "C0"), ("xylosim", "xylosim_s_per_sample", "C3")):
        for n_hid, marker, style in ((100, "o", "--"), (1000, "s", "-")):
            sel = [r for r in rows if r["n_hidden"] == n_hid]
            work = [sum(r["synaptic_events_per_step"].values()) * r["steps"] for r in sel]
            ax.loglog(work, [r[key] for r in sel], marker=marker, linestyle=style, color=color,
                      label=f"{model}, {n_hid} neurons")
    ax.set_xlabel(f"synaptic additions in {STEPS} steps (1%, 10%, 50% hidden activity)")
    ax.set_ylabel("seconds (batch 1, every state recorded)")
    ax.set_title("Xylo model: time against work")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/xylo_speed.json"), help="figures out")
    parser.add_argument("--batch", type=int, default=256, help="batch size of the batched run")
    parser.add_argument("--ref-samples", type=int, default=4, help="samples xylosim runs at the batched size")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (best is kept)")
    parser.add_argument("--growth", action="store_true", help="also measure time against work, plot it")
    parser.add_argument("--plot", type=Path, default=Path("docs/xylo_growth.png"), help="growth plot out")
    args = parser.parse_args()

    start = time.perf_counter()
    config = calibrate(N_HID, 3.0)
    XyloSim(config).evolve(rasters(2, 2))  # compile, or load the cached machine code
    setup = time.perf_counter() - start
    print(f"config {config!r}, threshold {int(config.threshold[0])}; set-up incl. compile {setup:.1f} s")
    results = {"machine": machine(),
               "workload": {"Nin": N_IN, "Nhid": N_HID, "Nout": N_OUT, "fanout": FANOUT, "steps": STEPS,
                            "input_rate": INPUT_RATE}}
    print(f"machine: {results['machine']}")
    results["batch1"] = measure(config, 1, STEPS, True, 1, args.repeats)
    report("batch 1, every state recorded", results["batch1"])
    results["batched"] = measure(config, args.batch, STEPS, False, args.ref_samples, args.repeats)
    report(f"batch {args.batch}, outputs only", results["batched"])
    if args.growth:
        results["growth"] = growth(args.plot, args.repeats)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"figures: {args.json}")


if __name__ == "__main__":
    main()
