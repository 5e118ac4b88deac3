"""``spikegate demo``: the main job in one command.

Trains a small network for each chip, converts it and simulates it bit-exactly: a Xylo network on the
spike-timing task of rockpool's Xylo tutorial (generated data), and a small CNN on scikit-learn's bundled
handwritten digits turned into events, placed on DYNAP-CNN cores and run on the time-stepped and the
event-driven (chip) models. Writes the register configs (JSON), plots (PNG) and a summary with the
float and chip accuracies (JSON) to --out.
"""

from __future__ import annotations

import json
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="convert a small network and simulate it on both chips",
                                   description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory (default out/demo)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the training")
    parser.add_argument("--quick", action="store_true",
                        help="train both networks for a few seconds only, test on fewer digits (for tests; the Xylo "
                             "accuracy is then near chance)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from . import xylo
    from .dynapcnn.digits import demo as digits_demo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = not args.no_progress
    print("== Xylo: train, quantize, simulate ==")
    xylo_figures = xylo.demo(out / "xylo", seed=args.seed, quick=args.quick, progress=progress)
    print(f"Xylo: accuracy float {xylo_figures['accuracy_float']:.1%}, chip {xylo_figures['accuracy_chip']:.1%}; "
          f"the chip makes the float network's decision in {xylo_figures['decision_agreement']:.1%} of trials")
    print("== DYNAP-CNN: train on digits, convert, place, simulate ==")
    quick = {"epochs": 2, "test_samples": 40} if args.quick else {}
    digits = digits_demo(out / "dynapcnn", seed=args.seed, progress=progress, **quick)
    print(f"DYNAP-CNN: {digits['test_samples']} test digits, accuracy float {digits['accuracy_float']:.1%}, "
          f"time-stepped {digits['accuracy_timestepped']:.1%}, chip {digits['accuracy_chip']:.1%}; placement "
          f"(layer -> core) {digits['placement']}; chip run {digits['chip_s']:.2f} s")
    summary = {"xylo": xylo_figures, "dynapcnn": digits}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"wrote {out}/summary.json, {out}/xylo/xylo.png, {digits['plot']}")
    return 0
