"""The chip registry (spikegate.sim.chip): the two chips' descriptors, lookups, and a toy third chip
registered as a plug-in and run through the CLI's trace and eval commands without any edit of spikegate."""

import json

import numpy as np
import pytest

from plugin_chip import COUNTER, CounterConfig
from spikegate.sim.chip import (Chip, chip_for_file, chip_of, chips, get_chip, load_config, register, select_options,
                                unregister)
from spikegate.sim.cli import main
from spikegate.sim.dynapcnn import ChipConfig
from spikegate.sim.eval import load_config as eval_load_config
from spikegate.sim.eval import make_evaluator
from spikegate.sim.trace import Trace
from spikegate.sim.xylo import XyloConfig

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def counter_chip():
    register(COUNTER)
    yield COUNTER
    unregister(COUNTER.name)


def test_registry_holds_both_chips_with_their_facets():
    assert {"xylo", "dynapcnn"} <= set(chips())
    xylo, dynapcnn = get_chip("xylo"), get_chip("dynapcnn")
    assert xylo.config_class() is XyloConfig and xylo.config_format == "spikegate.xylo.config"
    assert dynapcnn.config_class() is ChipConfig and dynapcnn.config_format == "spikegate.dynapcnn.config"
    assert chip_of(eval_load_config("bundled:xylo")) is xylo and chip_of(eval_load_config("bundled:dynapcnn")) is dynapcnn
    for chip in (xylo, dynapcnn):
        for layer in ("converter", "hdl"):
            assert chip.has_facet(layer) and chip.facet(layer) is not None


def test_config_files_are_told_by_their_format(tmp_path):
    eval_load_config("bundled:xylo").save(tmp_path / "x.json")
    assert chip_for_file(tmp_path / "x.json").name == "xylo"
    assert load_config(tmp_path / "x.json") == eval_load_config("bundled:xylo")


def test_registry_wrong(tmp_path):
    with pytest.raises(ValueError, match=r"chip: 'loihi' is not one of \("):
        get_chip("loihi")
    with pytest.raises(TypeError, match="config: a dict is not the configuration of any chip"):
        chip_of({})
    with pytest.raises(FileNotFoundError, match="config file .*nope.json does not exist"):
        chip_for_file(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        chip_for_file(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="'format' is 'other', not a spikegate config of a known chip: "
                                         "'spikegate.dynapcnn.config' \\(dynapcnn\\)"):
        chip_for_file(tmp_path / "other.json")
    with pytest.raises(ValueError, match="chip 'xylo' is already registered"):
        register(type("Impostor", (Chip,), {"name": "xylo"})())
    with pytest.raises(ValueError, match=r"facet: 'gpu' is not one of \('converter', 'hdl', 'fpga'\)"):
        get_chip("xylo").facet("gpu")


def test_options_of_another_chip_are_refused_when_set():
    xylo = get_chip("xylo")
    assert select_options(xylo, xylo.trace, {"membranes": []}, {"membranes": []}) == {}
    with pytest.raises(ValueError, match=r"option membranes: value \[1\] does not apply to xylo \(trace of xylo "
                                         r"takes: no options\)"):
        select_options(xylo, xylo.trace, {"membranes": [1]}, {"membranes": []})
    with pytest.raises(ValueError, match=r"option mode: value 'timestep' does not apply to xylo \(evaluator of "
                                         r"xylo takes: rule\)"):
        make_evaluator(eval_load_config("bundled:xylo"), mode="timestep")


def test_a_plugin_chip_runs_through_trace_and_eval(counter_chip, tmp_path, capsys):
    config = CounterConfig(n_inputs=16, threshold=3)
    config.save(tmp_path / "counter.json")
    raster = np.zeros((6, 16), int)
    raster[:, 5] = [1, 1, 1, 0, 3, 0]  # channel 5 reaches the threshold 3 at steps 2 and 4
    np.save(tmp_path / "raster.npy", raster)
    assert main(["trace", "record", "counter", str(tmp_path / "counter.json"), str(tmp_path / "raster.npy"),
                 "--out", str(tmp_path / "a.npz")]) == 0
    trace = Trace.load(tmp_path / "a.npz")
    assert trace.chip == "counter" and trace.config_digest == config.digest()
    assert trace.fields["spikes"][:, 5].tolist() == [0, 0, 1, 0, 1, 0] and trace.fields["spikes"].sum() == 2
    assert trace.fields["membrane"][:, 5].tolist() == [1, 2, 0, 0, 0, 0]
    assert main(["trace", "diff", str(tmp_path / "a.npz"), str(tmp_path / "a.npz")]) == 0
    assert main(["eval", str(tmp_path / "counter.json"), "synthetic:xylo:8", "--workers", "0", "--no-progress",
                 "--out", str(tmp_path / "eval")]) == 0
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["evaluated"] == 8 and summary["malformed"] == 0
    assert chip_of(config) is counter_chip and load_config(tmp_path / "counter.json") == config


def test_a_plugin_chip_without_hardware_is_refused_by_hardware_commands(counter_chip, tmp_path):
    CounterConfig(n_inputs=2, threshold=3).save(tmp_path / "counter.json")
    np.save(tmp_path / "raster.npy", np.ones((3, 2), int))
    with pytest.raises(LookupError, match="chip 'counter' has no hdl implementation"):
        main(["vectors", "export", str(tmp_path / "counter.json"), str(tmp_path / "raster.npy"),
              "--out", str(tmp_path / "v")])
