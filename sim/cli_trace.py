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
    record.add_argument("chip", choices=["xylo", "dynapcnn"])
    record.add_argument("config", type=Path, help="register configuration (JSON)")
    record.add_argument("input", type=Path,
                        help="input: Xylo raster (.npy, (T, Nin) counts) or DYNAP-CNN events (.npy, x/y/t/p records)")
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
    from .trace import dynapcnn_trace, xylo_trace

    data = np.load(args.input)
    if args.chip == "xylo":
        from .xylo import XyloConfig, XyloSim

        config = XyloConfig.load(args.config)
        out, _, rec = XyloSim(config).evolve(data, record=True)
        trace = xylo_trace(config, data, out, rec)
    else:
        from .dynapcnn.config import ChipConfig

        trace = dynapcnn_trace(ChipConfig.load(args.config), data, membrane_cores=args.membranes)
    path = trace.save(args.out)
    print(f"wrote {path}")
    return 0
