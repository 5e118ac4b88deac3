"""The main job: the seed MNIST network converted, placed and run on a synthetic event stream.

The network is the one of sinabs' documentation (spec §8): Conv 1→20 k5, ReLU, AvgPool 2, Conv 20→32 k5,
ReLU, AvgPool 2, Conv 32→128 k3, ReLU, AvgPool 2, Flatten, Linear 128→500, ReLU, Linear 500→10, input
(1, 28, 28). Untrained torch initialisation leaves the deeper layers silent, so :func:`active_network`
draws seeded weights around a positive mean, scaled per layer so that after discretization every layer
has the spec's threshold and its weights span −127..127 (every layer, the output included, then fires on
the synthetic input). The input is a digit-like ring drawn on the 28×28 map and moving across it; each
step emits the pixels it enters (as a DVS sees a moving edge), channel 0.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, DynapcnnSim
from spikegate.sim.progress import bar as progress_bar
from spikegate.sim.progress import compiling

from .convert import from_torch, memory_summary

INPUT_SHAPE = (1, 28, 28)
#: Per weight layer: the threshold_high it gets after discretization (spec §8), and the mean of its
#: integer weights (spread 45, clipped to ±127); the same figures as bench/dynapcnn_speed.py.
ACTIVE_LAYERS = ((635, 12), (11361, 6), (8621, 8), (5747, 8), (2841, 8))
WEIGHT_SPREAD = 45
STEP_US = 1000  #: time between two positions of the moving ring


def seed_network() -> nn.Sequential:
    """The seed MNIST ANN with torch's default initialisation (seed it with ``torch.manual_seed``)."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 5, 1, bias=False), nn.ReLU(), nn.AvgPool2d(2, 2),
        nn.Conv2d(20, 32, 5, 1, bias=False), nn.ReLU(), nn.AvgPool2d(2, 2),
        nn.Conv2d(32, 128, 3, 1, bias=False), nn.ReLU(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(128, 500, bias=False), nn.ReLU(), nn.Linear(500, 10, bias=False))


def active_network(seed: int = 0) -> nn.Sequential:
    """The seed network with weights ``w / (θ · rescale)``: w integers drawn around a positive mean (largest
    127), θ the layer's target threshold, rescale the ``1/4`` of the AvgPool before it. Discretization
    (ReLU → threshold 1) then gives back w and θ."""
    rng = np.random.default_rng(seed)
    model = seed_network()
    weights = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    for index, (module, (threshold, mean)) in enumerate(zip(weights, ACTIVE_LAYERS)):
        drawn = np.clip(np.round(rng.normal(mean, WEIGHT_SPREAD, module.weight.shape)), -127, 127)
        drawn.flat[0] = 127
        rescale = 0.25 if 1 <= index <= 3 else 1.0
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(drawn / (threshold * rescale)))
    return model


def moving_ring_events(n_events: int, seed: int = 0, size: int = 28) -> np.ndarray:
    """``n_events`` input events (x, y, t µs, p = 0) of a ring (outer radius 6, inner 3, slightly
    elliptic: a '0') moving on a seeded random walk over the ``size`` × ``size`` map; each step emits, in
    random order, the pixels the ring enters. Timestamps are sorted, one step every ``STEP_US``."""
    if n_events < 0:
        raise ValueError(f"n_events: value {n_events} is negative")
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:size, 0:size]
    center = np.array([size / 2, size / 2])
    velocity = rng.normal(0, 1, 2)
    previous = np.zeros((size, size), bool)
    chunks, total, step = [], 0, 0
    while total < n_events:
        velocity = np.clip(velocity + rng.normal(0, 0.3, 2), -1.5, 1.5)
        center = np.clip(center + velocity, 7, size - 8)
        radius = np.hypot((xs - center[0]) / 0.8, ys - center[1])
        ring = (radius >= 3) & (radius <= 6)
        y, x = np.nonzero(ring & ~previous)
        order = rng.permutation(len(x))
        chunk = np.zeros(len(x), INPUT_EVENT_DTYPE)
        chunk["x"], chunk["y"], chunk["t"] = x[order], y[order], step * STEP_US
        chunks.append(chunk)
        total += len(chunk)
        previous, step = ring, step + 1
    return np.concatenate(chunks)[:n_events] if chunks else np.zeros(0, INPUT_EVENT_DTYPE)


