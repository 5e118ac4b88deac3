"""Speed of the event-driven DYNAP-CNN model (spikegate.sim.dynapcnn.DynapcnnSim) against a time-stepped
forward of the same discretized network, in one process.

    python bench/dynapcnn_speed.py             # 20k input events, writes bench/results/dynapcnn_speed.json
    python bench/dynapcnn_speed.py --growth    # also 2k / 20k / 200k input events, plot in docs/dynapcnn_growth.png
    python bench/dynapcnn_speed.py --reference torch   # the torch stand-in instead of sinabs

The workload: the seed MNIST network of ``docs/dynapcnn-core.md`` §8 (cores 0 -> 3 -> 5 -> 6 -> 1,
destination pooling 2, 2, 2, 1; the spec's thresholds, threshold_low = -threshold_high) with random int8
weights drawn per layer around a positive mean so that every layer, the output included, is active; input
events uniform over the 28x28 map and spread over 1 s. The config is built directly (not by the converter).

The reference is sinabs' ``DynapcnnNetwork`` forward (sinabs 3.1.3, imported with spikegate's own samna,
``spikegate.compat``, by ``tests/sinabs_support``) on a torch model with the same integer weights (each layer's largest weight is
127, so sinabs' discretization keeps them: this is checked); where sinabs cannot be imported, a torch
forward with the same semantics (spec §7.1: multi-spike per step, subtract, threshold_low clip,
sum pooling; each layer convolves all steps at once, as sinabs does) stands in, and the output says which
one ran; its output equals sinabs' on this workload. It is timed with one input event per time step
(the fidelity of the event-driven model) and with 1 ms bins (how sinabs is usually run).

Work is counted as input events and neuron updates: updates of neurons that exist on each map, made by
input events (``DynapcnnSim.counters["synops"]``). The event-driven model's first call (numba compile, or
loading its on-disk cache) is excluded and printed separately; times are the best of ``--repeats`` runs.
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

from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, Destination, DvsLayerConfig, \
    DynapcnnSim

ROOT = Path(__file__).resolve().parent.parent
#: Seed network (spec §8): core, input channels, input size, features, kernel, threshold_high, pooling to the
#: next core (None: exit), and the mean of the layer's weight distribution.
LAYERS = ((0, 1, 28, 20, 5, 635, 2, 12), (3, 20, 12, 32, 5, 11361, 2, 6), (5, 32, 4, 128, 3, 8621, 2, 8),
          (6, 128, 1, 500, 1, 5747, 1, 8), (1, 500, 1, 10, 1, 2841, None, 8))
WEIGHT_SPREAD = 45  #: standard deviation of the weights before rounding and clipping to int8
DURATION_US = 1_000_000
BIN_US = 1000


def seed_chip(seed: int = 0) -> ChipConfig:
    """The seed network's chip config with random int8 weights (largest weight of every layer 127)."""
    rng = np.random.default_rng(seed)
    cores = {}
    for i, (core, channels, size, features, kernel, threshold, pooling, mean) in enumerate(LAYERS):
        weights = np.clip(np.round(rng.normal(mean, WEIGHT_SPREAD, (features, channels, kernel, kernel))), -127, 127)
        weights.flat[0] = 127
        destinations = () if pooling is None else (Destination(LAYERS[i + 1][0], True, pooling),)
        cores[core] = CoreConfig.from_weights(weights.astype(np.int64), (size, size), threshold_high=threshold,
                                              threshold_low=-threshold, destinations=destinations,
                                              monitor_enable=pooling is None)
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([LAYERS[0][0]], (28, 28)),
                      layer_to_core={i: layer[0] for i, layer in enumerate(LAYERS)})


def input_events(n: int, seed: int = 1) -> np.ndarray:
    """``n`` events uniform over the 28x28 input, channel 0, timestamps spread over 1 s (sorted)."""
    rng = np.random.default_rng(seed)
    events = np.zeros(n, INPUT_EVENT_DTYPE)
    events["x"], events["y"] = rng.integers(0, 28, n), rng.integers(0, 28, n)
    events["t"] = np.sort(rng.integers(0, DURATION_US, n))
    return events


def chain(chip: ChipConfig) -> list[CoreConfig]:
    """The cores from the DVS layer's destination along destination 0."""
    cores, index = [], chip.dvs_layer.destinations[0].layer
    while index is not None:
        core = chip.cores[index]
        cores.append(core)
        index = core.destinations[0].layer if core.destinations[0].enable else None
    return cores


def _torch_weight(core: CoreConfig) -> torch.Tensor:
    """samna ``[f][c][kx][ky]`` -> torch ``[f][c][ky][kx]``, float32."""
    return torch.tensor(core.weights.transpose(0, 1, 3, 2).astype(np.float32))


