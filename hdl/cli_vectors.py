"""``spikegate vectors``: test vectors for testbenches outside Python.

    spikegate vectors export CONFIG.json INPUT.npy --out DIR     # Xylo raster or DYNAP-CNN events
    spikegate vectors example xylo one-neuron --out DIR          # a network with a hand-computed answer
    spikegate vectors example --list

The directory layout is documented in :mod:`spikegate.hdl.vectors` and in its ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spikegate.sim.chip import chip_for_file, chips, get_chip, select_options


def _hardware_chips() -> dict:
    """The registered chips that have an HDL facet, by name."""
    return {name: chip for name, chip in chips().items() if chip.has_facet("hdl")}


def register(subparsers) -> None:
    parser = subparsers.add_parser("vectors", help="export test vectors ($readmemh files, Verilog testbench)",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="vectors_command", metavar="ACTION", required=True)
    export = commands.add_parser("export", help="test vectors of a config run on an input")
    export.add_argument("config", type=Path, help="register configuration (JSON) of " + " or ".join(_hardware_chips()))
    export.add_argument("input", type=Path, help="input (.npy): " + "; ".join(
        f"{chip.name} {chip.input_kind}" for chip in _hardware_chips().values()))
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--no-state", action="store_true", help="Xylo: leave out the expected state per step")
    export.add_argument("--membranes", type=int, nargs="*", default=[],
                        help="DYNAP-CNN: cores whose final membranes are expected")
    export.set_defaults(func=run_export)
    example = commands.add_parser("example", help="the smallest networks with known answers")
    example.add_argument("chip", nargs="?", choices=sorted(_hardware_chips()))
    example.add_argument("name", nargs="?")
    example.add_argument("--out", type=Path)
    example.add_argument("--list", action="store_true", help="list the examples")
    example.set_defaults(func=run_example)


def run_export(args) -> int:
    try:
        chip = chip_for_file(args.config)
    except (FileNotFoundError, ValueError) as error:
        print(f"spikegate vectors: {error}")
        return 2
    hardware = chip.facet("hdl")
    options = select_options(chip, hardware.export_vectors, {"with_state": not args.no_state, "membranes": args.membranes},
                             {"with_state": True, "membranes": []})
    out = hardware.export_vectors(chip.load_config(args.config), np.load(args.input), args.out, **options)
    print(f"wrote test vectors to {out}")
    return 0


def run_example(args) -> int:
    if args.list or args.chip is None or args.name is None:
        for name, chip in _hardware_chips().items():
            for example, build in chip.facet("hdl").examples.items():
                print(f"{name} {example}: {build.__doc__.splitlines()[0]}")
        return 0
    hardware = get_chip(args.chip).facet("hdl")
    if args.name not in hardware.examples:
        print(f"spikegate vectors: no {args.chip} example {args.name!r}; there are {sorted(hardware.examples)}")
        return 2
    config, data, answer = hardware.examples[args.name]()
    print(f"expected: {answer}")
    for line in hardware.describe_run(config, data):
        print(f"  {line}")
    if args.out:
        out = hardware.export_vectors(config, data, args.out, **hardware.example_options(config))
        print(f"wrote test vectors to {out}")
    return 0
