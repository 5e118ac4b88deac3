"""Speed and exactness of the time-stepped DYNAP-CNN model (``DynapcnnTimeStepped``, mode "layer") against
sinabs' ``DynapcnnNetwork`` forward, in one process.

    python bench/timestepped_speed.py            # CPU, and CUDA when available; bench/results/timestepped_speed.json
    python bench/timestepped_speed.py --quick    # T = 30 steps, batches 1 and 8, one timed run
    python bench/timestepped_speed.py --device cpu --batches 1 8

Chips: the seed MNIST chip of ``bench/dynapcnn_speed.py`` (cores 0 -> 3 -> 5 -> 6 -> 1, 8000 input events per
sample) and the N-MNIST-sized chip of ``bench/eval_scaling.py`` (cores 0 -> 1 -> 3 -> 5, 2 x 34 x 34 input, 3000
events per sample), both imported from those scripts. Inputs are seeded uniform random events binned into
T = 300 steps (1 ms bins of 300 ms). Batches 1, 8, 64, 256 on the CPU and 1, 64, 256 on CUDA.

Per device, chip and batch: spikegate's float32 model (mode "layer") and sinabs' forward of the same integer
network (conv without bias, ``IAFSqueeze``, ``SumPool2d``; ``discretize=False``, the weights and thresholds being
the config's integers already: checked) are each timed as the best of ``--repeats`` runs after one untimed
warm-up (numba/Triton compilation, cuDNN's choice of algorithm). At batch 1 the step-by-step model (mode "step",
the model before the layer order) is timed too. Then, untimed, the bench checks:

- every core's spikes and final membranes of the float32 model against the float64 model (and the step
  model at batch 1);
- the exit core's spikes against sinabs' output, and every core's final membranes against sinabs'
  ``v_mem``.

A row says "yes" only when all of these are equal; otherwise it names the first difference (step, core,
field, index, both values). Ratio = sinabs time / spikegate time. The whole CUDA run takes about a minute
on one data-centre GPU (within 5 minutes with start-up). Other jobs on the machine slow both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dynapcnn_speed import ROOT, _torch_weight, chain, seed_chip, sinabs_layers  # bench/ is on sys.path when run as a script
from eval_scaling import RandomEvents, nmnist_network
from spikegate.sim.compare import first_difference
from spikegate.sim.dynapcnn import ChipConfig
from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

STEPS = 300
#: chip name -> (builder, events per sample)
CHIPS = {"seed MNIST": (seed_chip, 8000), "N-MNIST": (nmnist_network, RandomEvents.events)}
BATCHES = {"cpu": (1, 8, 64, 256), "cuda": (1, 64, 256)}


def raster(chip: ChipConfig, batch: int, steps: int, events: int, seed: int = 0) -> torch.Tensor:
    """(batch, steps, C, H, W) counts of ``events`` seeded uniform random events per sample over the input
    map and channels of the DVS layer's first destination and the steps."""
    first = chip.cores[chip.dvs_layer.destinations[0].layer]
    width, height = first.input_map
    size = steps * first.channels * height * width
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, size, events), minlength=size) for _ in range(batch)])
    return torch.from_numpy(counts.astype(np.float32).reshape(batch, steps, first.channels, height, width))


def exit_core(chip: ChipConfig) -> int:
    return chip.layer_to_core[max(chip.layer_to_core)]


def sinabs_network(chip: ChipConfig, batch: int):
    """sinabs' DynapcnnNetwork of the chip's chain of cores (integer weights and thresholds kept exactly), and
    the cores in its layer order."""
    sys.path.insert(0, str(ROOT / "tests"))
    from sinabs_support import import_sinabs
    found = import_sinabs()
    if found is None:
        raise SystemExit("sinabs cannot be imported (pip install --no-deps sinabs==3.1.3 nirtorch pbr)")
    sinabs, dynapcnn = found
    first = chain(chip)[0]
    width, height = first.input_map
    network = dynapcnn.DynapcnnNetwork(sinabs_layers(chip, batch), input_shape=(first.channels, height, width),
                                       discretize=False)
    cores = [chip.layer_to_core[layer] for layer in sorted(chip.layer_to_core)]
    for index, core in enumerate(cores):
        weight = network.dynapcnn_layers[index].conv_layer.weight.detach().cpu()
        if not torch.equal(weight, _torch_weight(chip.cores[core])):
            raise AssertionError(f"sinabs changed core {core}'s weights")
    return sinabs, network, cores


def timed(function, repeats: int, device: torch.device) -> tuple[float, object]:
    """Best wall time of ``repeats`` runs of ``function`` after one untimed warm-up, and its last result."""
    result = function()
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        result = function()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best, result


def difference(ours: dict, theirs: dict, names: tuple[str, str]) -> str | None:
    """The first difference between two sets of (batch, time, ...) spike / (batch, ...) membrane arrays, keyed
    by "core i spikes" / "core i membranes", time first; None when equal."""
    a = {key: _time_first(value) for key, value in ours.items()}
    b = {key: _time_first(theirs[key]) for key in ours}
    found = first_difference(a, b, axes=("step", "batch", "f", "y", "x"), names=names)
    return None if found is None else str(found)


