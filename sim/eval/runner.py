"""Evaluation runs: samples split into shards, shards run serially or on Dask, results kept per shard.

A run lives in one output folder::

    OUT/manifest.json          what the run is (chip, config digest, options, dataset, shard size) and
                               which shards are finished, with their files
    OUT/shards/shard-00003.parquet   per-sample rows of shard 3 (.csv when pyarrow is not installed)
    OUT/results.parquet        all rows in sample order, written when every shard is in
    OUT/summary.json, OUT/confusion.png, OUT/costs.png   (see :mod:`.report`)

Nothing is lost:

- a shard's rows are written and then recorded in the manifest as soon as the shard finishes, so an
  interrupted run keeps every finished shard; every file is written atomically (temporary name, fsync,
  rename: :func:`.report.write_atomically`), so a run killed at any moment leaves no torn file;
- running the same command again resumes: shards recorded in the manifest whose files hold their
  samples are skipped (a missing or torn file, as older versions could leave, is run again with a
  warning); a manifest of a different run (other config, options, dataset or shard size) is refused
  unless ``overwrite`` is set;
- on Dask, a worker process that dies takes its unfinished shards with it; the scheduler runs them
  again on another worker (Dask's own task recovery). Rows are keyed by sample index and each shard
  is written once, so every sample is counted exactly once; the final table is checked for that. A
  shard that kills its workers every time (a sample that crashes the process) is run again one sample
  per task, and the sample that does it gets an error row;
- a malformed sample gives a row with ``status = "error"`` and the reason, and the run goes on.

Local clusters are started with worker processes of one thread each, the scheduler and dashboard on
127.0.0.1 (dashboard off with ``dashboard=None``), and Dask's ``MALLOC_TRIM_THRESHOLD_`` worker
setting removed (``distributed.nanny.pre-spawn-environ``): with it, numpy-heavy tasks took 1.7x the
CPU time of a plain loop on the project's machines. Their scheduler hands a worker its next shard only
when it is free (``worker-saturation`` 1.0), so that when a worker dies, Dask blames only the shard it
was running (it counts every task held by a dying worker as suspect). Their nannies restart a dead worker
however long that takes (``distributed.deploy.lost-worker-timeout`` 1 h): with Dask's 15 s, a worker that
died again while its nanny was restarting it, 15 s after an earlier death, had its nanny closed for good
(seen with a sample that kills its worker every time on a loaded machine: the cluster ran out of workers).
Scripts that start one need the ``if __name__ == "__main__":`` guard (worker processes are spawned).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .chips import Evaluator
from ..errors import UserError
from .report import TABLE_SUFFIX, TEMPORARY_SUFFIX, read_table, summarize, write_json, write_plots, write_table

MANIFEST_FORMAT = "spikegate.eval.manifest"
DEFAULT_SHARD_SIZE = 16
DEFAULT_DASHBOARD = "127.0.0.1:8787"
# The three bounds below are read when used: tests set them lower (``monkeypatch.setattr``) to take seconds.
WORKER_WAIT_S = 60
"""Seconds a run waits for a live worker (at the start on an existing cluster, or after all workers left)
before it stops with :class:`ClusterLost`."""
POLL_S = 1.0
"""Seconds between checks of the cluster while no shard finishes (how soon a lost cluster is noticed)."""
RESULT_WAIT_S = 60.0
"""Seconds a finished future's result may take to arrive from its worker before the run stops: as long as
:data:`WORKER_WAIT_S`, since a result lost with its worker comes only once Dask has computed it again, on a
restarted worker (which took over 30 s on a loaded 2-core machine)."""


LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.deploy.lost-worker-timeout": "1h",
}
"""Dask settings of the local clusters (see the module doc). The last one is read whenever a worker leaves:
:func:`dask_client` keeps them set for its cluster's whole life."""


class ClusterLost(UserError):
    """The Dask cluster had no live worker for :data:`WORKER_WAIT_S` s (or a finished shard's result never
    arrived): the run stops; finished shards are kept and running ``spikegate eval`` again resumes."""


