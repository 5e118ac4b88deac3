"""spikegate eval: serial and Dask runs agree, nothing is lost (worker killed, run interrupted), malformed
samples are reported, results and summary are written. One 2-worker local cluster for the module; the tests
that kill workers start their own."""

import contextlib
import json
import re
import os
import signal
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from spikegate.sim.cli import main
from spikegate.sim.eval import evaluate, load_config, local_cluster, make_evaluator, open_dataset
from spikegate.sim.eval.datasets import MalformedSample, save_events_npz
from spikegate.sim.eval.report import TABLE_SUFFIX, read_table
from spikegate.sim.eval.runner import LOCAL_CLUSTER_CONFIG
from spikegate.sim.eval.synthetic import SyntheticDVS

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(300)

# The test-only datasets below travel to the Dask workers by value, not as an import of this file.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

DVS = "synthetic:dvs:96"
TIMING = ["seconds"]


@contextlib.contextmanager
def two_workers():
    """A client of two local workers; Dask gives a task up after its workers died twice (default: four times)."""
    import dask
    from dask.distributed import Client

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = local_cluster(2, dashboard=None)
    with dask.config.set(LOCAL_CLUSTER_CONFIG), cluster, Client(cluster) as dask_client:  # as dask_client does
        yield dask_client


@pytest.fixture(scope="module")
def client():
    """The module's cluster, for the tests that leave its workers alive."""
    with two_workers() as dask_client:
        yield dask_client


@pytest.fixture
def own_client():
    """A cluster of the test's own, for a test that kills workers: however the nannies fare in restarting them
    (on a loaded machine one may give up), no other test depends on it."""
    with two_workers() as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def serial_dvs(tmp_path_factory):
    """The bundled DYNAP-CNN network over 96 synthetic samples, run serially: the reference."""
    out = tmp_path_factory.mktemp("serial")
    summary = evaluate(dvs_evaluator(), open_dataset(DVS), out, workers=0, progress=False)
    return summary, read_table(out / f"results{TABLE_SUFFIX}")


def dvs_evaluator():
    return make_evaluator(load_config("bundled:dynapcnn"))


def without_timing(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=TIMING).reset_index(drop=True)


class ExitOnceDataset(SyntheticDVS):
    """Kills the worker process (``os._exit``) the first time sample ``victim`` is loaded; a marker file
    makes the second attempt, on the restarted or the other worker, go through."""

    def __init__(self, samples, marker, victim):
        super().__init__(samples)
        self.marker, self.victim = str(marker), victim

    def load(self, index):
        if index == self.victim and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)
        return super().load(index)


def test_serial_run_writes_results_summary_and_figures(serial_dvs, tmp_path):
    summary, results = serial_dvs
    assert summary["samples"] == summary["evaluated"] == 96 and summary["malformed"] == 0
    assert results["index"].tolist() == list(range(96))
    assert summary["accuracy"] == pytest.approx(results["correct"].mean()) and summary["accuracy"] > 0.8
    assert np.sum(summary["confusion"]) == 96
    # the predicted class is the feature of the readout core with the most output events, ties lowest
    counts = results[[f"out_{k}" for k in range(4)]].to_numpy()
    np.testing.assert_array_equal(results["prediction"], counts.argmax(axis=1))
    assert (results["sops"] == results["sops_core0"] + results["sops_core1"]).all()
    assert (results["latency_cycles"] == results["sops"] + results["events"]).all()
    np.testing.assert_allclose(results["energy_nj"], (results["sops"] * 10 + results["events"] * 20) / 1000)


