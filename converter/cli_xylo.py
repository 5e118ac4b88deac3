"""``spikegate xylo``: train a network for the Xylo LIF array, convert it and run it bit-exactly.

- ``spikegate xylo train --out DIR``: trains the spike-timing task of rockpool's Xylo tutorial
  (16 Poisson inputs, 63 + 63 hidden neurons with a residual block, 2 readout neurons) in torch,
  the last epochs on the chip's integer arithmetic (quantization-aware), converts it to a register
  config, runs :class:`spikegate.sim.xylo.XyloSim` on the test set and
  reports how well the chip matches the float network. Writes ``config.json``, ``input.npy`` (one
  test raster), ``xylo.png`` and ``report.json``.
- ``spikegate xylo run CONFIG.json INPUT.npy --out DIR``: simulates a saved config on a (T, Nin)
  raster of event counts; writes ``run.png`` and ``record.npz`` (output and every recorded array).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("xylo", help="train, convert and simulate networks for the Xylo LIF array",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="xylo_command", metavar="{train,run}", required=True)

    train = commands.add_parser("train", help="train the tutorial's spike-timing task, convert, simulate, compare")
    train.add_argument("--out", type=Path, default=Path("out/xylo"), help="output directory (default out/xylo)")
    train.add_argument("--seed", type=int, default=0, help="seed of the task data and the weights (default 0)")
    train.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    train.add_argument("--train-samples", type=int, default=128, help="training trials (default 128)")
    train.add_argument("--test-samples", type=int, default=64, help="test trials (default 64)")
    train.add_argument("--qat-epochs", type=int, default=5,
                       help="how many of the last epochs train on the chip's integer arithmetic (default 5)")
    train.set_defaults(func=run_train)

    run = commands.add_parser("run", help="simulate a saved config on an input raster and plot it")
    run.add_argument("config", type=Path, help="config JSON (as written by `spikegate xylo train`)")
    run.add_argument("input", type=Path, help=".npy array (T, Nin) of input event counts per step")
    run.add_argument("--out", type=Path, default=Path("out/xylo-run"), help="output directory (default out/xylo-run)")
    run.set_defaults(func=run_config)


def run_train(args) -> int:
    from .xylo.task import run_experiment

    from spikegate.sim.errors import UserError

    for name in ("epochs", "train_samples", "test_samples"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')}: value {getattr(args, name)} is below the minimum 1")
    if not 0 <= args.qat_epochs <= args.epochs:
        raise UserError(f"--qat-epochs: value {args.qat_epochs} is outside 0..{args.epochs} (0 to --epochs)")
    report = run_experiment(args.out, seed=args.seed, epochs=args.epochs, n_train=args.train_samples,
                            n_test=args.test_samples, qat_epochs=args.qat_epochs, progress=not args.no_progress)
    print(f"trained in {report['train_seconds']:.1f} s ({args.epochs} epochs), final loss {report['final_loss']:.4f}")
    print(f"task accuracy: float {report['accuracy_float']:.1%}, chip {report['accuracy_chip']:.1%} "
          f"({args.test_samples} test trials)")
    print(f"chip vs float: same decision on {report['decision_agreement']:.1%} of trials, identical readout output on "
          f"{report['samples_identical_output']:.1%}, {report['output_bin_agreement']:.2%} of (trial, step, readout) "
          f"bins equal; readout spikes float {report['output_spikes_float']}, chip {report['output_spikes_chip']}, "
          f"at the same step {report['output_spikes_coincident']}")
    print(f"integer emulation used in training = XyloSim on every recorded array: "
          f"{report['emulation_identical']:.1%} of test trials")
    print(f"wrote {args.out}/config.json, input.npy, xylo.png, report.json")
    return 0


def run_config(args) -> int:
    import numpy as np

    from spikegate.sim.errors import UserError, load_array, user_input
    from spikegate.sim.xylo import XyloConfig

    from .xylo.task import plot_sample, run_chip

    with user_input(args.config):
        config = XyloConfig.load(args.config)
    raster = load_array(args.input)
    if raster.ndim != 2 or raster.shape[1] != config.n_inputs:
        raise UserError(f"{args.input}: raster: expected shape (T, Nin={config.n_inputs}), got {raster.shape}")
    with user_input(args.input):  # the model checks dtype, channels and counts
        out, rec = run_chip(config, raster, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "record.npz", out=out, **rec)
    plot_sample(args.out / "run.png", raster, rec, out, threshold_out=config.threshold_out, dt=config.dt,
                title=f"{args.input.name}:")  # no float network here: the chip's run only
    print(f"{raster.shape[0]} steps: {int(out.sum())} readout spikes "
          f"({', '.join(str(int(n)) for n in out.sum(axis=0))} per readout neuron), "
          f"{int(rec['Spikes'].sum())} hidden spikes")
    print(f"wrote {args.out}/run.png, record.npz")
    return 0
