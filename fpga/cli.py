"""``spikegate fpga``: build a bitstream for an open FPGA board, with its report."""

from __future__ import annotations

import sys
from pathlib import Path

from .board import BOARDS
from .build import build_bitstream, design_cores
from .facet import fpga_chips, fpga_facets
from .toolchain import BuildError

def _default_clocks(facets: dict) -> str:
    """The default clocks, for the help of ``--clock-mhz``."""
    return "; ".join(f"{board} " + ", ".join(f"{name} {facet.clock_hz[board] / 1e6:g}" for name, facet in facets.items()
                                             if board in facet.clock_hz) for board in BOARDS)


def register(subparsers) -> None:
    parser = subparsers.add_parser("fpga", help="FPGA bitstreams for open boards (YoWASP toolchain)",
                                   description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    facets = fpga_facets()
    b = actions.add_parser("build", help="build a bitstream and write report.json/report.txt beside it")
    b.add_argument("--board", choices=tuple(BOARDS), required=True, help="the FPGA board")
    b.add_argument("--core", required=True,
                   help=f"the design: one core ({', '.join(facets)}), or several joined by + behind one UART, "
                        f"SELECT index in that order (e.g. xylo+dynapcnn; ULX3S)")
    b.add_argument("--out", required=True, help="build directory (bitstream top.bin/top.bit and reports)")
    b.add_argument("--config", help="a saved register configuration (JSON) of the core: size the (single) "
                                    "core to hold it")
    owners = {}
    for name, facet in facets.items():
        for option, keywords in facet.build_options.items():
            if option in owners:
                raise ValueError(f"fpga build --{option}: an option of both {owners[option]} and {name}")
            owners[option] = name
            b.add_argument(f"--{option}", **keywords)
    b.add_argument("--clock-mhz", type=float, help="PLL clock (default: the core's on the board, the slowest "
                                                   f"of a design's: {_default_clocks(facets)})")
    b.add_argument("--baud", type=int, help="UART rate (default 1000000)")
    b.add_argument("--no-cycles", action="store_true", help="skip the cycle measurements in simulation")
    b.set_defaults(func=run_build)


def _build_options(args, cores: list[str]) -> dict:
    """Chip name -> the build options given for it; UserError for options of a chip the design lacks."""
    from spikegate.sim.errors import UserError

    options = {}
    for name, facet in fpga_facets().items():
        given = {option: getattr(args, option) for option in facet.build_options if getattr(args, option) is not None}
        if given and name not in cores:
            raise UserError(f"--{next(iter(given))} applies to --core {name} or {'+'.join(cores + [name])} only")
        if given:
            options[name] = given
    if len(cores) > 1 and args.config:
        given = " and ".join("/".join(f"--{option}" for option in fpga_facets()[name].build_options) for name in cores)
        raise UserError(f"--config sizes a single core; give {args.core} {given}")
    return options


def run_build(args) -> int:
    from spikegate.sim.errors import user_input

    with user_input(None):  # the message names the design
        cores = design_cores(args.core)
    options = _build_options(args, cores)
    config = None
    if args.config:
        with user_input(args.config):
            config = fpga_chips()[cores[0]].load_config(args.config)
    try:
        with user_input(None):  # options the build refuses (sizes, clock, baud): the message names them
            report = build_bitstream(args.board, cores, args.out, config=config, options=options,
                                     clock_hz=args.clock_mhz * 1e6 if args.clock_mhz else None, baud=args.baud,
                                     cycles=not args.no_cycles)
    except BuildError as error:  # the toolchain failed: not the user's mistake
        print(f"spikegate fpga build: {error}", file=sys.stderr)
        return 1
    print((Path(args.out) / "report.txt").read_text(), end="")
    return 0 if report["resources"]["timing_pass"] else 1
