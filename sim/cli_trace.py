"""``spikegate trace``: record traces and find where two of them part.

    spikegate trace record xylo CONFIG.json RASTER.npy --out run.npz   # numpy model
    spikegate trace record dynapcnn CONFIG.json EVENTS.npy --out run.npz [--membranes 0 3]
    spikegate trace diff A.npz B.npz [--field Vmem ...]                # or .csv traces

``diff`` exits 0 when the traces agree, 1 when they differ (printing the first difference and a
summary per field) and 2 when they cannot be compared (different configurations, chips or shapes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .chip import chips, get_chip, select_options


def register(subparsers) -> None:
    parser = subparsers.add_parser("trace", help="record traces and find where two traces first differ",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="trace_command", metavar="ACTION", required=True)
    diff = commands.add_parser("diff", help="report the first difference between two traces")
    diff.add_argument("a", type=Path)
    diff.add_argument("b", type=Path)
    diff.add_argument("--field", action="append", help="compare only this field (repeatable)")
    diff.set_defaults(func=run_diff)
    record = commands.add_parser("record", help="run a model and write its trace")
    record.add_argument("chip", choices=sorted(chips()))
    record.add_argument("config", type=Path, help="register configuration (JSON)")
    record.add_argument("input", type=Path, help="input (.npy): " + "; ".join(
        f"{chip.name} {chip.input_kind}" for chip in chips().values()))
    record.add_argument("--membranes", type=int, nargs="*", default=[],
                        help="DYNAP-CNN cores whose membranes are recorded after every input event")
    record.add_argument("--out", type=Path, required=True, help="trace file (.npz or .csv)")
    record.set_defaults(func=run_record)


def run_diff(args) -> int:
    from .trace import Trace, diff

    try:
        result = diff(Trace.load(args.a), Trace.load(args.b), fields=args.field)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"spikegate trace diff: {error}")
        return 2
    print(result.report())
    return 0 if result.equal else 1


def run_record(args) -> int:
    chip = get_chip(args.chip)
    options = select_options(chip, chip.trace, {"membranes": args.membranes}, {"membranes": []})
    trace = chip.trace(chip.load_config(args.config), np.load(args.input), **options)
    path = trace.save(args.out)
    print(f"wrote {path}")
    return 0
