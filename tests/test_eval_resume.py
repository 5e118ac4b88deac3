"""Crash-consistent eval results: ``spikegate eval`` SIGKILLed while it writes and resumed holds every sample
once and no torn file; torn files left by older versions are found and run again, with a warning line.
The full campaign (20 kills at random moments) is bench/eval_kill_resume.py."""

import importlib.util
import json
import random
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from spikegate.sim.cli import main
from spikegate.sim.eval import evaluate, load_config, make_evaluator, open_dataset
from spikegate.sim.eval.report import TABLE_SUFFIX, read_table

SAMPLES, SHARD_SIZE = 48, 4
DATASET = f"synthetic:dvs:{SAMPLES}"


def load_bench():
    path = Path(__file__).parents[1] / "bench" / "eval_kill_resume.py"
    spec = importlib.util.spec_from_file_location("eval_kill_resume", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference(out: Path) -> pd.DataFrame:
    evaluate(make_evaluator(load_config("bundled:dynapcnn")), open_dataset(DATASET), out, workers=0,
             shard_size=SHARD_SIZE, progress=False)
    return read_table(out / f"results{TABLE_SUFFIX}").drop(columns=["seconds"])


def shard_files(out: Path) -> int:
    return len(list((out / "shards").glob(f"shard-*{TABLE_SUFFIX}")))


@pytest.mark.timeout(180)
def test_eval_killed_while_writing_shards_resumes_with_every_sample_once(tmp_path):
    bench = load_bench()
    expected = reference(tmp_path / "reference")
    out = tmp_path / "out"
    argv = bench.command(out, SAMPLES, SHARD_SIZE, workers=0)
    rng = random.Random(18)
    for target in (rng.randint(1, 5), rng.randint(6, 11)):  # SIGKILL once this many shard files are written
        process = bench.start(argv)
        stop = time.monotonic() + 60
        while shard_files(out) < target and process.poll() is None and time.monotonic() < stop:
            time.sleep(0.002)
        process.kill()
        assert not bench.reap(process) and process.returncode == -9  # killed mid-run, no process left over
        assert bench.corrupt_files(out, SHARD_SIZE, SAMPLES) == []
    bench.finish(bench.start(argv))
    assert bench.corrupt_files(out, SHARD_SIZE, SAMPLES) == []
    results = read_table(out / f"results{TABLE_SUFFIX}").drop(columns=["seconds"])
    pd.testing.assert_frame_equal(results, expected)  # every sample once, as an uninterrupted run has it


def test_torn_shard_files_of_older_versions_are_run_again_with_a_warning(tmp_path, capsys):
    expected = reference(tmp_path)
    shards = tmp_path / "shards"
    torn = (shards / f"shard-00001{TABLE_SUFFIX}").read_bytes()
    (shards / f"shard-00001{TABLE_SUFFIX}").write_bytes(torn[:len(torn) // 2])  # killed while writing it
    (shards / f"shard-00002{TABLE_SUFFIX}").write_bytes(b"\0" * 100)  # never flushed before a power loss
    (shards / f"shard-00003{TABLE_SUFFIX}").unlink()
    (shards / f"shard-00004{TABLE_SUFFIX}.tmp").write_bytes(b"half")  # a temporary file of a killed run
    written = (shards / f"shard-00000{TABLE_SUFFIX}").stat().st_mtime_ns
    assert main(["eval", "bundled:dynapcnn", DATASET, "--workers", "0", "--shard-size", str(SHARD_SIZE),
                 "--no-progress", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    for line, shard, reason in zip(lines, (1, 2, 3), ("is unreadable or incomplete \\(.+\\)",) * 2 + ("is missing",)):
        assert re.fullmatch(f"spikegate eval: warning: {re.escape(f'{shards}/shard-0000{shard}{TABLE_SUFFIX}')}: "
                            f"shard {shard} {reason}; it is run again", line), line
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["shards_resumed"] == SAMPLES // SHARD_SIZE - 3
    assert (shards / f"shard-00000{TABLE_SUFFIX}").stat().st_mtime_ns == written
    assert not list(shards.glob("*.tmp"))
    results = read_table(tmp_path / f"results{TABLE_SUFFIX}").drop(columns=["seconds"])
    pd.testing.assert_frame_equal(results, expected)


def test_a_torn_manifest_starts_the_run_again_with_a_warning(tmp_path):
    expected = reference(tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(manifest.read_text()[:50])
    with pytest.warns(UserWarning, match=r"manifest\.json: unreadable \(Unterminated string .*\); the run starts "
                                         r"again"):
        summary = evaluate(make_evaluator(load_config("bundled:dynapcnn")), open_dataset(DATASET), tmp_path,
                           workers=0, shard_size=SHARD_SIZE, progress=False)
    assert summary["run"]["shards_resumed"] == 0
    assert len(json.loads(manifest.read_text())["shards"]) == SAMPLES // SHARD_SIZE
    pd.testing.assert_frame_equal(read_table(tmp_path / f"results{TABLE_SUFFIX}").drop(columns=["seconds"]),
                                  expected)
