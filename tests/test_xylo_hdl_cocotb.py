"""The exported Verilog of XyloCore under cocotb + Icarus Verilog equals the numpy model."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from amaranth.back import verilog
from xylo_reference import random_config, random_raster

from spikegate.hdl.xylo import XyloCore, XyloCoreParams
from spikegate.sim.xylo import XyloSim

TESTBENCH = Path(__file__).parent / "cocotb" / "xylo"

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")


def write_cases(directory: Path, params: XyloCoreParams, seeds) -> Path:
    """Random configs of the core's size, their rasters and the numpy model's records, as files."""
    cases = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        config = random_config(rng, params.n_inputs, params.n_hidden, params.n_outputs, params.version,
                               regime=("medium", "saturated", "quiet")[seed % 3], max_fanout=params.max_fanout)
        raster = random_raster(rng, 4, params.n_inputs, rate=1.5)
        out, _, rec = XyloSim(config).evolve(raster, record=True)
        config_path, expected_path = directory / f"config{seed}.json", directory / f"expected{seed}.npz"
        config.save(config_path)
        np.savez(expected_path, raster=raster, out=out, **rec)
        cases.append({"config": str(config_path), "expected": str(expected_path)})
    path = directory / "cases.json"
    path.write_text(json.dumps(cases))
    return path


@pytest.mark.parametrize("version, seeds", [(1, (0, 1, 2)), (2, (3,))])
def test_verilog_under_icarus_equals_numpy(tmp_path, monkeypatch, version, seeds):
    from cocotb_tools.runner import get_runner

    params = XyloCoreParams(n_inputs=4, n_hidden=10, n_outputs=3, max_fanout=6, max_synapses=60, version=version)
    source = tmp_path / "xylo_core.v"
    source.write_text(verilog.convert(XyloCore(params), name="xylo_core"))
    cases = write_cases(tmp_path, params, seeds)
    monkeypatch.setenv("XYLO_CASES", str(cases))
    monkeypatch.setenv("XYLO_PARAMS", json.dumps(dataclasses.asdict(params)))
    runner = get_runner("icarus")
    runner.build(sources=[source], hdl_toplevel="xylo_core", build_dir=tmp_path / "build", always=True,
                 timescale=("1ns", "1ps"), build_args=["-g2005"])
    results = runner.test(hdl_toplevel="xylo_core", test_module="tb_xylo", build_dir=tmp_path / "build",
                          test_dir=TESTBENCH, results_xml=str(tmp_path / "results.xml"))
    text = Path(results).read_text()
    assert "<failure" not in text and "<testcase" in text, text
