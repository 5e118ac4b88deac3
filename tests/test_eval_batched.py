"""spikegate eval --mode timestep in batches: every column of every sample equals the sample evaluated
alone, on a chip where samples of different lengths are padded and on chips where they are grouped by
length (a bias, threshold_low >= threshold_high); the device and batch options refuse bad values."""

import numpy as np
import pytest
import torch

from spikegate.sim.cli import main
from spikegate.sim.dynapcnn.config import ChipConfig
from spikegate.sim.eval import evaluate, load_config, make_evaluator, open_dataset
from spikegate.sim.eval.datasets import MalformedSample
from spikegate.sim.eval.report import TABLE_SUFFIX, read_table
from spikegate.sim.eval.synthetic import dynapcnn_network

DT_US = 300  # 1 ms frames in 300 µs steps: samples cut at different times have different T


def chip(core0_changes: dict | None = None) -> ChipConfig:
    """The bundled network, core 0 changed by ``core0_changes``."""
    config = dynapcnn_network()
    cores = {0: config.cores[0].replace(**(core0_changes or {})), 1: config.cores[1]}
    return ChipConfig(cores=cores, dvs_layer=config.dvs_layer, layer_to_core=config.layer_to_core)


CHIPS = {"plain": ({}, True),
         "bias": ({"biases": np.array([1, -2, 3, 0]), "leak_enable": True}, False),
         "threshold_low": ({"threshold_low": 30}, False)}


