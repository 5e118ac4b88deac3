"""Result tables (Parquet when pyarrow is installed, else CSV), the run summary and its figures.

Columns of the per-sample table (one row per sample, in sample order):

``index`` (position in the dataset), ``name`` (file or sample id), ``label`` (-1: none),
``prediction`` (-1 for a malformed sample), ``correct``, ``status`` (``ok`` / ``error``),
``error`` (the reason, empty when ok), ``n_input`` (input events, or input counts for a raster),
``n_output`` (output spikes), ``out_<k>`` (output spikes of class k), ``sops_<unit>`` and
``events_<unit>`` (synaptic operations and emitted events per core: ``core<i>`` for DYNAP-CNN,
``input`` / ``recurrent`` / ``readout`` SOPs and ``hidden`` / ``readout`` events for Xylo),
``sops``, ``events`` (totals), ``latency_cycles``, ``energy_nj`` (see :mod:`.cost`), ``seconds``
(host time spent on the sample).

``summary.json``: accuracy over the samples that ran (``ok``), the confusion matrix (rows: label,
columns: prediction), mean / median / 95th percentile / max of SOPs, latency and energy, the
malformed samples with their reasons, and what ran (evaluator, dataset, workers, samples/s).
``confusion.png`` draws the matrix; ``costs.png`` the distributions of SOPs and latency.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

#: Parquet when pyarrow is installed, else CSV.
TABLE_SUFFIX = ".parquet" if find_spec("pyarrow") is not None else ".csv"
MAX_LISTED_ERRORS = 100


TEMPORARY_SUFFIX = ".tmp"
"""Suffix of the file :func:`write_atomically` writes before renaming it (a run killed meanwhile leaves one)."""


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary)``, flush it to the disk, rename it to ``path`` and flush the folder: readers, and a
    run resumed after a kill or a power loss, see the old file or the whole new one, never a part of it."""
    temporary = path.with_name(path.name + TEMPORARY_SUFFIX)
    write(temporary)
    _fsync(temporary)
    os.replace(temporary, path)
    if os.name == "posix":  # a folder cannot be opened for fsync on Windows (its renames are durable there)
        _fsync(path.parent)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a table atomically as Parquet or CSV by its suffix."""
    if path.suffix == ".parquet":
        write_atomically(path, lambda temporary: table.to_parquet(temporary, index=False))
    else:
        write_atomically(path, lambda temporary: table.to_csv(temporary, index=False))


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False, dtype={"name": str, "error": str, "status": str})


def write_json(document: dict, path: Path) -> None:
    """Write ``document`` atomically as indented JSON."""
    write_atomically(path, lambda temporary: temporary.write_text(json.dumps(document, indent=1)))


def _stats(values: np.ndarray) -> dict:
    if values.size == 0:
        return {}
    return {"mean": float(values.mean()), "median": float(np.median(values)),
            "p95": float(np.percentile(values, 95)), "max": float(values.max())}


def summarize(results: pd.DataFrame, evaluator) -> dict:
    """Accuracy, confusion matrix and cost statistics of a finished run."""
    ok = results[results["status"] == "ok"]
    labelled = ok[ok["label"] >= 0]
    classes = int(max(evaluator.n_outputs, (labelled["label"].max() + 1) if len(labelled) else 0))
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (labelled["label"].to_numpy(), labelled["prediction"].to_numpy()), 1)
    errors = results[results["status"] != "ok"]
    return {
        "samples": len(results), "evaluated": len(ok), "malformed": len(errors),
        "accuracy": float(labelled["correct"].mean()) if len(labelled) else None,
        "labelled": len(labelled),
        "confusion": confusion.tolist(),
        "sops": _stats(ok["sops"].to_numpy()), "events": _stats(ok["events"].to_numpy()),
        "latency_cycles": _stats(ok["latency_cycles"].to_numpy()), "energy_nj": _stats(ok["energy_nj"].to_numpy()),
        "seconds_per_sample": _stats(ok["seconds"].to_numpy()),
        "errors": [{"index": int(r["index"]), "name": r["name"], "error": r["error"]}
                   for r in errors.head(MAX_LISTED_ERRORS).to_dict("records")],
        "evaluator": evaluator.describe(),
    }


def write_plots(results: pd.DataFrame, summary: dict, out: Path) -> None:
    """``confusion.png`` and ``costs.png`` in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = np.asarray(summary["confusion"])
    figure, axis = plt.subplots(figsize=(1.2 + 0.5 * len(confusion), 1 + 0.5 * len(confusion)))
    axis.imshow(confusion, cmap="Blues")
    for (row, column), count in np.ndenumerate(confusion):
        axis.text(column, row, str(count), ha="center", va="center", fontsize=8,
                  color="white" if count > confusion.max() / 2 else "black")
    accuracy = summary["accuracy"]
    axis.set(xlabel="prediction", ylabel="label",
             title=f"accuracy {accuracy:.3f}" if accuracy is not None else "no labels")
    figure.tight_layout()
    _save_figure(figure, out / "confusion.png")
    plt.close(figure)

    ok = results[results["status"] == "ok"]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for axis, column, label in ((axes[0], "sops", "synaptic operations per sample"),
                                (axes[1], "latency_cycles", "latency per sample (cycles)")):
        axis.hist(ok[column].to_numpy(), bins=30)
        axis.set(xlabel=label, ylabel="samples")
    figure.tight_layout()
    _save_figure(figure, out / "costs.png")
    plt.close(figure)


def _save_figure(figure, path: Path) -> None:
    write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=100, format="png"))
