"""``spikegate trace``: record traces and find where two of them part.

    spikegate trace record xylo CONFIG.json RASTER.npy --out run.npz   # numpy model
    spikegate trace record dynapcnn CONFIG.json EVENTS.npy --out run.npz [--membranes 0 3]
    spikegate trace diff A.npz B.npz [--field Vmem ...]                # or .csv traces

``diff`` exits 0 when the traces agree, 1 when they differ (printing the first difference and a
summary per field) and 2 when they cannot be compared (different configurations, chips or shapes).
"""

from __future__ import annotations

from pathlib import Path

from .chip import add_cli_options, chips, cli_option_values, get_chip, select_options


def register(subparsers) -> None:
    parser = subparsers.add_parser("trace", help="record traces and find where two traces first differ",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="trace_command", metavar="ACTION", required=True)
    diff = commands.add_parser("diff", help="report the first difference between two traces")
    diff.add_argument("a", type=Path, help="first trace (.npz written by trace record, or .csv)")
    diff.add_argument("b", type=Path, help="second trace (.npz or .csv), e.g. from your own hardware")
    diff.add_argument("--field", action="append", help="compare only this field (repeatable)")
    diff.set_defaults(func=run_diff)
    record = commands.add_parser("record", help="run a model and write its trace")
    record.add_argument("chip", choices=sorted(chips()), help="the chip of the configuration")
    record.add_argument("config", type=Path, help="register configuration (JSON)")
    record.add_argument("input", type=Path, help="input (.npy): " + "; ".join(
        f"{chip.name} {chip.input_kind}" for chip in chips().values()))
    add_cli_options(record, "trace")  # each chip's own (its descriptor's cli_options["trace"])
    record.add_argument("--out", type=Path, required=True, help="trace file (.npz or .csv)")
    record.set_defaults(func=run_record)


def run_diff(args) -> int:
    import dataclasses

    from .errors import user_input
    from .trace import Trace, diff

    traces = []
    for path in (args.a, args.b):
        with user_input(path):
            traces.append(Trace.load(path))
    a, b = traces
    if a.model == b.model:  # name the sides by their files, or both would read e.g. "numpy"
        a = dataclasses.replace(a, model=f"{args.a.name} ({a.model})")
        b = dataclasses.replace(b, model=f"{args.b.name} ({b.model})")
    with user_input(None):  # traces that cannot be compared: the message says why
        result = diff(a, b, fields=args.field)
    print(result.report())
    return 0 if result.equal else 1


def run_record(args) -> int:
    from .errors import load_array, user_input

    chip = get_chip(args.chip)
    data = load_array(args.input)
    with user_input(None):  # the message names the option
        options = select_options(chip, chip.trace, *cli_option_values(args, "trace"))
    with user_input(args.config):
        config = chip.load_config(args.config)
    with user_input(args.input):  # the model checks the input and its options
        trace = chip.trace(config, data, **options)
    with user_input(args.out):
        path = trace.save(args.out)
    print(f"wrote {path}")
    return 0