def samples() -> list:
    """Synthetic DVS samples cut at different times, three at each (T from 4 to 20 steps of 300 µs), an
    empty one, one with x outside the DVS map (malformed) and one with a channel the network lacks (the
    model refuses it)."""
    dataset = open_dataset("synthetic:dvs:15")
    events = [dataset.load(i)[dataset.load(i)["t"] < 1000 + 1200 * (i // 3)] for i in range(15)]
    events.insert(3, events[0][:0])
    bad_x, bad_p = events[1].copy(), events[2].copy()
    bad_x["x"][-1], bad_p["p"][-1] = 200, 2
    return events[:6] + [bad_x] + events[6:9] + [bad_p] + events[9:]


def outcome(result):
    """A result to compare: the row, or the error's type and message."""
    return result if isinstance(result, dict) else (type(result).__name__, str(result))


@pytest.mark.parametrize("name", CHIPS)
def test_batch_equals_each_sample_alone(name):
    changes, pads = CHIPS[name]
    evaluator = make_evaluator(chip(changes), mode="timestep", dt_us=DT_US)
    assert evaluator.pads == pads
    simulator, events = evaluator.simulator(), samples()
    lengths = [len(evaluator.raster(e)) for e in events if e.size and e["x"].max() < 128]
    assert len(set(lengths)) >= 5 and max(lengths.count(n) for n in lengths) >= 3
    alone = [outcome(evaluator.evaluate_batch(simulator, [lambda e=e: e])[0]) for e in events]
    together = [outcome(r) for r in evaluator.evaluate_batch(simulator, [lambda e=e: e for e in events])]
    assert together == alone
    errors = [r for r in alone if not isinstance(r, dict)]
    assert [r[0] for r in errors] == ["MalformedSample", "ValueError"] and "x = 200" in errors[0][1]
    assert alone[0] == outcome(evaluator.evaluate(simulator, events[0]))
    if not pads:  # padding these samples would change their results: the grouping by length matters
        evaluator.pads = True
        valid = [k for k, result in enumerate(alone) if isinstance(result, dict)]
        padded = evaluator.evaluate_batch(simulator, [lambda e=events[k]: e for k in valid])
        assert [outcome(r) for r in padded] != [alone[k] for k in valid]


def test_batched_run_equals_single_samples_and_is_recorded(tmp_path):
    dataset = open_dataset("synthetic:dvs:12")
    evaluator = make_evaluator(chip(CHIPS["bias"][0]), mode="timestep", dt_us=DT_US, batch_size=4)
    summary = evaluate(evaluator, dataset, tmp_path, workers=0, shard_size=6, progress=False)
    assert summary["evaluator"]["batch_size"] == 4 and summary["evaluator"]["device"] == "cpu"
    table = read_table(tmp_path / f"results{TABLE_SUFFIX}")
    simulator = evaluator.simulator()
    for index in range(len(dataset)):
        alone = evaluator.evaluate(simulator, dataset.load(index))
        assert {column: table.loc[index, column] for column in alone} == alone


def test_device_and_batch_size_wrong(tmp_path, monkeypatch, capsys):
    config = load_config("bundled:dynapcnn")
    with pytest.raises(ValueError, match="batch_size: value 0 is below the minimum 1"):
        make_evaluator(config, mode="timestep", batch_size=0)
    with pytest.raises(ValueError, match=r"device: value 'tpu' is not one of \('cpu', 'cuda'\)"):
        make_evaluator(config, mode="timestep", device="tpu")
    with pytest.raises(ValueError, match="device: value 'cuda' applies to mode 'timestep' only"):
        make_evaluator(config, device="cuda")
    with pytest.raises(ValueError, match=r"option batch_size: value 8 does not apply to xylo"):
        make_evaluator(load_config("bundled:xylo"), batch_size=8)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device: value 'cuda' was asked for \(--device cuda\), but torch finds "
                                         r"no CUDA device here"):
        make_evaluator(config, mode="timestep", device="cuda")
    run = ["eval", "bundled:dynapcnn", "synthetic:dvs:4", "--mode", "timestep", "--workers", "0", "--no-progress",
           "--out", str(tmp_path)]
    assert main(run + ["--device", "cuda"]) == 2
    assert "device: value 'cuda' was asked for (--device cuda)" in capsys.readouterr().err
    assert main(run + ["--batch-size", "-1"]) == 2
    assert "batch_size: value -1 is below the minimum 1" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_batch_equals_cpu():
    events = samples()
    rows = {}
    for device in ("cpu", "cuda"):
        evaluator = make_evaluator(chip(CHIPS["bias"][0]), mode="timestep", dt_us=DT_US, device=device)
        rows[device] = [outcome(r) for r in evaluator.evaluate_batch(evaluator.simulator(),
                                                                     [lambda e=e: e for e in events])]
    assert rows["cuda"] == rows["cpu"]


def test_batches_split_to_stay_within_the_raster_limit(monkeypatch):
    """A batch whose padded rasters would pass MAX_RASTER_VALUES runs as several smaller batches, each sample's
    row unchanged."""
    from spikegate.sim.eval import chips

    evaluator = make_evaluator(chip(), mode="timestep", dt_us=DT_US)
    simulator, events = evaluator.simulator(), [e for e in samples() if e.size and e["x"].max() < 128 and e["p"].max() < 2]
    whole = [outcome(r) for r in evaluator.evaluate_batch(simulator, [lambda e=e: e for e in events])]
    one_raster = evaluator.raster(events[-1]).size
    monkeypatch.setattr(chips, "MAX_RASTER_VALUES", 3 * one_raster)
    runs = []  # per batch: its samples and the counts of its padded rasters

    def padded(batch):
        steps, channels = (max(raster.shape[axis] for raster, _ in batch) for axis in (0, 1))
        return len(batch), len(batch) * steps * channels * batch[0][0][0, 0].size

    monkeypatch.setattr(type(evaluator), "_run_together",
                        lambda self, sim, batch, original=type(evaluator)._run_together: runs.append(padded(batch))
                        or original(self, sim, batch))
    assert [outcome(r) for r in evaluator.evaluate_batch(simulator, [lambda e=e: e for e in events])] == whole
    assert len(runs) > 1 and sum(n for n, _ in runs) == len(events)
    assert max(counts for _, counts in runs) <= 3 * one_raster


def test_sample_past_the_raster_limit_wrong():
    """A timestamp that would make a raster of more than MAX_RASTER_VALUES counts is a malformed sample (one
    line naming t, dt_us and the limit), not gigabytes of zeros; the rest of the batch is evaluated."""
    evaluator = make_evaluator(chip(), mode="timestep", dt_us=1)
    good = open_dataset("synthetic:dvs:1").load(0)
    late = good.copy()
    late["t"][-1] = 2 ** 32 - 1
    results = evaluator.evaluate_batch(evaluator.simulator(), [lambda: late, lambda: good])
    assert isinstance(results[0], MalformedSample)
    assert str(results[0]).startswith(f"events: t up to {2 ** 32 - 1} us makes {2 ** 32} steps of dt_us 1 x ")
    assert str(results[0]).endswith(f"more than the limit of {2 ** 28} counts per sample (a larger dt_us makes fewer steps)")
    assert isinstance(results[1], dict)
