"""``spikegate vectors``: test vectors for testbenches outside Python.

    spikegate vectors export CONFIG.json INPUT.npy --out DIR     # Xylo raster or DYNAP-CNN events
    spikegate vectors example xylo one-neuron --out DIR          # a network with a hand-computed answer
    spikegate vectors example --list

The directory layout is documented in :mod:`spikegate.hdl.vectors` and in its ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

from spikegate.sim.chip import add_cli_options, chip_for_file, chips, cli_option_values, get_chip, select_options


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
    export.add_argument("--out", type=Path, required=True, help="folder to write the vectors into")
    add_cli_options(export, "vectors", _hardware_chips())  # each chip's own (its descriptor's cli_options)
    export.set_defaults(func=run_export)
    example = commands.add_parser("example", help="the smallest networks with known answers")
    example.add_argument("chip", nargs="?", choices=sorted(_hardware_chips()), help="the chip of the example")
    example.add_argument("name", nargs="?", help="the example's name (see --list)")
    example.add_argument("--out", type=Path, help="also write its test vectors into this folder")
    example.add_argument("--list", action="store_true", help="list the examples")
    example.set_defaults(func=run_example)


def run_export(args) -> int:
    from spikegate.sim.errors import load_array, user_input

    with user_input(args.config):
        chip = chip_for_file(args.config)
        hardware = chip.facet("hdl")
        config = chip.load_config(args.config)
    with user_input(None):  # the message names the option
        options = select_options(chip, hardware.export_vectors, *cli_option_values(args, "vectors", _hardware_chips()))
    data = load_array(args.input)
    with user_input(args.input):  # the model checks the input
        out = hardware.export_vectors(config, data, args.out, **options)
    print(f"wrote test vectors to {out}")
    return 0


def _summary(build) -> str:
    """The first sentence of an example's docstring (which may run over several lines)."""
    from spikegate.sim.cli import plain

    paragraph = " ".join(plain(build.__doc__).split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[:end + 1]


def run_example(args) -> int:
    if args.list or args.chip is None or args.name is None:
        for name, chip in _hardware_chips().items():
            for example, build in chip.facet("hdl").examples.items():
                print(f"{name} {example}: {_summary(build)}")
        return 0
    hardware = get_chip(args.chip).facet("hdl")
    if args.name not in hardware.examples:
        from spikegate.sim.errors import UserError

        raise UserError(f"name: no {args.chip} example {args.name!r}; there are {sorted(hardware.examples)}")
    config, data, answer = hardware.examples[args.name]()
    print(f"expected: {answer}")
    for line in hardware.describe_run(config, data):
        print(f"  {line}")
    if args.out:
        out = hardware.export_vectors(config, data, args.out, **hardware.example_options(config))
        print(f"wrote test vectors to {out}")
    return 0