def test_dask_run_equals_serial_run(client, serial_dvs, tmp_path):
    summary = evaluate(dvs_evaluator(), open_dataset(DVS), tmp_path, scheduler=client, shard_size=8, progress=False)
    results = read_table(tmp_path / f"results{TABLE_SUFFIX}")
    pd.testing.assert_frame_equal(without_timing(results), without_timing(serial_dvs[1]))
    assert summary["accuracy"] == serial_dvs[0]["accuracy"] and summary["run"]["shards"] == 12
    for name in ("summary.json", "confusion.png", "costs.png", "manifest.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert len(list((tmp_path / "shards").iterdir())) == 12


def test_worker_killed_mid_run_loses_and_repeats_nothing(own_client, serial_dvs, tmp_path):
    marker = tmp_path / "killed"
    dataset = ExitOnceDataset(96, marker, victim=42)
    pids_before = set(own_client.run(os.getpid).values())
    evaluate(dvs_evaluator(), dataset, tmp_path / "out", scheduler=own_client, shard_size=8, progress=False)
    assert int(marker.read_text()) in pids_before  # a worker really died in the middle of shard 5
    results = read_table(tmp_path / "out" / f"results{TABLE_SUFFIX}")
    assert results["index"].tolist() == list(range(96))  # every sample exactly once
    pd.testing.assert_frame_equal(without_timing(results), without_timing(serial_dvs[1]))


class CrashingDataset(SyntheticDVS):
    """Sample ``victim`` kills the worker process every time it is loaded (as a segfault would)."""

    def __init__(self, samples, victim):
        super().__init__(samples)
        self.victim = victim

    def load(self, index):
        if index == self.victim:
            os._exit(1)
        return super().load(index)


def test_a_sample_that_always_kills_its_worker_is_isolated_and_reported(own_client, serial_dvs, tmp_path):
    summary = evaluate(dvs_evaluator(), CrashingDataset(96, victim=21), tmp_path, scheduler=own_client, shard_size=8,
                       progress=False)
    results = read_table(tmp_path / f"results{TABLE_SUFFIX}")
    assert results["index"].tolist() == list(range(96))
    assert results["status"].tolist() == ["error" if i == 21 else "ok" for i in range(96)]
    [error] = summary["errors"]
    assert error["index"] == 21 and error["error"].startswith("KilledWorker: the worker processes running this")
    good = results["index"] != 21
    pd.testing.assert_frame_equal(without_timing(results[good]), without_timing(serial_dvs[1][good]))


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_where_it_stopped(serial_dvs, tmp_path):
    finished = []

    def stop_after_three(shard, table):
        finished.append(shard)
        if len(finished) == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        evaluate(dvs_evaluator(), open_dataset(DVS), tmp_path, workers=0, shard_size=16, progress=False,
                 on_shard=stop_after_three)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["shards"]) == ["0", "1", "2"] and not (tmp_path / f"results{TABLE_SUFFIX}").exists()
    written = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "shards").iterdir()}

    rerun = []
    summary = evaluate(dvs_evaluator(), open_dataset(DVS), tmp_path, workers=0, shard_size=16, progress=False,
                       on_shard=lambda shard, table: rerun.append(shard))
    assert rerun == [3, 4, 5] and summary["run"]["shards_resumed"] == 3
    assert {p: (tmp_path / "shards" / p).stat().st_mtime_ns for p in written} == written  # not rewritten
    results = read_table(tmp_path / f"results{TABLE_SUFFIX}")
    pd.testing.assert_frame_equal(without_timing(results), without_timing(serial_dvs[1]))


def test_resume_refuses_a_different_run(tmp_path):
    evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:8"), tmp_path, workers=0, progress=False)
    with pytest.raises(ValueError, match=r"holds a different run \(differs in \['dataset', 'samples'\]\)"):
        evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:9"), tmp_path, workers=0, progress=False)
    summary = evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:9"), tmp_path, workers=0, progress=False,
                       overwrite=True)
    assert summary["samples"] == 9 and summary["run"]["shards_resumed"] == 0


