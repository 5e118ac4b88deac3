"""``spikegate dynapcnn``: convert models to DYNAP-CNN register configs and run the seed network.

    spikegate dynapcnn run [--events 20000] [--seed 0] [--out out/dynapcnn] [--order depth-first]
    spikegate dynapcnn convert MODEL.nir|MODEL.pt --input-shape 1 28 28 --out config.json [--ordering 0 3 5 6 1]

``run`` converts the seed MNIST network (weights seeded so that every layer is active), places it on the
nine cores, writes its config (``seed_config.json``), runs a synthetic moving-ring event stream through
the event-driven model in chunks (progress bar) and prints placement, memory per core, events and
synaptic operations per core; the output spike counts go to ``output_counts.png``.

``convert`` reads a NIR graph (``.nir``) or a whole pickled ``torch.nn.Sequential`` (``.pt``, loaded with
``weights_only=False``: only load files you trust), converts it and writes the JSON config.
"""

from __future__ import annotations

import json
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("dynapcnn", help="DYNAP-CNN: convert models, run the seed network",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="dynapcnn_command", metavar="ACTION", required=True)
    run = commands.add_parser("run", help="convert, place and simulate the seed MNIST network on synthetic events")
    run.add_argument("--events", type=int, default=20000, help="number of input events (default 20000)")
    run.add_argument("--seed", type=int, default=0, help="seed of the weights and the events")
    run.add_argument("--out", type=Path, default=Path("out/dynapcnn"), help="output directory")
    run.add_argument("--chunk", type=int, default=1000, help="events fed to the model per call")
    run.add_argument("--order", choices=["depth-first", "breadth-first"], default="depth-first",
                     help="event order: the chip's (depth-first) or specksim's (breadth-first)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(func=run_seed)
    convert = commands.add_parser("convert", help="convert a NIR graph or a pickled torch Sequential to a config")
    convert.add_argument("model", type=Path, help="model file: .nir (NIR graph) or .pt (pickled nn.Sequential)")
    convert.add_argument("--input-shape", type=int, nargs=3, metavar=("C", "H", "W"),
                         help="input shape (required for torch; NIR defaults to its Input node)")
    convert.add_argument("--chip", default="speck2f", choices=("speck2f", "speck2e", "dynapcnn_devkit"),
                         help="chip profile (default speck2f)")
    convert.add_argument("--ordering", type=int, nargs="+", help="cores of the layers in order (default: auto)")
    convert.add_argument("--out", type=Path, required=True, help="config file to write (JSON)")
    convert.set_defaults(func=run_convert)


def run_seed(args) -> int:
    from .dynapcnn.demo import demo

    from spikegate.sim.errors import UserError

    for name in ("events", "chunk"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name}: value {getattr(args, name)} is below the minimum 1")
    figures = demo(args.out, n_events=args.events, seed=args.seed, chunk=args.chunk, order=args.order,
                   progress=not args.no_progress)
    (Path(args.out) / "summary.json").write_text(json.dumps(figures, indent=2))
    print(f"wrote {figures['config']}, {figures['plot']} and {Path(args.out) / 'summary.json'}")
    return 0


def run_convert(args) -> int:
    import pickle

    from spikegate.sim.errors import UserError, user_input

    from .dynapcnn import from_nir, from_torch, memory_summary

    ordering = "auto" if args.ordering is None else args.ordering
    if args.model.suffix not in (".nir", ".pt", ".pth"):
        raise UserError(f"{args.model}: expected a .nir graph or a .pt / .pth pickled torch.nn.Sequential")
    with user_input(args.model):
        if not args.model.is_file():
            raise FileNotFoundError(args.model)
        if args.model.suffix == ".nir":
            from .nir_file import read_nir

            graph = read_nir(args.model)
        else:
            import torch

            try:
                model = torch.load(args.model, weights_only=False)
            except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as error:
                raise ValueError(f"not a file written by torch.save ({error})") from error
            if isinstance(model, dict):
                raise ValueError("holds a state_dict (a dict of tensors), not a model: save the whole module with "
                                 "torch.save(model, path) (an nn.Sequential), or export it to NIR")
    with user_input(args.model):
        if args.model.suffix == ".nir":
            config = from_nir(graph, input_shape=args.input_shape, chip=args.chip, chip_layers_ordering=ordering)
        else:
            if args.input_shape is None:
                raise UserError("--input-shape: C H W is required for a torch model")
            config = from_torch(model, tuple(args.input_shape), chip=args.chip, chip_layers_ordering=ordering)
    config.save(args.out)
    print(f"placement (layer -> core): {dict(sorted(config.layer_to_core.items()))}")
    print(f"memory per layer: {memory_summary(config)}")
    print(f"wrote {args.out} (digest {config.digest()[:16]})")
    return 0
