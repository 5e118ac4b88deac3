"""A trained DYNAP-CNN network on real data: handwritten digits as events, float vs time-stepped vs chip.

Data: scikit-learn's bundled digits (1797 scanned handwritten digits, 8x8 pixels of 0..16 ink, UCI
"optdigits"), each pixel upsampled to 2x2 (16x16 maps) and turned into events: a pixel of ink v sends
``round(v / INK_PER_EVENT)`` ON events (channel 0), spread uniformly over ``STEPS`` steps of ``STEP_US``
µs. The first 80 % of the digits train, the rest test (a fixed, seeded split).

Network: Conv 1→8 k3 p1, ReLU, AvgPool 2, Conv 8→16 k3 p1, ReLU, AvgPool 2, Flatten, Linear 256→10
(no biases), trained in torch as an ANN on the event-count images (the rate the SNN integrates), then
converted with :func:`~spikegate.converter.dynapcnn.from_torch` (each ReLU an integrate-and-fire layer,
the poolings folded into the next weights) and placed on three cores.

Accuracies of the same test digits, side by side:

- **float**: the trained ANN on the count images;
- **time-stepped**: :class:`~spikegate.sim.dynapcnn.timestepped.DynapcnnTimeStepped` (sinabs' forward,
  several spikes per neuron and step) on the events binned into the ``STEPS`` steps;
- **chip**: the event-driven, bit-exact :class:`~spikegate.sim.dynapcnn.DynapcnnSim` on the events.

A digit's prediction is the output feature with the most output events (ties: the lowest).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, DynapcnnSim
from spikegate.sim.extras import require
from spikegate.sim.progress import bar as progress_bar
from spikegate.sim.progress import compiling

from ..training import train_epochs
from .convert import from_torch

SIZE = 16  #: map size after upsampling the 8x8 digits
UPSAMPLE = 2
INK_PER_EVENT = 4  #: ink (0..16 per 8x8 pixel) per input event: at most 4 events per pixel
STEPS = 4  #: time steps the events of a digit spread over
STEP_US = 1000
TRAIN_FRACTION = 0.8
CLASSES = 10


def load_digits_events(seed: int = 0) -> dict[str, np.ndarray]:
    """The digits as count images (N, 1, 16, 16) int64 and labels, split into train and test (seeded)."""
    require("the DYNAP-CNN digits demo", "sklearn")
    from sklearn.datasets import load_digits

    digits = load_digits()
    counts = np.rint(digits.images / INK_PER_EVENT).astype(np.int64)
    counts = counts.repeat(UPSAMPLE, axis=1).repeat(UPSAMPLE, axis=2)[:, None]
    order = np.random.default_rng(seed).permutation(len(counts))
    cut = int(TRAIN_FRACTION * len(counts))
    train, test = order[:cut], order[cut:]
    return {"x_train": counts[train], "y_train": digits.target[train].astype(np.int64),
            "x_test": counts[test], "y_test": digits.target[test].astype(np.int64)}


def to_events(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One (1, H, W) count image as input events (x, y, t µs, p = 0), time-sorted: each of a pixel's events
    at a uniformly drawn step, at a uniformly drawn µs within it."""
    y, x = np.nonzero(counts[0])
    repeats = counts[0, y, x]
    events = np.zeros(int(repeats.sum()), INPUT_EVENT_DTYPE)
    events["x"], events["y"] = np.repeat(x, repeats), np.repeat(y, repeats)
    events["t"] = rng.integers(0, STEPS, len(events)) * STEP_US + rng.integers(0, STEP_US, len(events))
    return events[np.argsort(events["t"], kind="stable")]