def test_malformed_samples_are_reported_and_the_run_goes_on(client, tmp_path):
    source = SyntheticDVS(6)
    samples = [source.load(i) for i in range(6)]
    samples[2] = samples[2].copy()
    samples[2]["x"][3] = 200  # outside the 128 x 128 DVS input of the chip model
    save_events_npz(tmp_path / "data.npz", samples, source.labels)
    folder = tmp_path / "folder" / "1"
    folder.mkdir(parents=True)
    np.save(folder / "a.npy", samples[0])
    (folder / "b.bin").write_bytes(bytes(9))  # not a whole number of 5-byte events
    for dataset, bad, reason in ((tmp_path / "data.npz", 2, "field x value 200 at event 3 is outside the DVS"),
                                 (tmp_path / "folder", 1, "b.bin: .*9 bytes is not a whole number")):
        out = tmp_path / f"out-{bad}"
        # the second run connects by address, as --scheduler tcp://HOST:PORT does
        scheduler = client if bad == 2 else client.scheduler.address
        summary = evaluate(dvs_evaluator(), open_dataset(dataset), out, scheduler=scheduler, progress=False)
        assert summary["run"]["workers"] == 2
        results = read_table(out / f"results{TABLE_SUFFIX}")
        assert results["status"].tolist() == ["ok" if i != bad else "error" for i in range(len(results))]
        assert results.loc[bad, "prediction"] == -1 and not results.loc[bad, "correct"]
        assert summary["malformed"] == 1 and summary["evaluated"] == len(results) - 1
        assert pytest.approx(summary["accuracy"]) == results[results["status"] == "ok"]["correct"].mean()
        [error] = summary["errors"]
        assert error["index"] == bad and re.search(reason, error["error"])


def test_sensor_option_marks_events_outside_the_sensor(tmp_path):
    folder = tmp_path / "0"
    folder.mkdir()
    events = SyntheticDVS(1).load(0)
    np.save(folder / "a.npy", events)
    events = events.copy()
    events["y"][0] = 20
    np.save(folder / "b.npy", events)
    code = main(["eval", "bundled:dynapcnn", str(tmp_path), "--sensor", "16,16,2", "--workers", "0",
                 "--no-progress", "--out", str(tmp_path / "out")])
    assert code == 0
    [error] = json.loads((tmp_path / "out" / "summary.json").read_text())["errors"]
    assert error["name"] == "0/b.npy" and "event 0 has y = 20, outside the sensor's range 0..15" in error["error"]


def test_xylo_eval_cli_and_vmem_rule(tmp_path, capsys):
    assert main(["eval", "bundled:xylo", "synthetic:xylo:24", "--workers", "0", "--no-progress",
                 "--out", str(tmp_path / "a")]) == 0
    assert "24 samples evaluated, 0 malformed; accuracy" in capsys.readouterr().out
    results = read_table(tmp_path / "a" / f"results{TABLE_SUFFIX}")
    assert (results["sops"] == results[["sops_input", "sops_recurrent", "sops_readout"]].sum(axis=1)).all()
    assert (results["latency_cycles"] == results["sops"] + 40 * (8 + 4)).all()
    counts = results[[f"out_{k}" for k in range(4)]].to_numpy()
    np.testing.assert_array_equal(results["prediction"], counts.argmax(axis=1))
    # the Vmem_out rule, checked against the model directly
    evaluator = make_evaluator(load_config("bundled:xylo"), rule="vmem")
    dataset = open_dataset("synthetic:xylo:24")
    simulator = evaluator.simulator()
    for index in (0, 5):
        raster = dataset.load(index)
        simulator.reset_state()
        _, _, rec = simulator.evolve(raster, record=True)
        assert evaluator.evaluate(simulator, raster)["prediction"] == int(np.argmax(rec["Vmem_out"].max(axis=0)))


def test_xylo_event_samples_are_binned_by_the_config_dt(tmp_path):
    from spikegate.sim.eval.datasets import EVENT_DTYPE, save_rasters_npz
    from spikegate.sim.eval.synthetic import SyntheticRaster

    rasters = [SyntheticRaster(3).load(i) for i in range(3)]
    samples = []
    for raster in rasters:  # every count of step s, channel c becomes that many events at t = 1000 s + 999
        steps, channels = np.nonzero(raster)
        repeats = raster[steps, channels]
        events = np.zeros(int(repeats.sum()), EVENT_DTYPE)
        events["t"], events["p"] = np.repeat(steps * 1000 + 999, repeats), np.repeat(channels, repeats)
        samples.append(events)
    samples[2]["p"][0] = 16
    save_events_npz(tmp_path / "events.npz", samples, [0, 1, 2])
    save_rasters_npz(tmp_path / "rasters.npz", rasters, [0, 1, 2])
    config = load_config("bundled:xylo")  # dt 1 ms
    for name in ("events", "rasters"):
        evaluate(make_evaluator(config), open_dataset(tmp_path / f"{name}.npz"), tmp_path / name, workers=0,
                 progress=False)
    from_events = read_table(tmp_path / "events" / f"results{TABLE_SUFFIX}")
    from_rasters = read_table(tmp_path / "rasters" / f"results{TABLE_SUFFIX}")
    columns = [c for c in from_rasters.columns if c.startswith(("out_", "sops", "events", "prediction"))]
    pd.testing.assert_frame_equal(from_events.loc[:1, columns], from_rasters.loc[:1, columns])
    assert from_events.loc[2, "error"] == "MalformedSample: events: channel p = 16 is outside the inputs 0..15"


