"""``spikegate eval CONFIG DATASET``: a chip-exact network over a whole labelled dataset.

    spikegate eval bundled:dynapcnn synthetic:dvs --out out/eval-dvs          # 2 local workers
    spikegate eval bundled:xylo synthetic:xylo:1000 --workers 0                 # serially, in-process
    spikegate eval chip.json Test/ --sensor 34,34,2 --scheduler tcp://HOST:8786  # an existing cluster

CONFIG: a register configuration (JSON written by ``spikegate xylo`` / ``spikegate dynapcnn``), or
``bundled:dynapcnn`` / ``bundled:xylo`` (hand-built networks for the synthetic datasets).
DATASET: an .npz file, a folder ``ROOT/<class>/<sample>.bin|.npy`` (N-MNIST layout),
``tonic:NAME:ROOT[:train]`` or ``synthetic:dvs|xylo[:SAMPLES[:SEED]]``.

Writes OUT/results.parquet (.csv without pyarrow), OUT/summary.json, OUT/confusion.png, OUT/costs.png
and the per-shard files; running the same command again resumes an interrupted run.
"""

from __future__ import annotations

from pathlib import Path

from .chip import add_cli_options, chips, cli_option_values


def add_run_options(parser) -> None:
    """Options shared by ``eval`` and ``sweep``: where it runs and how results are kept."""
    parser.add_argument("--workers", type=int, default=2,
                        help="local Dask worker processes (default 2); 0 runs serially in this process")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run on this existing Dask cluster instead of a local one")
    parser.add_argument("--dashboard", default="127.0.0.1:8787", metavar="ADDR",
                        help="dashboard address of a local cluster (default 127.0.0.1:8787); 'none' for none")
    parser.add_argument("--shard-size", type=int, default=16, help="samples per shard (default 16)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the results of a different earlier run in --out instead of refusing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--sensor", metavar="W,H,P",
                        help="sensor size for a folder dataset: events outside it are reported as malformed")


def add_model_options(parser) -> None:
    """Options of the model and prediction rule: each chip's own (its descriptor's ``cli_options["eval"]``),
    then the energy prices."""
    add_cli_options(parser, "eval")
    parser.add_argument("--pj-per-sop", type=float, help="energy of one synaptic operation in pJ (see docs/eval.md)")
    parser.add_argument("--pj-per-event", type=float, help="energy of one emitted event in pJ")


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="evaluate a chip config over a labelled dataset (Dask)",
                                   description=__doc__)
    bundled = " / ".join(f"bundled:{name}" for name, chip in chips().items() if chip.bundled_network)
    parser.add_argument("config", help=f"register config JSON, or {bundled}")
    parser.add_argument("dataset", help=".npz, class-folder tree, tonic:NAME:ROOT or synthetic:dvs|xylo[:N[:SEED]]")
    parser.add_argument("--out", type=Path, default=Path("out/eval"), help="output folder (default out/eval)")
    add_model_options(parser)
    add_run_options(parser)
    parser.set_defaults(func=run)


def model_options(args) -> dict:
    """Keyword arguments of :func:`spikegate.sim.eval.make_evaluator` from the command line."""
    values, _ = cli_option_values(args, "eval")
    return {**values, "pj_per_sop": args.pj_per_sop, "pj_per_event": args.pj_per_event}


def run_options(args) -> dict:
    """Keyword arguments of :func:`spikegate.sim.eval.evaluate` from the command line."""
    return {"workers": args.workers, "scheduler": args.scheduler, "shard_size": args.shard_size,
            "dashboard": None if args.dashboard.lower() == "none" else args.dashboard,
            "overwrite": args.overwrite, "progress": not args.no_progress}


def open_dataset_arg(args):
    from .errors import positive_ints, user_input
    from .eval import open_dataset

    sensor = positive_ints("--sensor", args.sensor, "W,H,P") if args.sensor else None
    with user_input(None):  # open_dataset's messages name the dataset
        return open_dataset(args.dataset, sensor=sensor)


def load_evaluator(args, config):
    """The evaluator of ``config`` with the command line's model options, checked against nothing yet."""
    from .errors import user_input
    from .eval import make_evaluator

    with user_input(None):  # the messages name the option (rule, mode, output_core, dt_us, device, ...)
        return make_evaluator(config, **model_options(args))


def check_fit_args(args, evaluator, dataset, config_name: str) -> None:
    """Refuse a network and a dataset that cannot fit (chip vs data kind, input size, classes vs readout)."""
    from .errors import UserError
    from .eval.fit import check_fit

    try:
        check_fit(evaluator, dataset, config_name=config_name, dataset_name=args.dataset)
    except ValueError as error:
        raise UserError(str(error)) from error


def warm_up(evaluator, dataset) -> None:
    """Run the first sample once before any clock starts, so that numba's first compilation (announced when
    it takes a while) is in no reported time; the workers then load the kernels from numba's disk cache."""
    from .eval.datasets import MalformedSample
    from .progress import compiling

    try:
        sample = dataset.load(0)
        with compiling(f"{evaluator.chip} model"):
            evaluator.evaluate(evaluator.simulator(), sample)
    except (MalformedSample, ValueError, TypeError, OSError):  # the run records such a sample as malformed
        pass


def run(args) -> int:
    from .errors import user_input
    from .eval import evaluate, load_config

    with user_input(args.config):
        config = load_config(args.config)
    evaluator = load_evaluator(args, config)
    dataset = open_dataset_arg(args)
    check_fit_args(args, evaluator, dataset, args.config)
    warm_up(evaluator, dataset)
    with user_input(None):  # refusals of the run (a different run in --out, bad sizes) name what
        summary = evaluate(evaluator, dataset, args.out, **run_options(args))
    accuracy = summary["accuracy"]
    print(f"{summary['evaluated']} samples evaluated, {summary['malformed']} malformed; accuracy "
          f"{'n/a' if accuracy is None else f'{accuracy:.4f}'}; mean {summary['sops'].get('mean', 0):.0f} SOPs, "
          f"{summary['latency_cycles'].get('mean', 0):.0f} cycles, {summary['energy_nj'].get('mean', 0):.1f} nJ "
          f"per sample; {summary['run']['samples_per_s'] or 'all shards resumed, 0'} samples/s")
    print(f"wrote {args.out}/summary.json, results, confusion.png, costs.png")
    return 0
