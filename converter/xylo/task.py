"""The spike-timing task of rockpool's Xylo tutorial, trained in torch, converted and run on the
bit-exact model: the main job behind ``spikegate xylo train`` and ``spikegate demo``.

Task (deterministic for a seed): 16 input channels and ``steps`` steps of 1 ms. Two frozen random
Poisson patterns (60 Hz per channel) are the two classes; each trial keeps every event of its class's
pattern with probability 0.95 and adds background events at 5 Hz (inputs are event counts 0/1).
Target: for class ``c``, readout neuron ``c`` fires within ``window`` steps of ``t_target`` and never
elsewhere, and the other readout neuron stays silent. A trial is *correct* when exactly that happens.

Network (rockpool's tutorial shape): 16 inputs → 63 LIF → residual block (63 → 63 LIF with recurrent
weights) → 2 readout neurons; 126 hidden neurons on the chip, the first population aliased into the
second.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spikegate.sim.progress import bar as progress_bar
from spikegate.sim.progress import compiling
from spikegate.sim.plots import membrane_plot, raster_plot
from spikegate.sim.xylo import XyloConfig, XyloSim

from ..training import train_epochs
from .modules import LIF, Readout, Residual, XyloNet
from .quantize import fake_quantize, quantize

DT = 1e-3
N_INPUTS, N_HIDDEN, N_OUTPUTS = 16, 63, 2


@dataclass
class TimingTask:
    """Inputs (N, T, 16) int64 event counts and classes (N,) for training and testing."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    t_target: int
    window: int

    @property
    def steps(self) -> int:
        return self.x_train.shape[1]

    def target_window(self, steps: int) -> np.ndarray:
        """(steps,) bool: the steps within ``window`` steps of ``t_target``."""
        inside = np.zeros(steps, bool)
        inside[self.t_target - self.window: self.t_target + self.window + 1] = True
        return inside

    def correct(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(N,) bool: readout ``y`` fires inside the target window and nowhere else, the other is silent."""
        out = np.asarray(out) > 0
        inside = self.target_window(out.shape[1])
        rows = np.arange(len(y))
        target, other = out[rows, :, y], out[rows, :, 1 - y]
        return target[:, inside].any(1) & ~target[:, ~inside].any(1) & ~other.any(1)


def make_task(seed: int = 0, n_train: int = 128, n_test: int = 64, steps: int = 100, t_target: int = 70,
              window: int = 5, rate: float = 60.0, keep: float = 0.95, noise_rate: float = 5.0) -> TimingTask:
    """The task for ``seed`` (rates in Hz at ``dt`` = 1 ms); see the module docstring."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((N_OUTPUTS, steps, N_INPUTS)) < rate * DT

    def trials(n):
        y = np.arange(n) % N_OUTPUTS
        kept = patterns[y] & (rng.random((n, steps, N_INPUTS)) < keep)
        noise = rng.random((n, steps, N_INPUTS)) < noise_rate * DT
        return (kept | noise).astype(np.int64), y

    (x_train, y_train), (x_test, y_test) = trials(n_train), trials(n_test)
    return TimingTask(x_train, y_train, x_test, y_test, t_target, window)


def tutorial_network(seed: int = 0) -> XyloNet:
    """16 → 63 LIF → Residual(63 → 63 recurrent LIF) → 2 readout neurons, seeded."""
    torch.manual_seed(seed)
    net = XyloNet(
        nn.Linear(N_INPUTS, N_HIDDEN, bias=False),
        LIF(N_HIDDEN, tau_mem=8e-3, tau_syn=4e-3, dt=DT),
        Residual(nn.Linear(N_HIDDEN, N_HIDDEN, bias=False),
                 LIF(N_HIDDEN, tau_mem=16e-3, tau_syn=4e-3, dt=DT, recurrent=True)),
        nn.Linear(N_HIDDEN, N_OUTPUTS, bias=False),
        Readout(N_OUTPUTS, tau_mem=16e-3, tau_syn=8e-3, dt=DT),
    )
    with torch.no_grad():
        net.layers[3].weight.mul_(0.1)  # a quiet readout to start from
    return net


def timing_loss(vmem_pre: torch.Tensor, y: torch.Tensor, task: TimingTask) -> torch.Tensor:
    """Hinge loss on the readout membranes (before reset, in units of threshold): the target readout
    must reach 1.2 inside its window; every other (step, readout) must stay below 0.8."""
    inside = torch.from_numpy(task.target_window(vmem_pre.shape[1]))
    target = torch.zeros_like(vmem_pre, dtype=torch.bool)
    target[torch.arange(len(y)), :, y] = inside
    peak = vmem_pre.masked_fill(~target, -1e9).amax(dim=(1, 2))
    miss = torch.relu(1.2 - peak) ** 2
    false = torch.relu(vmem_pre - 0.8).masked_fill(target, 0.0) ** 2
    return miss.mean() + false.sum(dim=(1, 2)).mean()


def train(net: XyloNet, task: TimingTask, epochs: int = 30, batch_size: int = 16, lr: float = 5e-3,
          qat_epochs: int = 0, progress: bool = True) -> list[float]:
    """Adam on :func:`timing_loss`; returns the mean loss of each epoch. The last ``qat_epochs`` of
    the ``epochs`` are quantization-aware: they run the chip's integer arithmetic on the quantized
    weights (:func:`~.quantize.fake_quantize`, ``Layout.run(integer=True)``) with straight-through
    gradients to the float weights. Runs torch on one thread: the steps are small, and more threads
    only contend (several times slower on 2 busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(net, task, epochs, batch_size, lr, qat_epochs, progress)
    finally:
        torch.set_num_threads(threads)


def _train(net: XyloNet, task: TimingTask, epochs: int, batch_size: int, lr: float, qat_epochs: int,
           progress: bool) -> list[float]:
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    x = torch.tensor(task.x_train, dtype=torch.float32)
    y = torch.tensor(task.y_train)

    def loss_of(epoch: int, batch: torch.Tensor) -> torch.Tensor:
        integer = epoch >= epochs - qat_epochs
        layout = fake_quantize(net.layout()) if integer else net.layout()
        _, rec = layout.run(x[batch], integer=integer)
        return timing_loss(rec["Vmem_out_pre"] / layout.threshold_out, y[batch], task)

    return train_epochs(optimiser, len(x), batch_size, epochs, loss_of, progress=progress)


def run_chip(config: XyloConfig, raster: np.ndarray, chunk: int = 50, progress: bool = True):
    """``XyloSim(config).evolve`` over ``raster`` ((T, Nin) or (B, T, Nin)) in chunks of ``chunk``
    steps with a progress bar (state carries over between chunks). Returns ``(out, rec)``."""
    sim = XyloSim(config)
    axis = raster.ndim - 2
    outs, recs = [], []
    for start in progress_bar(range(0, raster.shape[axis], chunk), desc="simulate", unit="chunk", enabled=progress):
        with compiling("XyloSim"):  # numba's first compilation (first chunk only), announced when it takes a while
            out, _, rec = sim.evolve(np.take(raster, range(start, min(start + chunk, raster.shape[axis])), axis=axis),
                                     record=True)
        outs.append(out)
        recs.append(rec)
    return np.concatenate(outs, axis=axis), {k: np.concatenate([r[k] for r in recs], axis=axis) for k in recs[0]}


def compare(task: TimingTask, float_out: np.ndarray, chip_out: np.ndarray) -> dict[str, float]:
    """Task accuracy of both runs and how well the chip's readout spikes match the float network's."""
    float_ok, chip_ok = task.correct(float_out, task.y_test), task.correct(chip_out, task.y_test)
    f, c = float_out > 0, chip_out > 0
    return {
        "accuracy_float": float(float_ok.mean()),
        "accuracy_chip": float(chip_ok.mean()),
        "decision_agreement": float((float_ok == chip_ok).mean()),
        "output_bin_agreement": float((f == c).mean()),
        "output_spikes_float": int(f.sum()),
        "output_spikes_chip": int(c.sum()),
        "output_spikes_coincident": int((f & c).sum()),
        "samples_identical_output": float((f == c).all(axis=(1, 2)).mean()),
    }


def plot_sample(path: Path, raster: np.ndarray, chip_rec: dict, chip_out: np.ndarray, float_rec: dict | None = None,
                threshold_out=None, scale_out: float = 1.0, dt: float = DT, title: str = "") -> None:
    """Input events, hidden spikes, readout membranes (chip solid; the float network scaled to chip units
    dashed, when ``float_rec`` is given) and readout spikes (in their membranes' colours) of one sample."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    n_out, n_hidden = chip_out.shape[-1], chip_rec["Spikes"].shape[-1]
    colors = [f"C{o}" for o in range(n_out)]
    fig = Figure(figsize=(8, 8.5), layout="constrained")
    axes = fig.subplots(4, 1, sharex=True, height_ratios=[2, 3, 2, 1])
    raster_plot(raster, axes[0], dt=dt, title=f"{title} input events".strip(), ylabel="input channel")
    raster_plot(chip_rec["Spikes"], axes[1], dt=dt, title=f"hidden spikes (chip): {int(chip_rec['Spikes'].sum())}",
                ylabel=f"hidden neuron (0..{n_hidden - 1})")
    labels = [f"readout {o}" for o in range(n_out)]
    compared = "chip (solid), float network x scale (dashed)" if float_rec is not None else "chip"
    membrane_plot(chip_rec["Vmem_out"], axes[2], dt=dt, threshold=threshold_out, labels=labels,
                  title=f"readout membrane: {compared}")
    if float_rec is not None:
        axes[2].set_prop_cycle(None)
        membrane_plot(float_rec["Vmem_out"] * scale_out, axes[2], dt=dt, style="--")
        handles, names = axes[2].get_legend_handles_labels()
        handles.append(Line2D([], [], color="grey", ls="--"))
        axes[2].legend(handles, names + ["float network"], fontsize="small", loc="upper left")
    raster_plot(chip_out, axes[3], dt=dt, title=f"readout spikes (chip): {', '.join(str(int(n)) for n in chip_out.sum(0))}",
                color=colors, ylabel="readout")
    fig.savefig(path, dpi=110)


def run_experiment(out_dir: Path, seed: int = 0, epochs: int = 30, n_train: int = 128, n_test: int = 64,
                   qat_epochs: int = 5, progress: bool = True) -> dict:
    """Train (the last ``qat_epochs`` quantization-aware), convert, simulate, compare and plot; writes
    ``config.json``, ``input.npy`` (the first test sample), ``xylo.png`` and ``report.json`` into
    ``out_dir``; returns the report. ``emulation_identical`` is the fraction of test trials on which
    the integer emulation used in quantization-aware training reproduces every array XyloSim records."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    task = make_task(seed, n_train, n_test)
    net = tutorial_network(seed)
    start = time.perf_counter()
    history = train(net, task, epochs=epochs, qat_epochs=qat_epochs, progress=progress)
    train_seconds = time.perf_counter() - start
    quantized = quantize(net.layout(), dt=net.dt)
    config = quantized.config
    config.save(out_dir / "config.json")
    x_test = torch.tensor(task.x_test, dtype=torch.float32)
    with torch.no_grad():
        float_out, float_rec = net(x_test)
        _, emulated = fake_quantize(net.layout()).run(x_test, integer=True)
    float_out, float_rec = float_out.numpy(), {k: v.numpy() for k, v in float_rec.items()}
    chip_out, chip_rec = run_chip(config, task.x_test, progress=progress)
    identical = np.ones(n_test, bool)
    for name in ("Vmem", "Isyn", "Spikes", "Vmem_out", "Isyn_out"):
        identical &= (emulated[name].numpy() == chip_rec[name]).all(axis=(1, 2))
    report = {"seed": seed, "epochs": epochs, "qat_epochs": qat_epochs, "train_samples": n_train,
              "test_samples": n_test, "train_seconds": round(train_seconds, 2), "final_loss": history[-1],
              "scale_hidden": quantized.scale_hidden, "scale_out": quantized.scale_out,
              **compare(task, float_out, chip_out), "emulation_identical": float(identical.mean())}
    np.save(out_dir / "input.npy", task.x_test[0])
    plot_sample(out_dir / "xylo.png", task.x_test[0], {k: v[0] for k, v in chip_rec.items()}, chip_out[0],
                {k: v[0] for k, v in float_rec.items()}, config.threshold_out, quantized.scale_out,
                title=f"test sample 0 (class {task.y_test[0]}):")
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    return report


def demo(out_dir, seed: int = 0, quick: bool = True, progress: bool = True) -> dict:
    """For ``spikegate demo``: a short training run (``quick``: 10 epochs on 64 samples, the last 2
    quantization-aware; a few seconds) of :func:`run_experiment`; returns its report (figures) and writes its files."""
    if quick:
        return run_experiment(Path(out_dir), seed=seed, epochs=10, n_train=64, n_test=32, qat_epochs=2,
                              progress=progress)
    return run_experiment(Path(out_dir), seed=seed, progress=progress)