def test_eval_cli_wrong(tmp_path, capsys):
    assert main(["eval", "bundled:nothing", "synthetic:dvs", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "bundled networks are ['bundled:dynapcnn', 'bundled:xylo']" in capsys.readouterr().err
    (tmp_path / "c.json").write_text('{"format": "other"}')
    assert main(["eval", str(tmp_path / "c.json"), "synthetic:dvs", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "'format' is 'other', not a spikegate config of a known chip" in capsys.readouterr().err
    save_events_npz(tmp_path / "empty.npz", [], [])
    with pytest.raises(ValueError, match="no samples to evaluate"):
        evaluate(dvs_evaluator(), open_dataset(tmp_path / "empty.npz"), tmp_path / "e", workers=0)
    with pytest.raises(ValueError, match="shard_size: value 0 is below the minimum 1"):
        evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:4"), tmp_path, shard_size=0)
    with pytest.raises(ValueError, match=r"rule: value 'max' is not one of \('spikes', 'vmem'\)"):
        make_evaluator(load_config("bundled:xylo"), rule="max")
    with pytest.raises(ValueError, match=r"output_core: core 5 is not used by the config \(used: \[0, 1\]\)"):
        make_evaluator(load_config("bundled:dynapcnn"), output_core=5)
    with pytest.raises(MalformedSample, match="missing"):
        dvs_evaluator().evaluate(None, np.zeros(3, [("x", int)]))


def test_timestepped_mode_counts_and_predicts_from_the_time_stepped_model(tmp_path):
    from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

    dataset = open_dataset("synthetic:dvs:8")
    summary = evaluate(make_evaluator(load_config("bundled:dynapcnn"), mode="timestep", dt_us=1000), dataset,
                       tmp_path / "ts", workers=0, progress=False)
    stepped = read_table(tmp_path / "ts" / f"results{TABLE_SUFFIX}")
    evaluate(dvs_evaluator(), dataset, tmp_path / "ev", workers=0, progress=False)
    driven = read_table(tmp_path / "ev" / f"results{TABLE_SUFFIX}")
    assert summary["evaluator"]["mode"] == "timestep" and summary["evaluator"]["dt_us"] == 1000
    # the input core sees the same events either way, so it does the same updates
    assert (stepped["sops_core0"] == driven["sops_core0"]).all() and (stepped["n_input"] == driven["n_input"]).all()
    model = DynapcnnTimeStepped(load_config("bundled:dynapcnn"))
    for index in (0, 3):
        events = dataset.load(index)
        raster = np.zeros((6, 2, 16, 16), np.int64)
        np.add.at(raster, (events["t"] // 1000, events["p"], events["y"], events["x"]), 1)
        spikes = model(raster[None]).spikes
        assert [stepped.loc[index, f"out_{k}"] for k in range(4)] == spikes[1].sum(dim=(0, 1, 3, 4)).int().tolist()
        assert stepped.loc[index, "events_core0"] == int(spikes[0].sum())


def test_readme_command_on_its_own_two_worker_cluster(serial_dvs, tmp_path, capsys):
    """``spikegate eval bundled:dynapcnn synthetic:dvs`` as README shows it (smaller, dashboard off)."""
    assert main(["eval", "bundled:dynapcnn", DVS, "--workers", "2", "--dashboard", "none", "--no-progress",
                 "--out", str(tmp_path)]) == 0
    assert "96 samples evaluated, 0 malformed; accuracy" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["workers"] == 2 and summary["accuracy"] == serial_dvs[0]["accuracy"]


def test_a_cluster_without_workers_is_reported_not_waited_for_forever(tmp_path, monkeypatch):
    from dask.distributed import Client

    from spikegate.sim.eval import runner

    monkeypatch.setattr(runner, "WORKER_WAIT_S", 1)
    with local_cluster(0, dashboard=None) as cluster, Client(cluster) as empty:
        with pytest.raises(runner.ClusterLost,
                           match="the Dask cluster has had no live worker for 1 s; finished shards are kept"):
            evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:4"), tmp_path / "a", scheduler=empty,
                     progress=False)
        with pytest.raises(ValueError, match=r"scheduler tcp://127\.0\.0\.1:\d+: no worker joined within 1 s"):
            evaluate(dvs_evaluator(), open_dataset("synthetic:dvs:4"), tmp_path / "b",
                     scheduler=cluster.scheduler_address, progress=False)


async def cannot_start_a_worker():
    raise OSError("no worker process can be started (test)")


def kill_workers_after(out: Path, shards: int, pids: list[int], killed: list, deadline_s: float = 30) -> None:
    """SIGKILL every worker process once ``out``'s manifest records ``shards`` finished shards; append the
    time (``time.monotonic``) to ``killed``."""
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        try:
            if len(json.loads((out / "manifest.json").read_text())["shards"]) >= shards:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    killed.append(time.monotonic())


@pytest.mark.timeout(90)
def test_a_cluster_whose_workers_all_die_for_good_stops_the_run_in_bounded_time(tmp_path, monkeypatch, capfd):
    """Every worker killed, the nannies unable to start new ones: ``spikegate eval`` stops with one line and
    status 2 within WORKER_WAIT_S (+ polls), keeps the finished shards, and the same command resumes them."""
    from dask.distributed import Client

    from spikegate.sim.eval import runner

    monkeypatch.setattr(runner, "WORKER_WAIT_S", 2)
    monkeypatch.setattr(runner, "POLL_S", 0.2)
    monkeypatch.setattr(runner, "RESULT_WAIT_S", 2)
    out = tmp_path / "out"
    command = ["eval", "bundled:dynapcnn", "synthetic:dvs:120", "--shard-size", "4", "--no-progress", "--out", str(out)]
    with local_cluster(2, dashboard=None) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        for nanny in cluster.workers.values():
            nanny.instantiate = cannot_start_a_worker  # what a nanny calls to restart its worker
        killed = []
        killer = threading.Thread(target=kill_workers_after, args=(out, 2, pids, killed))
        killer.start()
        code = main([*command, "--scheduler", cluster.scheduler_address])
        stopped = time.monotonic()
        killer.join()
        assert not client.nthreads()  # no worker came back
    assert code == 2 and stopped - killed[0] < 2 + 10  # WORKER_WAIT_S, polls and a loaded machine's slack
    # either no worker is left, or a shard that finished just before the kill has its result on a dead worker
    [line] = capfd.readouterr().err.splitlines()
    assert re.fullmatch(r"spikegate eval: (the Dask cluster has had no live worker for 2 s|the result of shard \d+ "
                        r"did not arrive within 2 s \(workers lost\?\)); finished shards are kept: run again to "
                        r"resume", line)
    kept = json.loads((out / "manifest.json").read_text())["shards"]
    assert 2 <= len(kept) < 30 and not (out / f"results{TABLE_SUFFIX}").exists()
    written = {entry["file"]: (out / entry["file"]).stat().st_mtime_ns for entry in kept.values()}

    assert main([*command, "--workers", "0"]) == 0  # resumes serially
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["shards_resumed"] == len(kept)
    assert {file: (out / file).stat().st_mtime_ns for file in written} == written  # kept, not run again
    assert read_table(out / f"results{TABLE_SUFFIX}")["index"].tolist() == list(range(120))