# ------------------------------------------------------------------------------------- one shard
def run_shard(evaluator: Evaluator, dataset, start: int, stop: int) -> pd.DataFrame:
    """Rows of samples ``start..stop-1``: one per sample, errors included (runs on a worker). Samples go to
    the evaluator ``evaluator.batch_size`` at a time; each row's ``seconds`` is the mean of its batch."""
    simulator = evaluator.simulator()
    rows = []
    for first in range(start, stop, evaluator.batch_size):
        indices = range(first, min(first + evaluator.batch_size, stop))
        began = time.perf_counter()
        results = evaluator.evaluate_batch(simulator, [functools.partial(dataset.load, i) for i in indices])
        seconds = (time.perf_counter() - began) / len(indices)
        for index, result in zip(indices, results):
            error = "" if isinstance(result, dict) else f"{type(result).__name__}: {result}"
            rows.append(_row(evaluator, dataset, index, None if error else result, error))
            rows[-1]["seconds"] = seconds
    return _table(rows)


def _row(evaluator: Evaluator, dataset, index: int, result: dict | None = None, error: str = "") -> dict:
    """One sample's row: its result, or the empty result and the reason it has none."""
    row = {"index": index, "name": dataset.name(index), "label": int(dataset.labels[index])}
    row.update(result if result is not None else evaluator.empty_result(), status="error" if error else "ok",
               error=error, seconds=0.0)
    return row


def _table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    table["correct"] = (table["status"] == "ok") & (table["prediction"] == table["label"])
    return table


# -------------------------------------------------------------------------------------- manifest
@dataclass
class Manifest:
    """The run's identity and its finished shards, stored in ``OUT/manifest.json``."""

    out: Path
    run: dict
    shards: dict[int, dict]

    @property
    def path(self) -> Path:
        return self.out / "manifest.json"

    @classmethod
    def open(cls, out: Path, run: dict, overwrite: bool) -> "Manifest":
        """The manifest of ``out``: resumed when it describes the same run, else refused (or cleared). Files
        half-written by a killed run are removed; a recorded shard whose file is missing, unreadable or not
        exactly its samples (a kill during a write of an older version) is run again, with a warning."""
        path = out / "manifest.json"
        for partial in (*out.glob(f"*{TEMPORARY_SUFFIX}"), *(out / "shards").glob(f"*{TEMPORARY_SUFFIX}")):
            partial.unlink()
        stored = _read_manifest(path) if path.exists() and not overwrite else None
        if stored is not None:
            if stored.get("run") != run:
                differing = sorted(k for k in set(run) | set(stored.get("run", {}))
                                   if run.get(k) != stored.get("run", {}).get(k))
                raise ValueError(f"{out} holds a different run (differs in {differing}); use another output "
                                 f"folder or overwrite=True (--overwrite)")
            shards = {int(k): v for k, v in stored["shards"].items()}
            return cls(out, run, {k: v for k, v in shards.items() if _shard_intact(out, run, k, v)})
        if overwrite:
            for stale in (out / "shards").glob("shard-*"):
                stale.unlink()
        manifest = cls(out, run, {})
        manifest.save()
        return manifest

    def save(self) -> None:
        doc = {"format": MANIFEST_FORMAT, "format_version": 1, "run": self.run,
               "shards": {str(k): v for k, v in sorted(self.shards.items())}}
        write_json(doc, self.path)

    def record(self, shard: int, table: pd.DataFrame) -> None:
        """Write a finished shard's rows, then mark it finished."""
        file = f"shards/shard-{shard:05d}{TABLE_SUFFIX}"
        write_table(table, self.out / file)
        self.shards[shard] = {"file": file, "samples": len(table), "errors": int((table["status"] != "ok").sum()),
                              "seconds": round(float(table["seconds"].sum()), 6)}
        self.save()


def _read_manifest(path: Path) -> dict | None:
    """The stored manifest, or None (with a warning: the run starts again) when it cannot be read."""
    try:
        stored = json.loads(path.read_text())
        if not isinstance(stored, dict) or not isinstance(stored.get("shards"), dict):
            raise ValueError("no 'shards' table")
        return stored
    except ValueError as error:
        warnings.warn(f"{path}: unreadable ({' '.join(str(error).split())}); the run starts again")
        return None


