"""Samples per second of ``spikegate eval --mode timestep``: samples one at a time against batches.

    python bench/eval_timestep_batch.py [--workload bundled|nmnist] [--samples 256] [--batch-size 64]
                                        [--device cpu|cuda] [--rounds 3] [--out bench.json]

Workloads: ``bundled`` (``bundled:dynapcnn`` on ``synthetic:dvs``, 1 ms steps: T = 6 of 2 x 16 x 16)
and ``nmnist`` (the N-MNIST-sized network and random events of bench/eval_scaling.py, 1 ms steps:
T = 300 of 2 x 34 x 34). Both run the shard code of the runner (:func:`run_shard`, in this process, one
shard of all samples, no files), batch size 1 and ``--batch-size`` alternately for ``--rounds`` rounds
after a warm-up; the best round of each counts. Every column of every row (but ``seconds``) of the two
is checked equal. Prints one JSON object (also to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from spikegate.sim.eval import load_config, make_evaluator, open_dataset
from spikegate.sim.eval.runner import run_shard

sys.path.insert(0, str(Path(__file__).parent))
from eval_scaling import RandomEvents, nmnist_network  # noqa: E402 (the bench folder is no package)


def workload(name: str, samples: int):
    if name == "nmnist":
        return nmnist_network(), RandomEvents(samples)
    return load_config("bundled:dynapcnn"), open_dataset(f"synthetic:dvs:{samples}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("bundled", "nmnist"), default="bundled")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()

    config, dataset = workload(args.workload, args.samples)
    evaluators = {size: make_evaluator(config, mode="timestep", device=args.device, batch_size=size)
                  for size in (1, args.batch_size)}
    for evaluator in evaluators.values():  # numba compilation, caches
        run_shard(evaluator, dataset, 0, min(len(dataset), 2 * args.batch_size))
    best, tables = {size: float("inf") for size in evaluators}, {}
    for _ in range(args.rounds):
        for size, evaluator in evaluators.items():
            began = time.perf_counter()
            tables[size] = run_shard(evaluator, dataset, 0, len(dataset)).drop(columns="seconds")
            best[size] = min(best[size], time.perf_counter() - began)
    equal = tables[1].equals(tables[args.batch_size])
    report = {"workload": args.workload, "samples": len(dataset), "device": args.device, "cpus": os.cpu_count(),
              "load_average_1min": round(os.getloadavg()[0], 2), "rows_equal": equal,
              "samples_per_s": {f"batch_{size}": round(len(dataset) / seconds, 1) for size, seconds in best.items()},
              "speedup": round(best[1] / best[args.batch_size], 2)}
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if not equal:
        raise SystemExit("batched rows differ from the rows of samples run one at a time")


if __name__ == "__main__":
    main()
