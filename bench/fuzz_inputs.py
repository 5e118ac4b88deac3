"""Input fuzzing of every public entry point (issue 18 item 4): mutated configs, event arrays, rasters and
files through the config loaders, the models, the trace and vector writers, the dataset readers and the
command line. Prints, per entry point, the cases tried, refused cleanly, accepted and bad (another
exception type, an internal or multi-line message, or a refused call that changed a model's state),
with the first bad cases.

    python bench/fuzz_inputs.py [--cases 10000] [--seed 0] [--only SUBSTRING,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import ENTRY_POINTS, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per entry point (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="run only the entry points whose name contains one of these (comma-separated)")
    args = parser.parse_args()
    total_bad = 0
    print(f"{'entry point':52} {'tried':>7} {'refused':>8} {'accepted':>9} {'bad':>5} {'seconds':>8}")
    for name in ENTRY_POINTS:
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        start = time.perf_counter()
        tally = run(name, args.cases, seed=args.seed)
        seconds = time.perf_counter() - start
        counts = tally.counts
        print(f"{name:52} {sum(counts.values()):7d} {counts['refused']:8d} {counts['accepted']:9d} "
              f"{counts['bad']:5d} {seconds:8.1f}", flush=True)
        for line in tally.bad:
            print(f"    bad: {line}")
        total_bad += counts["bad"]
    print(f"bad cases in all: {total_bad}")
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