def _time_first(value: torch.Tensor) -> np.ndarray:
    array = value.detach().cpu().numpy().astype(np.float64)
    return array.swapaxes(0, 1) if array.ndim == 5 else array[None]


def recorded(result, cores) -> dict:
    return {**{f"core {i} spikes": result.spikes[i] for i in cores},
            **{f"core {i} membranes": result.membranes[i] for i in cores}}


def measure(device: torch.device, name: str, batch: int, steps: int, repeats: int) -> dict:
    build, events = CHIPS[name]
    chip = build()
    x = raster(chip, batch, steps, events)
    model = DynapcnnTimeStepped(chip, device=device)
    x_device = x.to(device)
    ours_s, ours = timed(lambda: model(x_device), repeats, device)
    sinabs, network, cores = sinabs_network(chip, batch)
    torch.nn.Module.to(network, device)  # DynapcnnNetwork.to takes a chip name (and fails on torch devices)

    def sinabs_forward():
        sinabs.reset_states(network)  # DynapcnnNetwork.reset_states is broken in 3.1.3 (no .sequence)
        with torch.no_grad():
            return network(x_device.reshape(batch * steps, *x.shape[2:]))
    sinabs_s, theirs = timed(sinabs_forward, repeats, device)
    row = {"device": str(device), "chip": name, "batch": batch, "steps": steps, "input_events": events,
           "spikegate_s": ours_s, "sinabs_s": sinabs_s, "ratio": sinabs_s / ours_s,
           "output_spikes_per_sample": float(ours.spikes[exit_core(chip)].sum()) / batch}
    problems = []
    reference = DynapcnnTimeStepped(chip, device=device, dtype=torch.float64)(x_device)
    problems.append(("float64", difference(recorded(ours, cores), recorded(reference, cores), ("float32", "float64"))))
    if batch == 1:
        step_model = DynapcnnTimeStepped(chip, device=device, mode="step")
        row["step_mode_s"], step = timed(lambda: step_model(x_device), max(1, repeats - 1), device)
        row["x_step_mode"] = row["step_mode_s"] / ours_s
        problems.append(("step mode", difference(recorded(ours, cores), recorded(step, cores), ("layer", "step"))))
    exit_spikes = theirs.reshape(batch, steps, *theirs.shape[1:])
    sinabs_state = {f"core {exit_core(chip)} spikes": exit_spikes,
                    **{f"core {core} membranes": network.dynapcnn_layers[index].spk_layer.v_mem.reshape(
                        ours.membranes[core].shape) for index, core in enumerate(cores)}}
    mine = {key: value for key, value in recorded(ours, cores).items() if key in sinabs_state}
    problems.append(("sinabs", difference(mine, sinabs_state, ("spikegate", "sinabs"))))
    row["differences"] = {against: text for against, text in problems if text is not None}
    row["equal"] = not row["differences"]
    return row


def table(rows: list[dict]) -> str:
    lines = [f"{'device':7} {'chip':11} {'batch':>5} {'spikegate s':>12} {'sinabs s':>10} {'ratio':>7} "
             f"{'step s':>8} {'x step':>7}  equal"]
    for row in rows:
        step = (f"{row['step_mode_s']:8.3f} {row['x_step_mode']:7.1f}" if "step_mode_s" in row else f"{'':8} {'':7}")
        equal = "yes" if row["equal"] else "NO: " + "; ".join(f"{k}: {v}" for k, v in row["differences"].items())
        lines.append(f"{row['device']:7} {row['chip']:11} {row['batch']:5d} {row['spikegate_s']:12.4f} "
                     f"{row['sinabs_s']:10.4f} {row['ratio']:7.2f} {step}  {equal}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 30, batches 1 and 8, one timed run")
    parser.add_argument("--device", choices=("cpu", "cuda"), action="append",
                        help="device(s) to run (default: the CPU, and CUDA when available)")
    parser.add_argument("--batches", type=int, nargs="+", help="batch sizes (default: 1 8 64 256 CPU, 1 64 256 CUDA)")
    parser.add_argument("--chips", nargs="+", choices=tuple(CHIPS), default=tuple(CHIPS))
    parser.add_argument("--steps", type=int, help=f"time steps (default {STEPS}, 30 with --quick)")
    parser.add_argument("--repeats", type=int, help="timed runs; the best counts (default 3, 1 with --quick)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "timestepped_speed.json")
    args = parser.parse_args(argv)
    devices = args.device or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" in devices and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available")
    steps = args.steps or (30 if args.quick else STEPS)
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, load average "
          f"{os.getloadavg()[0]:.1f}; T = {steps}, best of {repeats}")
    rows = []
    for device in map(torch.device, devices):
        batches = args.batches or ((1, 8) if args.quick else BATCHES[device.type])
        for name in args.chips:
            for batch in batches:
                rows.append(measure(device, name, batch, steps, repeats))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    machine = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
               "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg(),
               "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0 if all(row["equal"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