def _shard_intact(out: Path, run: dict, shard: int, entry: dict) -> bool:
    """Whether a recorded shard's file holds its samples, each once, with every field (else: a warning)."""
    path = out / entry["file"]
    start = shard * run["shard_size"]
    expected = np.arange(start, min(start + run["shard_size"], run["samples"]))
    try:
        table = read_table(path)
        if not np.array_equal(table["index"].to_numpy(), expected):
            raise ValueError(f"row count {len(table)}, expected samples {expected[0]}..{expected[-1]} once each")
        if table.isna().to_numpy().any():
            raise ValueError("empty fields")
        return True
    except FileNotFoundError:
        reason = "is missing"
    except Exception as error:  # whatever a truncated or garbled file makes the reader raise
        reason = f"is unreadable or incomplete ({type(error).__name__}: {' '.join(str(error).split())})"
    warnings.warn(f"{path}: shard {shard} {reason}; it is run again")
    return False


# ------------------------------------------------------------------------------------- executors
def _run_serial(evaluator, dataset, shards: dict[int, tuple[int, int]]) -> Iterator[tuple[int, pd.DataFrame]]:
    for shard, (start, stop) in shards.items():
        yield shard, run_shard(evaluator, dataset, start, stop)


def _run_dask(client, evaluator, dataset, shards: dict[int, tuple[int, int]]) -> Iterator[tuple[int, pd.DataFrame]]:
    """Shards as Dask tasks, yielded as they finish. A shard whose task keeps killing its workers (Dask
    gives up after ``distributed.scheduler.allowed-failures`` deaths: a sample that crashes the process)
    runs again one task per sample; a sample that alone kills its workers gets an error row."""
    from dask.distributed import KilledWorker, wait

    tasks = {}

    def submit(shard: int, start: int, stop: int, split: bool) -> None:
        tasks[client.submit(run_shard, evaluator, dataset, start, stop, pure=False)] = (shard, start, stop, split)

    for shard, (start, stop) in shards.items():
        submit(shard, start, stop, False)
    parts: dict[int, list[pd.DataFrame]] = {}
    lost = "finished shards are kept: run again to resume"
    alive = time.monotonic()
    try:
        while tasks:
            try:
                done, _ = wait(list(tasks), timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            if done or client.nthreads():  # a shard that just finished shows a live worker: no need to ask
                alive = time.monotonic()
            elif time.monotonic() - alive > WORKER_WAIT_S:
                raise ClusterLost(f"the Dask cluster has had no live worker for {WORKER_WAIT_S} s; {lost}")
            for future in [f for f in done if f.done()]:
                shard, start, stop, split = tasks.pop(future)
                try:
                    table = future.result(timeout=RESULT_WAIT_S)
                except TimeoutError:
                    raise ClusterLost(f"the result of shard {shard} did not arrive within {RESULT_WAIT_S} s "
                                      f"(workers lost?); {lost}") from None
                except KilledWorker as error:
                    if not split:
                        parts[shard] = []
                        for index in range(start, stop):
                            submit(shard, index, index + 1, True)
                        continue
                    table = _table([_row(evaluator, dataset, start, error=f"KilledWorker: the worker processes "
                                         f"running this sample died each time ({error})")])
                if not split:
                    yield shard, table
                    continue
                parts[shard].append(table)
                if len(parts[shard]) == shards[shard][1] - shards[shard][0]:
                    yield shard, pd.concat(parts.pop(shard), ignore_index=True).sort_values("index", kind="stable")
    finally:
        client.cancel(list(tasks))


def local_cluster(workers: int, dashboard: str | None = DEFAULT_DASHBOARD):
    """A Dask ``LocalCluster`` of ``workers`` single-threaded worker processes on 127.0.0.1 (see module doc)."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        # without a dashboard the scheduler still serves /health: on a free local port, not 8787
        http = {} if dashboard is not None else {"scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=dashboard, silence_logs=logging.CRITICAL, **http)


# ------------------------------------------------------------------------------------------ run
def evaluate(evaluator: Evaluator, dataset, out: str | Path, *, workers: int = 2, scheduler=None,
             shard_size: int = DEFAULT_SHARD_SIZE, dashboard: str | None = DEFAULT_DASHBOARD,
             overwrite: bool = False, progress: bool = True,
             on_shard: Callable[[int, pd.DataFrame], None] | None = None) -> dict:
    """Evaluate every sample of ``dataset`` with ``evaluator``; write results and summary to ``out``.

    Args:
        workers: local Dask worker processes; 0 runs serially in this process.
        scheduler: an existing Dask cluster instead: a ``tcp://HOST:PORT`` address or a
            ``distributed.Client`` (then ``workers`` and ``dashboard`` are not used).
        shard_size: samples per shard (the unit of scheduling, of result files and of resuming).
        dashboard: address of a local cluster's dashboard, or None for none.
        overwrite: discard the results of a different earlier run in ``out`` instead of refusing.
        on_shard: called with (shard index, rows) after each shard is written.

    Returns the summary (also written to ``out/summary.json``).
    """
    if shard_size < 1:
        raise ValueError(f"shard_size: value {shard_size} is below the minimum 1")
    if workers < 0:
        raise ValueError(f"workers: value {workers} is below the minimum 0")
    total = len(dataset)
    if total == 0:
        raise ValueError(f"dataset {dataset.describe()}: no samples to evaluate")
    out = Path(out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    run = {"evaluator": evaluator.describe(), "dataset": dataset.describe(), "samples": total,
           "shard_size": shard_size, "table": TABLE_SUFFIX}
    manifest = Manifest.open(out, run, overwrite)
    bounds = {i: (start, min(start + shard_size, total)) for i, start in enumerate(range(0, total, shard_size))}
    pending = {i: b for i, b in bounds.items() if i not in manifest.shards}
    began = time.perf_counter()
    done_before = sum(manifest.shards[i]["samples"] for i in manifest.shards)
    n_workers = 0
    with (dask_client(scheduler, workers, dashboard) if pending else contextlib.nullcontext()) as client:
        if client is None:
            finished = _run_serial(evaluator, dataset, pending)
        else:
            n_workers = len(client.nthreads())
            finished = _run_dask(client, evaluator, dataset, pending)
        with _progress(progress, total, done_before) as bar:
            for shard, table in finished:
                manifest.record(shard, table)
                bar.update(len(table))
                if on_shard is not None:
                    on_shard(shard, table)
    elapsed = time.perf_counter() - began
    results = _collect(out, manifest, total)
    write_table(results, out / f"results{TABLE_SUFFIX}")
    summary = summarize(results, evaluator)
    summary["run"] = {"workers": n_workers, "scheduler": scheduler if isinstance(scheduler, str) else None,
                      "shards": len(bounds), "shards_resumed": len(bounds) - len(pending),
                      "samples_this_run": total - done_before, "seconds_this_run": round(elapsed, 3),
                      "samples_per_s": round((total - done_before) / elapsed, 3) if total > done_before else None}
    write_json(summary, out / "summary.json")
    write_plots(results, summary, out)
    return summary


@contextlib.contextmanager
def dask_client(scheduler=None, workers: int = 2, dashboard: str | None = DEFAULT_DASHBOARD):
    """A Dask client for ``scheduler`` (an address, or a client used as it is), else for a new local
    cluster of ``workers`` processes (:func:`local_cluster`), else None (``workers`` 0: run serially).
    What this opens, it closes."""
    from dask.distributed import Client

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
    elif scheduler is not None:
        with Client(scheduler) as client:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                raise ValueError(f"scheduler {scheduler}: no worker joined within {WORKER_WAIT_S} s "
                                 f"(start some with: dask worker {scheduler})") from None
            yield client
    elif workers > 0:
        import dask

        with dask.config.set(LOCAL_CLUSTER_CONFIG), local_cluster(workers, dashboard) as cluster, \
                Client(cluster) as client:
            yield client
    else:
        yield None


def _progress(enabled: bool, total: int, initial: int):
    from ..progress import bar

    return bar(total=total, initial=initial, unit="sample", enabled=enabled, desc="eval")


def _collect(out: Path, manifest: Manifest, total: int) -> pd.DataFrame:
    """All shards' rows in sample order, checked to hold every sample exactly once."""
    tables = [read_table(out / manifest.shards[i]["file"]) for i in sorted(manifest.shards)]
    results = pd.concat(tables, ignore_index=True).sort_values("index", kind="stable").reset_index(drop=True)
    if not np.array_equal(results["index"].to_numpy(), np.arange(total)):
        counts = np.bincount(results["index"].to_numpy(), minlength=total)
        raise RuntimeError(f"results in {out} do not hold every sample exactly once: "
                           f"{int((counts == 0).sum())} missing, {int((counts > 1).sum())} repeated")
    return results
