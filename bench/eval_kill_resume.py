"""``spikegate eval`` SIGKILLed at random moments and resumed: every sample exactly once, no corrupt file.

    python bench/eval_kill_resume.py [--kills 20] [--samples 96] [--shard-size 4] [--workers 2] [--seed 0]

Runs ``spikegate eval bundled:dynapcnn synthetic:dvs:SAMPLES`` as a subprocess (its own process group)
into one output folder and SIGKILLs it (the main process only, as ``kill -9 PID`` does) after a delay
drawn uniformly from 0 to the duration of an uninterrupted run, measured first: kills land in start-up,
cluster start, shard writes and the final writes alike. After each kill the folder is checked (every
file but a ``.tmp`` one must read whole) and the same command runs again. A run that finishes before
its kill ends a round: its results are checked (each sample once, rows equal to the uninterrupted
run's but for the timing column) and the next round starts in a fresh folder, until ``--kills``
processes have been killed; the last round is then run to the end. Worker processes still alive
``ORPHAN_WAIT_S`` s after a kill are counted (``orphans``) and killed.

Prints one JSON object: kills, rounds, samples expected/present, duplicates, lost, differing rows,
corrupt files, partial ``.tmp`` files seen after kills (removed by the next run), orphans.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spikegate.sim.eval.report import TABLE_SUFFIX, TEMPORARY_SUFFIX, read_table

ORPHAN_WAIT_S = 10.0
RUN_LIMIT_S = 300.0
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


def command(out: Path, samples: int, shard_size: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "spikegate.sim.cli", "eval", "bundled:dynapcnn", f"synthetic:dvs:{samples}",
            "--shard-size", str(shard_size), "--workers", str(workers), "--dashboard", "none", "--no-progress",
            "--out", str(out)]


def start(argv: list[str]) -> subprocess.Popen:
    """A run in its own process group, its stderr kept in a temporary file (``process.err``)."""
    err = tempfile.TemporaryFile()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    process.err = err
    return process


def finish(process: subprocess.Popen) -> None:
    """Wait for a run that is not killed; it must succeed."""
    process.wait(timeout=RUN_LIMIT_S)
    process.err.seek(0)
    message = process.err.read().decode(errors="replace")
    process.err.close()
    if process.returncode != 0:
        raise RuntimeError(f"spikegate eval exited {process.returncode}: {message}")


def reap(process: subprocess.Popen) -> bool:
    """Wait for a killed run's process group to empty; kill what is left. True when something was left."""
    process.wait(timeout=RUN_LIMIT_S)
    process.err.close()
    stop = time.monotonic() + ORPHAN_WAIT_S
    while time.monotonic() < stop:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    return True


def corrupt_files(out: Path, shard_size: int, samples: int) -> list[str]:
    """Files in ``out`` (but ``.tmp`` ones) that do not read whole: JSON that does not parse, a table with
    missing fields or samples other than its own, a PNG without its end chunk."""
    bad = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.name.endswith(TEMPORARY_SUFFIX)):
        try:
            if path.suffix == ".json":
                json.loads(path.read_text())
            elif path.suffix == ".png":
                data = path.read_bytes()
                if not (data.startswith(PNG_START) and data.endswith(PNG_END)):
                    raise ValueError("truncated PNG")
            elif path.suffix == TABLE_SUFFIX:
                table = read_table(path)
                first = int(path.stem.split("-")[1]) * shard_size if path.parent.name == "shards" else 0
                last = min(first + shard_size, samples) if path.parent.name == "shards" else samples
                if table.isna().to_numpy().any() or table["index"].tolist() != list(range(first, last)):
                    raise ValueError("missing fields or samples")
        except Exception as error:  # whatever a torn file makes its reader raise
            bad.append(f"{path.relative_to(out)}: {type(error).__name__}: {error}")
    return bad


def campaign(kills: int, samples: int, shard_size: int, workers: int, seed: int, folder: Path) -> dict:
    """Kill and resume until ``kills`` runs were killed; the figures (see the module doc)."""
    rng = random.Random(seed)
    figures = {"kills": 0, "rounds": 0, "samples_expected": 0, "samples_present": 0, "duplicates": 0, "lost": 0,
               "differing_rows": 0, "corrupt_files": [], "partial_tmp_files_seen": 0, "orphans": 0}
    began = time.monotonic()
    finish(start(command(folder / "reference", samples, shard_size, workers)))
    window = time.monotonic() - began
    reference = read_table(folder / "reference" / f"results{TABLE_SUFFIX}").drop(columns=["seconds"])
    figures.update(window_s=round(window, 2), workers=workers, samples=samples, shard_size=shard_size, seed=seed)
    while figures["kills"] < kills:
        out = folder / f"round-{figures['rounds']}"
        figures["rounds"] += 1
        while True:
            process = start(command(out, samples, shard_size, workers))
            delay = rng.uniform(0, window) if figures["kills"] < kills else None
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.kill()
                figures["kills"] += 1
                figures["orphans"] += reap(process)
                figures["corrupt_files"] += [f"{out.name}/{f}" for f in corrupt_files(out, shard_size, samples)]
                figures["partial_tmp_files_seen"] += len(list(out.rglob(f"*{TEMPORARY_SUFFIX}")))
                print(f"kill {figures['kills']} at {delay:.2f} s: {len(list(out.glob('shards/*')))} shard files",
                      file=sys.stderr)
                continue
            finish(process)
            break
        figures["corrupt_files"] += [f"{out.name}/{f}" for f in corrupt_files(out, shard_size, samples)]
        results = read_table(out / f"results{TABLE_SUFFIX}")
        counts = np.bincount(results["index"].to_numpy(), minlength=samples)
        figures["samples_expected"] += samples
        figures["samples_present"] += int((counts > 0).sum())
        figures["duplicates"] += int((counts - 1).clip(0).sum())
        figures["lost"] += int((counts == 0).sum())
        if len(results) == len(reference):
            ours = results.drop(columns=["seconds"]).reset_index(drop=True)
            figures["differing_rows"] += int((ours != reference).any(axis=1).sum())
        else:
            figures["differing_rows"] += abs(len(results) - len(reference))
    figures["seconds"] = round(time.monotonic() - began, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--shard-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="local Dask workers of each run (0: serial)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="eval-kill-resume-"))
    try:
        figures = campaign(args.kills, args.samples, args.shard_size, args.workers, args.seed, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
