"""``spikegate fpga``: build a bitstream for an open FPGA board, with its report."""

from __future__ import annotations

import sys
from pathlib import Path

from .board import BOARDS
from .build import CORES, build_bitstream
from .toolchain import BuildError


def register(subparsers) -> None:
    parser = subparsers.add_parser("fpga", help="FPGA bitstreams for open boards (YoWASP toolchain)",
                                   description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = actions.add_parser("build", help="build a bitstream and write report.json/report.txt beside it")
    b.add_argument("--board", choices=tuple(BOARDS), required=True, help="the FPGA board")
    b.add_argument("--core", choices=CORES, required=True,
                   help="the design: one core, or xylo+dynapcnn (both behind one UART; ULX3S)")
    b.add_argument("--out", required=True, help="build directory (bitstream top.bin/top.bit and reports)")
    b.add_argument("--config", help="a saved XyloConfig / ChipConfig (JSON): size the (single) core to hold it")
    b.add_argument("--size", help="Xylo NIN/NHID/NOUT (default 16/1000/8, the full array)")
    b.add_argument("--fanout", type=int, help="Xylo recurrent targets per neuron (default 64, or 2*NHID)")
    b.add_argument("--synapses", type=int, help="Xylo recurrent synapses in total (default 32000, or 32*NHID)")
    b.add_argument("--cores", type=int, help="DYNAP-CNN cores (default: 1 on the iCEBreaker, 9 on the ULX3S)")
    for memory in ("kernel", "neuron", "bias"):
        b.add_argument(f"--{memory}", type=int, help=f"DYNAP-CNN {memory} memory entries per core")
    b.add_argument("--clock-mhz", type=float,
                   help="PLL clock (default: iCEBreaker 30 for xylo, 18 for dynapcnn; ULX3S 50 / 40 / 40 for both)")
    b.add_argument("--baud", type=int, help="UART rate (default 1000000)")
    b.add_argument("--no-cycles", action="store_true", help="skip the cycle measurements in simulation")
    b.set_defaults(func=run_build)


def _load_config(core: str, path: str):
    if core == "xylo":
        from spikegate.sim.xylo.config import XyloConfig

        return XyloConfig.load(path)
    from spikegate.sim.dynapcnn.config import ChipConfig

    return ChipConfig.load(path)


def run_build(args) -> int:
    from spikegate.sim.errors import UserError, user_input

    dynapcnn = {k: getattr(args, k) for k in ("cores", "kernel", "neuron", "bias") if getattr(args, k) is not None}
    if "dynapcnn" not in args.core and dynapcnn:
        raise UserError(f"--{next(iter(dynapcnn))} applies to --core dynapcnn or xylo+dynapcnn only")
    if "xylo" not in args.core and (args.size or args.fanout or args.synapses):
        raise UserError("--size/--fanout/--synapses apply to --core xylo or xylo+dynapcnn only")
    if "+" in args.core and args.config:
        raise UserError("--config sizes a single core; give xylo+dynapcnn --size and --cores/--kernel/--neuron/--bias")
    config = None
    if args.config:
        with user_input(args.config):
            config = _load_config(args.core, args.config)
    try:
        with user_input(None):  # options the build refuses (sizes, clock, baud): the message names them
            report = build_bitstream(args.board, args.core, args.out, config=config, size=args.size,
                                     fanout=args.fanout, synapses=args.synapses, dynapcnn=dynapcnn,
                                     clock_hz=args.clock_mhz * 1e6 if args.clock_mhz else None, baud=args.baud,
                                     cycles=not args.no_cycles)
    except BuildError as error:  # the toolchain failed: not the user's mistake
        print(f"spikegate fpga build: {error}", file=sys.stderr)
        return 1
    print((Path(args.out) / "report.txt").read_text(), end="")
    return 0 if report["resources"]["timing_pass"] else 1
