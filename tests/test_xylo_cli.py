"""``spikegate xylo train`` and ``spikegate xylo run`` end to end on a tiny setting, and sim.plots."""

import json

import numpy as np
import pytest

from spikegate.sim.cli import main
from spikegate.sim.plots import membrane_plot, raster_plot
from spikegate.sim.xylo import XyloConfig


def test_train_then_run(tmp_path, capsys):
    out = tmp_path / "train"
    assert main(["xylo", "train", "--out", str(out), "--epochs", "1", "--qat-epochs", "1", "--train-samples", "16",
                 "--test-samples", "4"]) == 0
    text = capsys.readouterr().out
    assert "task accuracy: float" in text and "chip vs float: same decision on" in text
    report = json.loads((out / "report.json").read_text())
    assert report["epochs"] == 1 and report["test_samples"] == 4 and 0 <= report["decision_agreement"] <= 1
    assert report["emulation_identical"] == 1.0
    config = XyloConfig.load(out / "config.json")
    assert (config.n_inputs, config.n_hidden, config.n_outputs) == (16, 126, 2)
    assert config.aliases[:63] == tuple((63 + i,) for i in range(63))
    assert (out / "xylo.png").stat().st_size > 10_000
    run = tmp_path / "run"
    assert main(["xylo", "run", str(out / "config.json"), str(out / "input.npy"), "--out", str(run)]) == 0
    record = np.load(run / "record.npz")
    assert record["out"].shape == (100, 2) and record["Spikes"].shape == (100, 126)
    assert (run / "run.png").stat().st_size > 10_000


def test_run_input_wrong(tmp_path, capsys):
    config = XyloConfig.from_spec(weights_in=np.ones((3, 2)), weights_out=np.ones((2, 1)), threshold=5,
                                  threshold_out=5)
    config.save(tmp_path / "c.json")
    np.save(tmp_path / "x.npy", np.zeros((10, 4), dtype=np.int64))
    assert main(["xylo", "run", str(tmp_path / "c.json"), str(tmp_path / "x.npy"), "--out", str(tmp_path / "o")]) == 2
    assert "x.npy: raster: expected shape (T, Nin=3), got (10, 4)" in capsys.readouterr().err


def test_train_epochs_wrong(tmp_path, capsys):
    assert main(["xylo", "train", "--out", str(tmp_path), "--epochs", "0"]) == 2
    assert "spikegate xylo train: --epochs: value 0 is below the minimum 1" in capsys.readouterr().err
    assert main(["xylo", "train", "--out", str(tmp_path), "--epochs", "3", "--qat-epochs", "4"]) == 2
    assert "--qat-epochs: value 4 is outside 0..3 (0 to --epochs)" in capsys.readouterr().err


def test_plots(tmp_path):
    spikes = np.zeros((20, 3), dtype=int)
    spikes[[2, 5, 5], [0, 1, 2]] = [1, 3, 31]
    ax = raster_plot(spikes, dt=1e-3, title="spikes")
    membrane_plot(np.cumsum(np.ones((20, 2)), axis=0), ax=ax.figure.add_subplot(212), threshold=[5, 10],
                  labels=["a", "b"])
    ax.figure.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert ax.get_xlabel() == "time (s)"


def test_plots_wrong():
    with pytest.raises(ValueError, match=r"spikes: expected shape \(T, N\), got \(5,\)"):
        raster_plot(np.zeros(5))
    with pytest.raises(ValueError, match=r"vmem: expected shape \(T, N\), got \(2, 2, 2\)"):
        membrane_plot(np.zeros((2, 2, 2)))
