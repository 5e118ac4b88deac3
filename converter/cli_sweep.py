"""``spikegate sweep MODEL DATASET``: convert a float network with every combination of a grid of settings,
evaluate each chip config over the dataset (as ``spikegate eval``), and report one table and the best setting.

    spikegate sweep bundled:dynapcnn synthetic:dvs --out out/sweep-dvs
    spikegate sweep bundled:xylo synthetic:xylo --grid max_threshold=256,4096 --grid dash_offset=-1,0,1
    spikegate sweep net.pt Test/ --input-shape 2,34,34 --grid weight_scale=0.5,1,2 --scheduler tcp://HOST:8786

MODEL: a torch module saved whole with ``torch.save`` (an ``XyloNet`` for Xylo, an ``nn.Sequential`` for
DYNAP-CNN), a NIR graph (``.nir``, with ``--chip``), or ``bundled:dynapcnn`` / ``bundled:xylo`` (float
versions of the networks of ``spikegate eval bundled:...``).

Settings (``--grid NAME=V1,V2,...``, repeatable; ``auto`` means the converter's own choice):

DYNAP-CNN (:func:`spikegate.converter.dynapcnn.from_torch`):
  weight_scale      every weight multiplied by this before conversion (default grid 0.5, 1, 2)
  threshold_scale   every spiking threshold and floor multiplied by this (ReLUs become IAF(s, -s));
                    default grid 0.5, 1, 2
  pooling           "sum" or "avg": every pooling layer made sum (SumPool2d) or average (AvgPool2d)
                    pooling, which the converter folds into the next layer's weights (default sum, avg)
Xylo (:func:`spikegate.converter.xylo.to_xylo_spec`):
  scale             the quantization state scale σ (integer units per float unit), "auto" (default)
  max_threshold     the largest integer threshold the automatic scale aims for (default 256, 4096)
  dash_offset       added to every decay shift after conversion: -1 / +1 are the time constants one
                    power of two shorter / longer than the nearest-rounded log2(τ/dt) (default -1, 0, 1)
  weight_shift_offset  d more bits of weight shift per matrix (capped at 7), weights rounded to
                    w / 2^d: the precision a coarser quantization keeps (default 0, 2)

Writes OUT/sweep.parquet (.csv without pyarrow): one row per setting (the settings, accuracy, mean SOPs,
latency, energy, malformed samples, the config's digest), OUT/sweep.json with the best setting (highest
accuracy, then fewest mean SOPs), and OUT/<setting>/ with each evaluation (resumable, as eval's).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from spikegate.sim.chip import chips, get_chip
from spikegate.sim.cli_eval import add_model_options, add_run_options, model_options, open_dataset_arg, run_options
from spikegate.sim.extras import require

require("spikegate sweep", "dask", "distributed", "pandas", extra="eval")  # it evaluates every setting


def converter_chips() -> dict:
    """The registered chips that have a converter facet, by name."""
    return {name: chip for name, chip in chips().items() if chip.has_facet("converter")}


def register(subparsers) -> None:
    parser = subparsers.add_parser("sweep", help="evaluate a grid of conversion settings over a dataset (Dask)",
                                   description=__doc__, formatter_class=_raw_help())
    parser.add_argument("model", help="torch.save'd module, .nir graph, or bundled:dynapcnn / bundled:xylo")
    parser.add_argument("dataset", help="as for spikegate eval")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                        help="values of one setting (repeatable); settings not given keep their default grid")
    parser.add_argument("--chip", choices=sorted(converter_chips()), help="the chip of a .nir model")
    parser.add_argument("--input-shape", metavar="C,H,W", help="DYNAP-CNN input shape (default from the model)")
    parser.add_argument("--dt", type=float, help="time step in seconds of a Xylo NIR graph (default: the converter's, "
                        "1e-4 s as snnTorch exports)")
    parser.add_argument("--out", type=Path, default=Path("out/sweep"), help="output folder (default out/sweep)")
    add_model_options(parser)
    add_run_options(parser)
    parser.set_defaults(func=run)


def _raw_help():
    import argparse

    return argparse.RawDescriptionHelpFormatter


# ------------------------------------------------------------------------------------------ models
def load_model(spec: str, chip: str | None):
    """(chip, model, conversion defaults) from a MODEL argument: bundled name, .nir graph or torch-saved module."""
    if spec.startswith("bundled:"):
        name = spec[len("bundled:"):]
        if name not in converter_chips():
            raise ValueError(f"model {spec!r}: bundled models are {[f'bundled:{c}' for c in converter_chips()]}")
        model, defaults = get_chip(name).facet("converter").bundled_model()
        return name, model, defaults
    if spec.endswith(".nir"):
        from .nir_file import read_nir

        if chip is None:
            raise ValueError(f"model {spec!r}: a NIR graph needs {' or '.join(f'--chip {c}' for c in converter_chips())}")
        return chip, read_nir(spec), {}
    import torch

    import pickle

    try:
        model = torch.load(spec, weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as error:
        raise ValueError(f"not a file written by torch.save ({error})") from error
    if isinstance(model, dict):
        raise ValueError("holds a state_dict (a dict of tensors), not a model: save the whole module with "
                         "torch.save(model, path), or export it to NIR")
    for name, descriptor in converter_chips().items():
        if descriptor.facet("converter").accepts(model):
            return name, model, {}
    kinds = "; ".join(f"{name}: {c.facet('converter').model_kind}" for name, c in converter_chips().items())
    raise ValueError(f"a {type(model).__name__} is not a model any chip converts ({kinds})")


def convert(chip: str, model, setting: dict, input_shape=None, dt: float | None = None):
    """The chip config of ``model`` converted with one ``setting`` (the names of the chip's converter facet);
    ``input_shape`` (C, H, W) is for DYNAP-CNN torch models, ``dt`` (s) for Xylo NIR graphs."""
    return get_chip(chip).facet("converter").convert(model, setting, input_shape=input_shape, dt=dt)


# ------------------------------------------------------------------------------------------ sweep
def parse_grid(items: list[str], chip: str) -> dict[str, list]:
    """The chip's default grid with ``NAME=V1,V2`` items replacing single settings; every value is checked
    here, before anything runs."""
    converter = get_chip(chip).facet("converter")
    grid = {name: list(values) for name, values in converter.default_grid.items()}
    for item in items:
        name, _, values = item.partition("=")
        if name not in grid:
            raise ValueError(f"--grid {item!r}: {chip} settings are {sorted(grid)}")
        if not values:
            raise ValueError(f"--grid {item!r}: no values")
        grid[name] = [_value(v) for v in values.split(",")]
        expected, valid = converter.setting_values[name]
        for value in grid[name]:
            if not valid(value):
                raise ValueError(f"--grid {item!r}: value {'auto' if value is None else value!r} of {name} is not "
                                 f"{expected}")
    return grid


def _value(text: str):
    if text.lower() in ("auto", "none"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def setting_name(setting: dict) -> str:
    return ",".join(f"{k}={'auto' if v is None else v}" for k, v in setting.items())


def sweep(chip: str, model, dataset, grid: dict[str, list], out: Path, *, input_shape=None, dt=None,
          eval_options=None, scheduler=None, workers: int = 2, dashboard=None, **run_options):
    """Evaluate every combination of ``grid``; returns (table, best row). One Dask client serves all."""
    import pandas as pd

    from spikegate.sim.eval import dask_client, evaluate, make_evaluator
    from spikegate.sim.eval.report import TABLE_SUFFIX, write_table

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    rows = []
    with dask_client(scheduler, workers, dashboard) as client:
        for setting in settings:
            row = {name: ("auto" if v is None else v) for name, v in setting.items()}
            try:
                config = convert(chip, model, setting, input_shape, dt)
            except ValueError as error:
                rows.append({**row, "status": f"conversion failed: {error}"})
                continue
            summary = evaluate(make_evaluator(config, **(eval_options or {})), dataset, out / setting_name(setting),
                               scheduler=client, workers=0, **run_options)
            rows.append({**row, "status": "ok", "accuracy": summary["accuracy"], "malformed": summary["malformed"],
                         "mean_sops": summary["sops"].get("mean"), "mean_events": summary["events"].get("mean"),
                         "mean_latency_cycles": summary["latency_cycles"].get("mean"),
                         "mean_energy_nj": summary["energy_nj"].get("mean"), "config_digest": config.digest()})
    table = pd.DataFrame(rows)
    write_table(table, out / f"sweep{TABLE_SUFFIX}")
    converted = table[table["status"] == "ok"]
    best = None
    if len(converted):
        ranked = converted.assign(_a=converted["accuracy"].fillna(-1.0)).sort_values(
            ["_a", "mean_sops"], ascending=[False, True], kind="stable")
        best = ranked.drop(columns="_a").iloc[0].to_dict()
    doc = {"chip": chip, "grid": {k: ["auto" if v is None else v for v in vs] for k, vs in grid.items()},
           "best": best, "rows": table.to_dict("records")}
    (out / "sweep.json").write_text(json.dumps(doc, indent=1, default=_json_default))
    return table, best


def _json_default(value):
    return value.item() if isinstance(value, np.generic) else str(value)


def first_config(chip: str, model, grid: dict[str, list], input_shape, dt):
    """The config of the first setting of ``grid`` that converts, or None."""
    for values in itertools.product(*grid.values()):
        try:
            return convert(chip, model, dict(zip(grid, values)), input_shape, dt)
        except ValueError:
            continue
    return None


def run(args) -> int:
    from spikegate.sim.cli_eval import check_fit_args
    from spikegate.sim.errors import positive_ints, user_input
    from spikegate.sim.eval import make_evaluator

    with user_input(None if args.model.startswith("bundled:") else args.model):
        chip, model, defaults = load_model(args.model, args.chip)
    with user_input(None):
        grid = parse_grid(args.grid, chip)
    input_shape = positive_ints("--input-shape", args.input_shape, "C,H,W") if args.input_shape else None
    input_shape = input_shape or defaults.get("input_shape")
    with user_input(None):
        get_chip(chip).facet("converter").check(model, input_shape=input_shape, dt=args.dt)
    dataset = open_dataset_arg(args)
    config = first_config(chip, model, grid, input_shape, args.dt)
    if config is not None:  # does the network fit the data? (any converted setting tells)
        with user_input(None):
            evaluator = make_evaluator(config, **model_options(args))
        check_fit_args(args, evaluator, dataset, args.model)
    options = run_options(args)
    with user_input(None):
        table, best = sweep(chip, model, dataset, grid, args.out, input_shape=input_shape, dt=args.dt,
                            eval_options=model_options(args), scheduler=options.pop("scheduler"),
                            workers=options.pop("workers"), dashboard=options.pop("dashboard"), **options)
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.drop(columns=["config_digest"], errors="ignore").to_string(index=False))
    if best is None:
        print("no setting converted")
        return 1
    settings = ", ".join(f"{name}={best[name]}" for name in grid)
    print(f"best: {settings}: accuracy {best['accuracy']:.4f}, {best['mean_sops']:.0f} SOPs per sample")
    print(f"wrote {args.out}/sweep.json and the sweep table")
    return 0