def run_events(config: ChipConfig, events: np.ndarray, chunk: int = 1000, order: str = "depth-first",
               progress: bool = True) -> dict:
    """Feed ``events`` to :class:`DynapcnnSim` in chunks (tqdm bar); returns the output events, the
    per-core counters and the wall time (s)."""
    with compiling("DynapcnnSim"):  # numba's first compilation, announced and outside the timed run
        DynapcnnSim(config, order=order)(events[:1])
    net = DynapcnnSim(config, order=order)
    outputs = []
    start = time.perf_counter()
    with progress_bar(total=len(events), unit="ev", desc="DynapcnnSim", enabled=progress) as bar:
        for begin in range(0, len(events), chunk):
            part = events[begin:begin + chunk]
            outputs.append(net(part))
            bar.update(len(part))
    wall = time.perf_counter() - start
    out = np.concatenate(outputs) if outputs else net(events[:0])
    return {"outputs": out, "counters": net.counters, "wall_s": wall}


def report(config: ChipConfig, result: dict) -> str:
    """A table: per used core, its layer, memory (entries / capacity), events in / out, synaptic operations."""
    from spikegate.sim.dynapcnn import CHIP_PROFILES

    layers = {core: layer for layer, core in config.layer_to_core.items()}
    memory = memory_summary(config)
    counters = result["counters"]
    lines = [f"placement (layer -> core): {dict(sorted(config.layer_to_core.items()))}",
             f"{'core':>4} {'layer':>5} {'kernel mem':>15} {'neuron mem':>15} {'bias':>9} {'events in':>10} "
             f"{'events out':>10} {'synops':>12}"]
    for core in config.used_cores:
        layer, capacity = layers[core], CHIP_PROFILES[config.chip][core]
        cells = [f"{memory[kind][layer]}/{capacity[kind]}" for kind in ("kernel", "neuron", "bias")]
        lines.append(f"{core:>4} {layer:>5} {cells[0]:>15} {cells[1]:>15} {cells[2]:>9} "
                     f"{counters['events_in'][core]:>10} {counters['events_out'][core]:>10} "
                     f"{counters['synops'][core]:>12}")
    lines.append(f"total synaptic operations {int(counters['synops'].sum())}, output events {len(result['outputs'])}, "
                 f"{result['wall_s']:.2f} s")
    return "\n".join(lines)


def plot_outputs(config: ChipConfig, outputs: np.ndarray, path: Path) -> None:
    """PNG of the monitored exit core's output: spike counts per feature, and their raster over time steps."""
    from matplotlib.figure import Figure

    from spikegate.sim.plots import raster_plot

    exit_core = config.layer_to_core[max(config.layer_to_core)]
    features = config.cores[exit_core].features
    mine = outputs[outputs["layer"] == exit_core]
    counts = np.bincount(mine["feature"], minlength=features)
    steps = int(mine["t"].max()) // STEP_US + 1 if len(mine) else 1
    binned = np.zeros((steps, features), np.int64)
    np.add.at(binned, (mine["t"] // STEP_US, mine["feature"]), 1)
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    bars, raster = figure.subplots(1, 2, width_ratios=(1, 2))
    bars.bar(np.arange(features), counts, color="tab:blue")
    bars.set_xticks(np.arange(features))
    bars.set_xlabel("output feature")
    bars.set_ylabel("spikes")
    bars.set_title(f"core {exit_core}: {int(counts.sum())} output spikes")
    raster_plot(binned, ax=raster, dt=STEP_US * 1e-6, title="output spikes over time")
    raster.set_ylabel("output feature")
    figure.savefig(path, dpi=110)


def demo(out_dir, n_events: int = 20000, seed: int = 0, chunk: int = 1000, order: str = "depth-first",
         progress: bool = True) -> dict:
    """Convert and place the active seed network, write its config (JSON), run ``n_events`` synthetic
    events through :class:`DynapcnnSim`, print the per-core table and plot the output counts (PNG).
    Returns the figures (placement, memory, counters, digest, paths)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = from_torch(active_network(seed), INPUT_SHAPE)
    config.save(out / "seed_config.json")
    events = moving_ring_events(n_events, seed=seed)
    result = run_events(config, events, chunk=chunk, order=order, progress=progress)
    print(report(config, result))
    plot_outputs(config, result["outputs"], out / "output_counts.png")
    counters = result["counters"]
    return {
        "config": str(out / "seed_config.json"), "digest": config.digest(), "plot": str(out / "output_counts.png"),
        "placement": dict(sorted(config.layer_to_core.items())), "memory": memory_summary(config),
        "order": order, "input_events": len(events), "output_events": len(result["outputs"]),
        "events_out_per_core": {core: int(counters["events_out"][core]) for core in config.used_cores},
        "synops_per_core": {core: int(counters["synops"][core]) for core in config.used_cores},
        "synops": int(counters["synops"].sum()), "wall_s": round(result["wall_s"], 3),
    }
