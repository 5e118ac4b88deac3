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

import copy
import itertools
import json
from pathlib import Path

import numpy as np

from spikegate.sim.cli_eval import add_model_options, add_run_options, model_options, open_dataset_arg, run_options

DEFAULT_GRIDS = {
    "dynapcnn": {"weight_scale": [0.5, 1.0, 2.0], "threshold_scale": [0.5, 1.0, 2.0], "pooling": ["sum", "avg"]},
    "xylo": {"scale": [None], "max_threshold": [256, 4096], "dash_offset": [-1, 0, 1], "weight_shift_offset": [0, 2]},
}
CHIPS = tuple(DEFAULT_GRIDS)


def register(subparsers) -> None:
    parser = subparsers.add_parser("sweep", help="evaluate a grid of conversion settings over a dataset (Dask)",
                                   description=__doc__, formatter_class=_raw_help())
    parser.add_argument("model", help="torch.save'd module, .nir graph, or bundled:dynapcnn / bundled:xylo")
    parser.add_argument("dataset", help="as for spikegate eval")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                        help="values of one setting (repeatable); settings not given keep their default grid")
    parser.add_argument("--chip", choices=CHIPS, help="the chip of a .nir model")
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
def bundled_model(chip: str):
    """Float torch versions of :func:`spikegate.sim.eval.synthetic.dynapcnn_network` / ``xylo_network``."""
    import torch
    from torch import nn

    from spikegate.sim.eval.synthetic import SyntheticDVS, SyntheticRaster, line_kernel

    if chip == "dynapcnn":
        from .dynapcnn import IAF, SumPool2d

        classes = SyntheticDVS.n_classes
        detect, add = nn.Conv2d(2, classes, 5, padding=2, bias=False), nn.Conv2d(classes, classes, 4, bias=False)
        with torch.no_grad():  # torch kernels are [f][c][ky][kx]: the transpose of the chip's [kx][ky]
            detect.weight.copy_(torch.tensor(np.stack([[line_kernel(k).T] * 2 for k in range(classes)]) / 3.0))
            add.weight.copy_(torch.tensor(np.eye(classes)[:, :, None, None] * np.ones((4, 4))) / 3.0)
        floor = -64 / 3.0
        return nn.Sequential(detect, IAF(8.0, min_v_mem=floor), SumPool2d(4), add, IAF(2 / 3.0, min_v_mem=floor))
    from .xylo import LIF, Readout, XyloNet

    classes, group = SyntheticRaster.n_classes, SyntheticRaster.channels // SyntheticRaster.n_classes
    hidden_class = np.repeat(np.arange(classes), 2)
    channel_class = np.arange(SyntheticRaster.channels) // group
    first, second = nn.Linear(SyntheticRaster.channels, 2 * classes, bias=False), nn.Linear(2 * classes, classes,
                                                                                           bias=False)
    with torch.no_grad():  # nn.Linear weights are [out][in]
        first.weight.copy_(torch.tensor(np.where(hidden_class[:, None] == channel_class[None, :], 0.4, -0.4 / 3)))
        second.weight.copy_(torch.tensor(np.where(np.arange(classes)[:, None] == hidden_class[None, :], 2 / 3, 0.0)))
    return XyloNet(first, LIF(2 * classes, tau_mem=4e-3, tau_syn=4e-3), second, Readout(classes, tau_mem=4e-3,
                                                                                        tau_syn=4e-3))


def load_model(spec: str, chip: str | None):
    """(chip, model) from a MODEL argument: bundled name, .nir graph or torch-saved module."""
    if spec.startswith("bundled:"):
        chip = spec[len("bundled:"):]
        if chip not in CHIPS:
            raise ValueError(f"model {spec!r}: bundled models are {[f'bundled:{c}' for c in CHIPS]}")
        return chip, bundled_model(chip)
    if spec.endswith(".nir"):
        import nir

        if chip is None:
            raise ValueError(f"model {spec!r}: a NIR graph needs --chip dynapcnn or --chip xylo")
        return chip, nir.read(spec)
    import torch

    from .xylo import XyloNet

    import pickle

    try:
        model = torch.load(spec, weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as error:
        raise ValueError(f"not a file written by torch.save ({error})") from error
    if isinstance(model, dict):
        raise ValueError("holds a state_dict (a dict of tensors), not a model: save the whole module with "
                         "torch.save(model, path), or export it to NIR")
    return ("xylo" if isinstance(model, XyloNet) else "dynapcnn"), model


# ----------------------------------------------------------------------------------- conversion
def convert(chip: str, model, setting: dict, input_shape=None, dt: float | None = None):
    """The chip config of ``model`` converted with one ``setting`` (names as in the module docstring);
    ``input_shape`` (C, H, W) is for DYNAP-CNN torch models, ``dt`` (s) for Xylo NIR graphs."""
    if chip == "xylo":
        return _convert_xylo(model, dt, **setting)
    return _convert_dynapcnn(model, input_shape, **setting)


def _convert_dynapcnn(model, input_shape, weight_scale=1.0, threshold_scale=1.0, pooling="sum"):
    from .dynapcnn import from_nir, from_torch

    if not hasattr(model, "modules"):
        if (weight_scale, threshold_scale) != (1.0, 1.0):
            raise ValueError("weight_scale / threshold_scale: only torch models can be rescaled, not NIR graphs")
        return from_nir(model, input_shape)
    if input_shape is None:
        raise ValueError("input_shape: give --input-shape C,H,W for a torch model")
    return from_torch(rescaled(model, weight_scale, threshold_scale, pooling), tuple(input_shape))


def rescaled(model, weight_scale: float, threshold_scale: float, pooling: str):
    """A copy of a DYNAP-CNN torch model with scaled weights, scaled thresholds and the chosen pooling."""
    import torch
    from torch import nn

    from .dynapcnn import IAF, SumPool2d

    if pooling not in ("sum", "avg"):
        raise ValueError(f"pooling: value {pooling!r} is not one of ('sum', 'avg')")
    model = copy.deepcopy(model)
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, IAF(threshold_scale, min_v_mem=-threshold_scale))
            elif isinstance(child, IAF):
                child.spike_threshold *= threshold_scale
                child.min_v_mem = None if child.min_v_mem is None else child.min_v_mem * threshold_scale
            elif isinstance(child, (nn.Conv2d, nn.Linear)):
                with torch.no_grad():
                    child.weight.mul_(weight_scale)
                    if child.bias is not None:
                        child.bias.mul_(weight_scale)
            elif isinstance(child, (SumPool2d, nn.AvgPool2d)):
                size = child.kernel_size if isinstance(child.kernel_size, int) else child.kernel_size[0]
                setattr(parent, name, SumPool2d(size) if pooling == "sum" else nn.AvgPool2d(size))
    return model


