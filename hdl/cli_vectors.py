"""``spikegate vectors``: test vectors for testbenches outside Python.

    spikegate vectors export CONFIG.json INPUT.npy --out DIR     # Xylo raster or DYNAP-CNN events
    spikegate vectors example xylo one-neuron --out DIR          # a network with a hand-computed answer
    spikegate vectors example --list

The directory layout is documented in :mod:`spikegate.hdl.vectors` and in its ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def register(subparsers) -> None:
    parser = subparsers.add_parser("vectors", help="export test vectors ($readmemh files, Verilog testbench)",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="vectors_command", metavar="ACTION", required=True)
    export = commands.add_parser("export", help="test vectors of a config run on an input")
    export.add_argument("config", type=Path, help="Xylo or DYNAP-CNN register configuration (JSON)")
    export.add_argument("input", type=Path, help="Xylo raster (T, Nin) or DYNAP-CNN events (.npy)")
    export.add_argument("--out", type=Path, required=True, help="folder to write the vectors into")
    export.add_argument("--no-state", action="store_true", help="Xylo: leave out the expected state per step")
    export.add_argument("--membranes", type=int, nargs="*", default=[],
                        help="DYNAP-CNN: cores whose final membranes are expected")
    export.set_defaults(func=run_export)
    example = commands.add_parser("example", help="the smallest networks with known answers")
    example.add_argument("chip", nargs="?", choices=["xylo", "dynapcnn"], help="the chip of the example")
    example.add_argument("name", nargs="?", help="the example's name (see --list)")
    example.add_argument("--out", type=Path, help="also write its test vectors into this folder")
    example.add_argument("--list", action="store_true", help="list the examples")
    example.set_defaults(func=run_example)


def _export(config, data, out: Path, membranes=(), with_state=True) -> Path:
    from spikegate.sim.xylo import XyloConfig

    from .vectors import export_dynapcnn, export_xylo

    if isinstance(config, XyloConfig):
        return export_xylo(config, data, out, with_state=with_state)
    return export_dynapcnn(config, data, out, membrane_cores=membranes)


def run_export(args) -> int:
    from spikegate.sim.dynapcnn.config import ChipConfig
    from spikegate.sim.errors import UserError, load_array, load_json, user_input
    from spikegate.sim.xylo import XyloConfig

    kind = load_json(args.config).get("format")
    loaders = {"spikegate.xylo.config": XyloConfig.load, "spikegate.dynapcnn.config": ChipConfig.load}
    if kind not in loaders:
        raise UserError(f"{args.config}: not a spikegate config ('format' is {kind!r}, expected one of "
                        f"{sorted(loaders)})")
    with user_input(args.config):
        config = loaders[kind](args.config)
    data = load_array(args.input)
    with user_input(args.input):  # the model checks the raster or events
        out = _export(config, data, args.out, args.membranes, not args.no_state)
    print(f"wrote test vectors to {out}")
    return 0


def _summary(build) -> str:
    """The first sentence of an example's docstring (which may run over several lines)."""
    from spikegate.sim.cli import plain

    paragraph = " ".join(plain(build.__doc__).split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[:end + 1]


def run_example(args) -> int:
    from spikegate.sim.dynapcnn import DynapcnnSim
    from spikegate.sim.xylo import XyloSim

    from .examples import EXAMPLES

    if args.list or args.chip is None or args.name is None:
        for chip, examples in EXAMPLES.items():
            for name, build in examples.items():
                print(f"{chip} {name}: {_summary(build)}")
        return 0
    if args.name not in EXAMPLES[args.chip]:
        from spikegate.sim.errors import UserError

        raise UserError(f"name: no {args.chip} example {args.name!r}; there are {sorted(EXAMPLES[args.chip])}")
    config, data, answer = EXAMPLES[args.chip][args.name]()
    print(f"expected: {answer}")
    if args.chip == "xylo":
        out, _, rec = XyloSim(config).evolve(data, record=True)
        for n in range(config.n_hidden):
            print(f"  hidden {n} spikes at steps {np.flatnonzero(rec['Spikes'][:, n]).tolist()}")
        for o in range(config.n_outputs):
            print(f"  readout {o} spikes at steps {np.flatnonzero(out[:, o]).tolist()}")
    else:
        for event in DynapcnnSim(config)(data):
            print(f"  input event {event['t']}: core {event['layer']} feature {event['feature']} "
                  f"x {event['x']} y {event['y']}")
    if args.out:
        print(f"wrote test vectors to {_export(config, data, args.out, membranes=config.used_cores[-1:] if args.chip == 'dynapcnn' else ())}")
    return 0