def sinabs_layers(chip: ChipConfig, batch: int) -> torch.nn.Sequential:
    """The chip's chain of cores as sinabs layers (sinabs importable): per core a bias-free Conv2d with the
    config's integer weights, an IAFSqueeze of ``batch`` samples with its thresholds, and a SumPool2d when
    its first destination pools."""
    from sinabs.layers import IAFSqueeze, SumPool2d
    layers = []
    for core in chain(chip):
        conv = torch.nn.Conv2d(core.channels, core.features, core.dimensions.kernel_size, bias=False)
        with torch.no_grad():
            conv.weight.copy_(_torch_weight(core))
        layers += [conv, IAFSqueeze(batch_size=batch, spike_threshold=float(core.threshold_high),
                                    min_v_mem=float(core.threshold_low))]
        if core.destinations and core.destinations[0].enable and core.destinations[0].pooling > 1:
            layers.append(SumPool2d(core.destinations[0].pooling))
    return torch.nn.Sequential(*layers)


def sinabs_reference(chip: ChipConfig):
    """sinabs' DynapcnnNetwork on the same discretized network, or None when sinabs cannot be imported."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from sinabs_support import import_sinabs
        found = import_sinabs()
    except ImportError:
        found = None
    if found is None:
        return None
    sinabs, dynapcnn = found
    width, height = chain(chip)[0].input_map
    network = dynapcnn.DynapcnnNetwork(sinabs_layers(chip, batch=1), input_shape=(1, height, width), discretize=True)
    check_discretization(network, chip)

    def forward(raster: torch.Tensor) -> torch.Tensor:
        sinabs.reset_states(network)  # DynapcnnNetwork.reset_states is broken in 3.1.3 (no .sequence)
        with torch.no_grad():
            return network(raster)
    return f"sinabs {sinabs.__version__} DynapcnnNetwork forward", forward


def check_discretization(network, chip: ChipConfig) -> None:
    """sinabs' discretized weights and thresholds must be the config's."""
    expected = {(tuple(_torch_weight(c).shape), c.threshold_high): c for c in chain(chip)}
    for layer in network.modules():
        if hasattr(layer, "conv") and hasattr(layer, "spk"):
            core = expected[(tuple(layer.conv.weight.shape), float(layer.spk.spike_threshold))]
            if not torch.equal(layer.conv.weight.detach(), _torch_weight(core)) or \
                    float(layer.spk.min_v_mem) != core.threshold_low:
                raise AssertionError("sinabs changed the weights or thresholds while discretizing")


def torch_reference(chip: ChipConfig):
    """A time-stepped torch forward with sinabs' semantics (spec §7.1), for when sinabs is not importable. Like
    sinabs, each layer convolves all time steps in one call, then runs the neurons step by step."""
    cores = chain(chip)
    weights = [_torch_weight(core) for core in cores]

    def forward(raster: torch.Tensor) -> torch.Tensor:
        x = raster
        with torch.no_grad():
            for core, weight in zip(cores, weights):
                current = torch.nn.functional.conv2d(x, weight)
                v = torch.zeros_like(current[0])
                spikes = torch.empty_like(current)
                for t in range(len(current)):
                    v += current[t]
                    spikes[t] = torch.div(v.clamp(min=0), core.threshold_high, rounding_mode="floor")
                    v = torch.clamp(v - spikes[t] * core.threshold_high, min=core.threshold_low)
                pooling = core.destinations[0].pooling if core.destinations[0].enable else 1
                x = torch.nn.functional.avg_pool2d(spikes, pooling) * pooling ** 2 if pooling > 1 else spikes
        return x
    return "torch time-stepped forward with sinabs semantics (spec §7.1)", forward


def raster(events: np.ndarray, bin_us: int | None) -> torch.Tensor:
    """Dense (T, 1, 28, 28) event counts: one event per step (``bin_us`` None) or bins of ``bin_us``."""
    steps = np.arange(len(events)) if bin_us is None else events["t"].astype(np.int64) // bin_us
    n_steps = len(events) if bin_us is None else DURATION_US // bin_us
    dense = np.zeros((n_steps, 1, 28, 28), np.float32)
    np.add.at(dense, (steps, 0, events["y"].astype(np.int64), events["x"].astype(np.int64)), 1)
    return torch.from_numpy(dense)


def best_time(function, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def event_driven(chip: ChipConfig, events: np.ndarray, repeats: int) -> dict:
    net = DynapcnnSim(chip)
    start = time.perf_counter()
    net(events[:10])
    first_call = time.perf_counter() - start

    def run():
        net.reset_states()
        return net(events)
    seconds, out = best_time(run, repeats)
    counters = net.counters
    return {"seconds": seconds, "first_call_s": first_call, "output_events": len(out),
            "spikes_per_core": {int(core): int(counters["events_out"][core]) for core in chip.layer_to_core.values()},
            "neuron_updates": int(counters["synops"].sum()),
            "neuron_updates_per_core": {int(core): int(counters["synops"][core])
                                        for core in chip.layer_to_core.values()}}


def measure(chip: ChipConfig, reference, n_events: int, repeats: int, one_per_step: bool) -> dict:
    events = input_events(n_events)
    result = {"input_events": n_events, "event_driven": event_driven(chip, events, repeats)}
    name, forward = reference
    seconds = result["event_driven"]["seconds"]
    runs = [("one_event_per_step", None, 1)] if one_per_step else []
    for label, bin_us, reps in runs + [("bins_1ms", BIN_US, repeats)]:
        dense = raster(events, bin_us)
        ref_seconds, out = best_time(lambda: forward(dense), reps)
        result[label] = {"seconds": ref_seconds, "steps": int(dense.shape[0]),
                         "output_spikes": int(out.sum()), "ratio": ref_seconds / seconds}
    result["reference"] = name
    return result


def report(result: dict) -> None:
    ed = result["event_driven"]
    print(f"{result['input_events']} input events; spikes per core {ed['spikes_per_core']}; "
          f"neuron updates {ed['neuron_updates'] / 1e6:.1f} M (neurons on the maps)")
    print(f"  event-driven (depth-first): {ed['seconds']:.4f} s  ({result['input_events'] / ed['seconds'] / 1e6:.2f} M "
          f"input events/s, {ed['neuron_updates'] / ed['seconds'] / 1e6:.0f} M neuron updates/s; first call "
          f"{ed['first_call_s']:.2f} s)")
    for label in ("one_event_per_step", "bins_1ms"):
        if label in result:
            ref = result[label]
            print(f"  {result['reference']}, {label.replace('_', ' ')} ({ref['steps']} steps): {ref['seconds']:.3f} s"
                  f"  -> ratio {ref['ratio']:.1f} (reference time / event-driven time)")


def growth_plot(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    events = [r["input_events"] for r in results]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(events, [r["event_driven"]["seconds"] for r in results], "o-", label="spikegate DynapcnnSim (depth-first)")
    ax.plot(events, [r["bins_1ms"]["seconds"] for r in results], "s-",
            label=f"{results[0]['reference'][:28]}, 1 ms bins")
    per_step = [(r["input_events"], r["one_event_per_step"]["seconds"]) for r in results if "one_event_per_step" in r]
    ax.plot(*zip(*per_step), "^-", label="same, one event per step")
    for r in results:
        ax.annotate(f"{r['event_driven']['neuron_updates'] / 1e6:.0f} M updates",
                    (r["input_events"], r["event_driven"]["seconds"]), textcoords="offset points", xytext=(6, 4),
                    fontsize=7)
    ax.set(xscale="log", yscale="log", xlabel="input events (over 1 s)", ylabel="seconds",
           title="DYNAP-CNN seed network: time against work")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="input events (default 20000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts (default 3)")
    parser.add_argument("--growth", action="store_true", help="also 2k, 20k, 200k events; docs/dynapcnn_growth.png")
    parser.add_argument("--reference", choices=("auto", "sinabs", "torch"), default="auto",
                        help="sinabs' forward, the torch stand-in, or sinabs when importable (default)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "dynapcnn_speed.json")
    args = parser.parse_args(argv)
    chip = seed_chip()
    reference = None if args.reference == "torch" else sinabs_reference(chip)
    if reference is None and args.reference == "sinabs":
        parser.error("sinabs cannot be imported (pip install --no-deps sinabs==3.1.3 nirtorch pbr)")
    reference = reference or torch_reference(chip)
    print(f"reference: {reference[0]}; torch threads {torch.get_num_threads()}; "
          f"load average {os.getloadavg()[0]:.1f} (other jobs slow both sides)")
    result = measure(chip, reference, args.events, args.repeats, one_per_step=True)
    report(result)
    doc = {"machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                       "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg()},
           "config_digest": chip.digest(), "duration_s": DURATION_US / 1e6, **result}
    if args.growth:
        # one event per step is skipped at 200k: sinabs' forward would hold 200k x 20 x 24 x 24 floats (9 GB)
        doc["growth"] = [measure(chip, reference, n, args.repeats, one_per_step=n <= 20_000)
                         for n in (2_000, 20_000, 200_000)]
        for entry in doc["growth"]:
            report(entry)
        growth_plot(doc["growth"], ROOT / "docs" / "dynapcnn_growth.png")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