def to_raster(events: np.ndarray) -> np.ndarray:
    """(STEPS, 1, SIZE, SIZE) counts of the events per step (the time-stepped model's input)."""
    raster = np.zeros((STEPS, 1, SIZE, SIZE), np.int64)
    np.add.at(raster, (events["t"] // STEP_US, 0, events["y"], events["x"]), 1)
    return raster


def digits_network(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 4 * 4, CLASSES, bias=False))


def train(model: nn.Sequential, x: np.ndarray, y: np.ndarray, epochs: int, progress: bool = True) -> list[float]:
    """Adam on cross-entropy over the count images (batches of 64); returns the mean loss per epoch."""
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    inputs, targets = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    return train_epochs(optimiser, len(inputs), 64, epochs,
                        lambda _, batch: nn.functional.cross_entropy(model(inputs[batch]), targets[batch]),
                        desc="train DYNAP-CNN digits", progress=progress)


def chip_counts(config: ChipConfig, samples: list[np.ndarray], progress: bool = True) -> tuple[np.ndarray, float]:
    """(N, classes) output events per feature of the exit core on the event-driven model, and the wall time
    (s) of the run; numba's first compilation happens (announced) before the clock starts."""
    exit_core = config.layer_to_core[max(config.layer_to_core)]
    net = DynapcnnSim(config)
    with compiling("DynapcnnSim"):
        net(samples[0])
    counts = np.zeros((len(samples), CLASSES), np.int64)
    start = time.perf_counter()
    for i, events in enumerate(progress_bar(samples, desc="DynapcnnSim (chip)", unit="digit", enabled=progress)):
        net.reset_states()
        out = net(events)
        counts[i] = np.bincount(out["feature"][out["layer"] == exit_core], minlength=CLASSES)
    return counts, time.perf_counter() - start


def timestepped_counts(config: ChipConfig, rasters: np.ndarray) -> tuple[np.ndarray, float]:
    """(N, classes) output spikes of the exit core on the time-stepped model (one batch), and the wall time."""
    from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

    exit_core = config.layer_to_core[max(config.layer_to_core)]
    start = time.perf_counter()
    spikes = DynapcnnTimeStepped(config, device="cpu")(rasters).spikes[exit_core]
    counts = spikes.sum(dim=(1, 3, 4)).round().to(torch.int64).numpy()
    return counts, time.perf_counter() - start


def plot(path: Path, events: np.ndarray, label: int, counts: dict[str, np.ndarray], accuracies: dict[str, float]):
    """PNG: one test digit's input events (per pixel, and over time), its output per class on the chip and
    the time-stepped model, and the three accuracies."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 3.6), layout="constrained")
    image, timeline, outputs, scores = figure.subplots(1, 4, width_ratios=(1, 1.1, 1.4, 1))
    picture = np.zeros((SIZE, SIZE), np.int64)
    np.add.at(picture, (events["y"], events["x"]), 1)
    shown = image.imshow(picture, cmap="Greys", interpolation="nearest")
    figure.colorbar(shown, ax=image, shrink=0.8, label="events per pixel")
    image.set_title(f"input: a test digit {label}\n({len(events)} events)")
    image.set_xlabel("x")
    image.set_ylabel("y")
    timeline.scatter(events["t"] / 1000, events["y"] * SIZE + events["x"], s=3, c="k")
    timeline.set_xlabel("time (ms)")
    timeline.set_ylabel("pixel (y·16 + x)")
    timeline.set_title("input events over time")
    width = 0.4
    for offset, (name, colour) in zip((-width / 2, width / 2), (("chip", "tab:blue"), ("time-stepped", "tab:orange"))):
        outputs.bar(np.arange(CLASSES) + offset, counts[name], width, color=colour, label=name)
    outputs.set_xticks(np.arange(CLASSES))
    outputs.set_xlabel("class (output feature)")
    outputs.set_ylabel("output events")
    outputs.axvline(label, color="tab:green", ls=":", lw=1.5, label=f"true class {label}")
    outputs.legend(fontsize="small")
    outputs.set_title(f"output per class: chip predicts {int(np.argmax(counts['chip']))}")
    names = list(accuracies)
    scores.bar(np.arange(len(names)), [100 * accuracies[n] for n in names], color=["tab:gray", "tab:orange", "tab:blue"])
    scores.set_xticks(np.arange(len(names)), [n.replace("-", "-\n") for n in names])
    for i, name in enumerate(names):
        scores.text(i, 100 * accuracies[name] + 1, f"{accuracies[name]:.1%}", ha="center")
    scores.set_ylim(0, 110)
    scores.set_ylabel("test accuracy (%)")
    scores.set_title("test accuracy")
    figure.savefig(path, dpi=110)


def demo(out_dir, seed: int = 0, epochs: int = 15, test_samples: int | None = None, progress: bool = True) -> dict:
    """Train, convert, run on both models, compare and plot; writes ``config.json`` and ``digits.png`` into
    ``out_dir`` and returns the figures (accuracies, timings excluding numba's compilation, placement).
    ``test_samples`` limits the test digits (all 360 by default)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_digits_events(seed)
    x_test, y_test = data["x_test"][:test_samples], data["y_test"][:test_samples]
    model = digits_network(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small batches: more threads only contend on 2 busy cores
    start = time.perf_counter()
    try:
        history = train(model, data["x_train"], data["y_train"], epochs, progress)
    finally:
        torch.set_num_threads(threads)
    train_s = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        float_predictions = model(torch.tensor(x_test, dtype=torch.float32)).argmax(dim=1).numpy()
    config = from_torch(model, (1, SIZE, SIZE))
    config.save(out / "config.json")
    rng = np.random.default_rng(seed)
    samples = [to_events(image, rng) for image in x_test]
    chip, chip_s = chip_counts(config, samples, progress)
    stepped, stepped_s = timestepped_counts(config, np.stack([to_raster(e) for e in samples]))
    accuracies = {"float": float((float_predictions == y_test).mean()),
                  "time-stepped": float((stepped.argmax(axis=1) == y_test).mean()),
                  "chip": float((chip.argmax(axis=1) == y_test).mean())}
    plot(out / "digits.png", samples[0], int(y_test[0]), {"chip": chip[0], "time-stepped": stepped[0]}, accuracies)
    return {
        "data": "scikit-learn digits (8x8, upsampled to 16x16, as events)", "train_samples": len(data["x_train"]),
        "test_samples": len(y_test), "epochs": epochs, "final_loss": round(history[-1], 4),
        "accuracy_float": accuracies["float"], "accuracy_timestepped": accuracies["time-stepped"],
        "accuracy_chip": accuracies["chip"],
        "chip_agrees_with_timestepped": float((chip.argmax(axis=1) == stepped.argmax(axis=1)).mean()),
        "mean_input_events": float(np.mean([len(e) for e in samples])),
        "placement": dict(sorted(config.layer_to_core.items())), "digest": config.digest(),
        "train_s": round(train_s, 2), "chip_s": round(chip_s, 3), "timestepped_s": round(stepped_s, 3),
        "config": str(out / "config.json"), "plot": str(out / "digits.png"),
    }
