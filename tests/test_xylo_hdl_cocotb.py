"""The exported Verilog of XyloCore under cocotb + Icarus Verilog equals the numpy model, run from exported
test-vector directories (so the vector format is proven by use)."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from cocotb_icarus import run_icarus
from xylo_reference import random_config, random_raster

from spikegate.hdl.vectors import export_xylo
from spikegate.hdl.xylo import XyloCore, XyloCoreParams

TESTBENCH = Path(__file__).parent / "cocotb" / "xylo"

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")


def write_vectors(directory: Path, params: XyloCoreParams, seeds) -> list[Path]:
    """Random configs of the core's size run on random rasters, exported as test-vector directories."""
    directories = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        config = random_config(rng, params.n_inputs, params.n_hidden, params.n_outputs, params.version,
                               regime=("medium", "saturated", "quiet")[seed % 3], max_fanout=params.max_fanout)
        raster = random_raster(rng, 4, params.n_inputs, rate=1.5)
        directories.append(export_xylo(config, raster, directory / f"vectors{seed}", params=params,
                                       with_verilog=False))
    return directories


@pytest.mark.parametrize("version, seeds", [(1, (0, 1, 2)), (2, (3,))])
def test_verilog_under_icarus_equals_numpy(tmp_path, monkeypatch, version, seeds):
    params = XyloCoreParams(n_inputs=4, n_hidden=10, n_outputs=3, max_fanout=6, max_synapses=60, version=version)
    directories = write_vectors(tmp_path, params, seeds)
    monkeypatch.setenv("XYLO_VECTORS", os.pathsep.join(str(d) for d in directories))
    run_icarus(XyloCore(params), "xylo_core", "tb_xylo", TESTBENCH, tmp_path)
