"""Samples per second of ``spikegate eval``: the serial loop against local Dask clusters of 1 and 2 workers.

    python bench/eval_scaling.py [--samples 400] [--workload nmnist|bundled] [--out bench-eval.json]

Workloads (both run the event-driven DYNAP-CNN model, one sample at a time from a reset state):

- ``nmnist`` (default): an N-MNIST-sized network, 2 x 34 x 34 input -> conv 5x5 2->16 (pool 2) ->
  conv 5x5 16->32 (pool 2) -> conv 3x3 32->64 -> dense 64*3*3 -> 10 on cores 0, 1, 3, 5, seeded random
  int8 weights with thresholds that keep every core active, 3000 uniform random input events per
  sample (an N-MNIST digit has about 4000): milliseconds per sample, as real evaluations.
- ``bundled``: ``bundled:dynapcnn`` on ``synthetic:dvs`` (under a millisecond per sample: the
  per-shard overhead of Dask shows).

Each mode evaluates the same samples into a fresh folder. Cluster start-up is timed on its own and
the workers are warmed up (model import, numba cache load) on a few samples first, so the figures
are steady-state throughput; ``end_to_end_s`` adds the start-up. The serial loop runs in this
process with the same shard code. Besides samples/s (wall clock), each mode reports the CPU time of the
processes that ran the samples and samples per CPU-second, which stays meaningful when other jobs share
the machine (``cpu_busy`` < workers shows that they did). Prints one JSON object (also to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import numpy as np

from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, Destination, DvsLayerConfig
from spikegate.sim.eval import evaluate, load_config, local_cluster, make_evaluator, open_dataset
from spikegate.sim.eval.datasets import EVENT_DTYPE
from spikegate.sim.eval.synthetic import SyntheticDataset

SENSOR = (34, 34, 2)


class RandomEvents(SyntheticDataset):
    """Seeded uniform random events on the N-MNIST sensor, 10 classes (labels carry no signal)."""

    key, kind, sensor, n_classes = "random", "events", SENSOR, 10
    events = 3000

    def load(self, index: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index])
        out = np.empty(self.events, EVENT_DTYPE)
        out["x"], out["y"] = rng.integers(0, 34, self.events), rng.integers(0, 34, self.events)
        out["t"], out["p"] = np.sort(rng.integers(0, 300_000, self.events)), rng.integers(0, 2, self.events)
        return out


def nmnist_network(seed: int = 0) -> ChipConfig:
    """Four cores with seeded random int8 weights (see the module docstring)."""
    rng = np.random.default_rng(seed)
    layers = [  # (core, features, channels, kernel, input size, pooling to the next core, threshold)
        (0, 16, 2, 5, 34, 2, 80), (1, 32, 16, 5, 15, 2, 400), (3, 64, 32, 3, 5, 1, 400), (5, 10, 64, 3, 3, 1, 400)]
    cores = {}
    for i, (core, features, channels, kernel, size, pooling, threshold) in enumerate(layers):
        weights = np.clip(rng.normal(1, 24, (features, channels, kernel, kernel)), -127, 127).round()
        last = i == len(layers) - 1
        cores[core] = CoreConfig.from_weights(
            weights.astype(np.int64), (size, size), threshold_high=threshold, threshold_low=-threshold,
            destinations=[] if last else [Destination(layer=layers[i + 1][0], enable=True, pooling=pooling)],
            monitor_enable=last)
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([0], (34, 34)),
                      layer_to_core={i: layer[0] for i, layer in enumerate(layers)})


def workload(name: str, samples: int):
    if name == "nmnist":
        return make_evaluator(nmnist_network()), RandomEvents(samples)
    return make_evaluator(load_config("bundled:dynapcnn")), open_dataset(f"synthetic:dvs:{samples}")


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def cpu_seconds(client=None) -> float:
    """CPU time (user + system) used so far by this process, or by every worker process of ``client``."""
    return _cpu_seconds() if client is None else sum(client.run(_cpu_seconds).values())


def timed(evaluator, dataset, root: str, label: str, scheduler=None, **options) -> dict:
    """Wall time and CPU time of one evaluation. CPU time counts the process(es) doing the samples: on a
    machine shared with other jobs, samples per CPU-second is the figure that does not depend on the load."""
    cpu, own, began = cpu_seconds(scheduler), _cpu_seconds(), time.perf_counter()
    summary = evaluate(evaluator, dataset, os.path.join(root, label), progress=False, scheduler=scheduler,
                       **options)
    seconds, cpu, own = time.perf_counter() - began, cpu_seconds(scheduler) - cpu, _cpu_seconds() - own
    extra = {} if scheduler is None else {"client_cpu_s": round(own, 3)}  # the client: scheduling, writing
    return {"seconds": round(seconds, 3), "samples_per_s": round(len(dataset) / seconds, 2), **extra,
            "cpu_s": round(cpu, 3), "samples_per_cpu_s": round(len(dataset) / cpu, 2),
            "cpu_busy": round(cpu / seconds, 2), "accuracy": summary["accuracy"], "mean_sops": summary["sops"]["mean"],
            "mean_host_ms_per_sample": round(1000 * summary["seconds_per_sample"]["mean"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--workload", choices=("nmnist", "bundled"), default="nmnist")
    parser.add_argument("--shard-size", type=int, default=16)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()

    from dask.distributed import Client

    evaluator, dataset = workload(args.workload, args.samples)
    warm_up = workload(args.workload, 2 * args.shard_size)[1]
    report = {"workload": args.workload, "samples": args.samples, "shard_size": args.shard_size,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_1min": os.getloadavg()[0]}, "modes": {}}
    with tempfile.TemporaryDirectory() as root:
        timed(evaluator, warm_up, root, "warm-serial", workers=0, shard_size=args.shard_size)
        report["modes"]["serial"] = timed(evaluator, dataset, root, "serial", workers=0, shard_size=args.shard_size)
        for workers in (1, 2):
            began = time.perf_counter()
            cluster = local_cluster(workers, dashboard=None)
            client = Client(cluster)
            start_up = time.perf_counter() - began
            timed(evaluator, warm_up, root, f"warm-{workers}", scheduler=client, shard_size=args.shard_size)
            result = timed(evaluator, dataset, root, f"dask-{workers}", scheduler=client,
                           shard_size=args.shard_size)
            result.update(cluster_start_s=round(start_up, 3), end_to_end_s=round(result["seconds"] + start_up, 3))
            report["modes"][f"dask_{workers}_workers"] = result
            client.close()
            cluster.close()
    serial = report["modes"]["serial"]
    report["speedup_vs_serial"] = {mode: round(r["samples_per_s"] / serial["samples_per_s"], 3)
                                   for mode, r in report["modes"].items()}
    report["cpu_efficiency_vs_serial"] = {mode: round(r["samples_per_cpu_s"] / serial["samples_per_cpu_s"], 3)
                                          for mode, r in report["modes"].items()}
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as file:
            file.write(text + "\n")


if __name__ == "__main__":
    main()