def _convert_xylo(model, dt, scale=None, max_threshold=4096, dash_offset=0, weight_shift_offset=0):
    from spikegate.sim.xylo import XyloConfig

    from .xylo import from_nir, to_xylo_spec

    if hasattr(model, "modules"):
        spec = to_xylo_spec(model, dt=dt, scale=scale, max_threshold=int(max_threshold))
    else:
        spec = from_nir(model, **({} if dt is None else {"dt": dt}), scale=scale, max_threshold=int(max_threshold))
    return requantized(XyloConfig.from_spec(**spec), int(dash_offset), int(weight_shift_offset))


def requantized(config, dash_offset: int, weight_shift_offset: int):
    """A Xylo config with every dash moved by ``dash_offset`` (synaptic dashes kept >= 1, so that no
    synapse is cut off) and ``weight_shift_offset`` more bits of weight shift per matrix (capped at 7),
    weights rounded (half to even) to ``w / 2^d`` for the d bits actually added."""
    from spikegate.sim.xylo.config import MAX_DASH, MAX_WEIGHT_SHIFT

    changes = {}
    for name in ("dash_mem", "dash_mem_out", "dash_syn", "dash_syn_2", "dash_syn_out"):
        low = 0 if name.startswith("dash_mem") else 1
        changes[name] = np.clip(getattr(config, name).astype(np.int64) + dash_offset, low, MAX_DASH)
    for matrix in ("in", "rec", "out"):
        shift = getattr(config, f"weight_shift_{matrix}")
        added = min(shift + weight_shift_offset, MAX_WEIGHT_SHIFT) - shift
        weights = getattr(config, f"weights_{matrix}").astype(np.float64)
        changes[f"weights_{matrix}"] = np.rint(weights / 2 ** added).astype(np.int64)
        changes[f"weight_shift_{matrix}"] = shift + added
    return config.replace(**changes)


# ------------------------------------------------------------------------------------------ sweep
#: Per setting: what its values must be, and the test (``auto`` / None is the converter's own choice).
SETTING_VALUES = {
    "weight_scale": ("a positive number", lambda v: _number(v) and v > 0),
    "threshold_scale": ("a positive number", lambda v: _number(v) and v > 0),
    "pooling": ("'sum' or 'avg'", lambda v: v in ("sum", "avg")),
    "scale": ("'auto' or a positive number", lambda v: v is None or (_number(v) and v > 0)),
    "max_threshold": ("an integer 1..32767", lambda v: isinstance(v, int) and 1 <= v <= 32767),
    "dash_offset": ("an integer", lambda v: isinstance(v, int)),
    "weight_shift_offset": ("an integer 0..7", lambda v: isinstance(v, int) and 0 <= v <= 7),
}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and np.isfinite(value)


def parse_grid(items: list[str], chip: str) -> dict[str, list]:
    """The chip's default grid with ``NAME=V1,V2`` items replacing single settings; every value is checked
    here, before anything runs."""
    grid = {name: list(values) for name, values in DEFAULT_GRIDS[chip].items()}
    for item in items:
        name, _, values = item.partition("=")
        if name not in grid:
            raise ValueError(f"--grid {item!r}: {chip} settings are {sorted(grid)}")
        if not values:
            raise ValueError(f"--grid {item!r}: no values")
        grid[name] = [_value(v) for v in values.split(",")]
        expected, valid = SETTING_VALUES[name]
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
    from spikegate.sim.errors import UserError, positive_ints, user_input
    from spikegate.sim.eval import make_evaluator

    with user_input(None if args.model.startswith("bundled:") else args.model):
        chip, model = load_model(args.model, args.chip)
    with user_input(None):
        grid = parse_grid(args.grid, chip)
    input_shape = positive_ints("--input-shape", args.input_shape, "C,H,W") if args.input_shape else None
    if chip == "dynapcnn" and input_shape is None and args.model.startswith("bundled:"):
        from spikegate.sim.eval.synthetic import SyntheticDVS

        input_shape = (2, SyntheticDVS.size, SyntheticDVS.size)
    if chip == "dynapcnn" and input_shape is None and hasattr(model, "modules"):
        raise UserError("--input-shape: give C,H,W for a torch model")
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
