"""``spikegate demo``: the main job in one command.

Converts a small network for each chip and simulates it on bundled (deterministically generated)
data: a Xylo network trained on the spike-timing task of rockpool's Xylo tutorial, and the seed MNIST
network of the DYNAP-CNN spec placed on the nine cores and run on a synthetic event stream. Writes the
register configs (JSON), plots (PNG) and a summary (JSON) to ``--out``.
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
                        help="train the Xylo network for a few seconds only (its accuracy is then near chance)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from . import dynapcnn, xylo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("== Xylo: train, quantize, simulate ==")
    xylo_figures = xylo.demo(out / "xylo", seed=args.seed, quick=args.quick)
    print(f"Xylo: accuracy float {xylo_figures['accuracy_float']:.1%}, chip {xylo_figures['accuracy_chip']:.1%}; "
          f"the chip makes the float network's decision in {xylo_figures['decision_agreement']:.1%} of trials")
    print("== DYNAP-CNN: convert, place, simulate ==")
    dynapcnn_figures = dynapcnn.demo(out / "dynapcnn", seed=args.seed)
    summary = {"xylo": xylo_figures, "dynapcnn": dynapcnn_figures}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"wrote {out}/summary.json")
    return 0
