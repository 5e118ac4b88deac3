"""spikegate sweep: conversion settings (hand-checked transforms), the grid, the table and the best setting."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from spikegate.converter.cli_sweep import convert, parse_grid
from spikegate.converter.dynapcnn.facet import rescaled
from spikegate.converter.xylo.facet import requantized
from spikegate.sim.chip import get_chip


def bundled_model(chip: str):
    return get_chip(chip).facet("converter").bundled_model()[0]
from spikegate.converter.dynapcnn import IAF, SumPool2d
from spikegate.sim.cli import main
from spikegate.sim.eval import load_config, make_evaluator, open_dataset
from spikegate.sim.eval.report import TABLE_SUFFIX, read_table
from spikegate.sim.xylo import XyloConfig


def run_all(config, dataset):
    evaluator = make_evaluator(config)
    simulator = evaluator.simulator()
    return [evaluator.evaluate(simulator, dataset.load(i)) for i in range(len(dataset))]


def test_bundled_float_dynapcnn_model_converts_to_the_bundled_network():
    dataset = open_dataset("synthetic:dvs:40")
    converted = convert("dynapcnn", bundled_model("dynapcnn"), {}, (2, 16, 16))
    hand = load_config("bundled:dynapcnn")
    for a, b in zip(run_all(converted, dataset), run_all(hand, dataset)):
        assert {k: a[k] for k in ("prediction", "n_output", "sops", "events")} == \
               {k: b[k] for k in ("prediction", "n_output", "sops", "events")}


def test_rescaled_scales_weights_thresholds_and_swaps_pooling():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, bias=True), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(2, 2, 1),
                          IAF(3.0, min_v_mem=-1.5), SumPool2d(2))
    copy = rescaled(model, weight_scale=2.0, threshold_scale=0.5, pooling="sum")
    torch.testing.assert_close(copy[0].weight, 2 * model[0].weight)
    torch.testing.assert_close(copy[0].bias, 2 * model[0].bias)
    assert isinstance(copy[1], IAF) and (copy[1].spike_threshold, copy[1].min_v_mem) == (0.5, -0.5)
    assert isinstance(copy[2], SumPool2d) and copy[2].kernel_size == 2
    assert (copy[4].spike_threshold, copy[4].min_v_mem) == (1.5, -0.75)
    assert isinstance(model[1], nn.ReLU) and model[4].spike_threshold == 3.0  # the original is untouched
    assert isinstance(rescaled(model, 1.0, 1.0, "avg")[5], nn.AvgPool2d)
    with pytest.raises(ValueError, match=r"pooling: value 'max' is not one of \('sum', 'avg'\)"):
        rescaled(model, 1.0, 1.0, "max")


def test_requantized_by_hand():
    config = XyloConfig.from_spec(weights_in=[[100, -3], [5, 6]], weights_out=[[127], [-128]], dash_mem=[0, 15],
                                  dash_syn=[1, 4], dash_mem_out=3, dash_syn_out=1, threshold=[10, 20],
                                  threshold_out=5, weight_shift_in=6, weight_shift_out=0)
    shorter = requantized(config, dash_offset=-1, weight_shift_offset=2)
    assert shorter.dash_mem.tolist() == [0, 14] and shorter.dash_syn.tolist() == [1, 3]  # synapses stay >= 1
    assert shorter.dash_syn_out.tolist() == [1] and shorter.dash_mem_out.tolist() == [2]
    # shift 6 -> 7 (one bit added, the cap): 100/2 = 50, -3/2 = -1.5 -> -2 (half to even), 5/2 -> 2, 6/2 = 3
    assert shorter.weight_shift_in == 7 and shorter.weights_in[:, :, 0].tolist() == [[50, -2], [2, 3]]
    # shift 0 -> 2: 127/4 = 31.75 -> 32, -128/4 = -32
    assert shorter.weight_shift_out == 2 and shorter.weights_out.tolist() == [[32], [-32]]
    longer = requantized(config, dash_offset=1, weight_shift_offset=0)
    assert longer.dash_mem.tolist() == [1, 15] and longer.dash_syn.tolist() == [2, 5]
    assert np.array_equal(longer.weights_in, config.weights_in)


def test_parse_grid_and_wrong():
    grid = parse_grid(["scale=auto,16", "dash_offset=0"], "xylo")
    assert grid["scale"] == [None, 16] and grid["dash_offset"] == [0] and grid["max_threshold"] == [256, 4096]
    assert parse_grid(["pooling=avg"], "dynapcnn")["pooling"] == ["avg"]
    with pytest.raises(ValueError, match=r"--grid 'dash=1': xylo settings are \['dash_offset', 'max_threshold'"):
        parse_grid(["dash=1"], "xylo")
    with pytest.raises(ValueError, match="--grid 'pooling=': no values"):
        parse_grid(["pooling="], "dynapcnn")


def test_sweep_cli_table_and_best(tmp_path, capsys):
    code = main(["sweep", "bundled:dynapcnn", "synthetic:dvs:32", "--grid", "weight_scale=1,2",
                 "--grid", "threshold_scale=1,2", "--grid", "pooling=sum", "--workers", "0", "--no-progress",
                 "--out", str(tmp_path)])
    assert code == 0
    printed = capsys.readouterr().out
    table = read_table(tmp_path / f"sweep{TABLE_SUFFIX}")
    assert len(table) == 4 and (table["status"] == "ok").all()
    rows = {(r["weight_scale"], r["threshold_scale"]): r for r in table.to_dict("records")}
    # scaling weights and thresholds together changes nothing after discretization
    for column in ("accuracy", "mean_sops", "mean_events"):
        assert rows[(1, 1)][column] == rows[(2, 2)][column]
    doc = json.loads((tmp_path / "sweep.json").read_text())
    best = doc["best"]
    top = table["accuracy"].max()
    assert best["accuracy"] == top and best["mean_sops"] == table[table["accuracy"] == top]["mean_sops"].min()
    assert f"best: weight_scale={best['weight_scale']}" in printed
    assert (tmp_path / "weight_scale=2,threshold_scale=1,pooling=sum" / "summary.json").exists()


def test_sweep_cli_wrong(tmp_path, capsys):
    assert main(["sweep", "bundled:loihi", "synthetic:dvs", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "bundled models are ['bundled:dynapcnn', 'bundled:xylo']" in capsys.readouterr().err
    assert main(["sweep", "net.nir", "synthetic:dvs", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "a NIR graph needs --chip dynapcnn or --chip xylo" in capsys.readouterr().err
    torch.save(bundled_model("dynapcnn"), tmp_path / "net.pt")
    assert main(["sweep", str(tmp_path / "net.pt"), "synthetic:dvs", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "--input-shape: give C,H,W for a torch model" in capsys.readouterr().err


def test_xylo_sweep_from_torch_and_from_nir_agree(tmp_path, capsys):
    import nir

    from spikegate.converter.xylo import to_nir

    nir.write(tmp_path / "net.nir", to_nir(bundled_model("xylo")))
    grid = ["--grid", "max_threshold=4096", "--grid", "dash_offset=-1,0", "--grid", "weight_shift_offset=0"]
    common = ["synthetic:xylo:24", "--workers", "0", "--no-progress", *grid]
    assert main(["sweep", "bundled:xylo", *common, "--out", str(tmp_path / "torch")]) == 0
    assert main(["sweep", str(tmp_path / "net.nir"), *common, "--chip", "xylo", "--dt", "1e-3",
                 "--out", str(tmp_path / "nir")]) == 0
    from_torch = read_table(tmp_path / "torch" / f"sweep{TABLE_SUFFIX}")
    from_nir = read_table(tmp_path / "nir" / f"sweep{TABLE_SUFFIX}")
    assert from_torch["dash_offset"].tolist() == [-1, 0] and (from_torch["status"] == "ok").all()
    assert from_torch["config_digest"].tolist() == from_nir["config_digest"].tolist()
    # the converted network at dash offset 0 is the bundled one up to the converter's scale: it scores likewise
    assert from_torch.loc[1, "accuracy"] > 0.6
    assert "best: scale=auto, max_threshold=4096" in capsys.readouterr().out
