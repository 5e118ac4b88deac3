"""XyloCore compiled with CXXRTL (spikegate.fpga.compiled.simulate_xylo: XyloBoard over CompiledSerial's byte
streams) equals the numpy model and the Python simulator, cycle counts included, and runs the full-size
array over many steps."""

import shutil

import numpy as np
import pytest
from xylo_reference import random_config, random_raster

from spikegate.fpga.compiled import simulate_xylo
from spikegate.fpga.serial_top import SerialTop
from spikegate.fpga.transport import CompiledSerial
from spikegate.fpga.xylo_adapter import XyloAdapter
from spikegate.hdl.xylo import XyloCoreParams, simulate
from spikegate.hdl.cxxrtl import CACHE_VARIABLE
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig, XyloSim

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = [pytest.mark.skipif(shutil.which("g++") is None, reason="the CXXRTL backend needs g++"),
              pytest.mark.timeout(600)]


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(tmp_path_factory.mktemp("cxxrtl")))
        yield


PARAMS = XyloCoreParams(6, 24, 4, max_fanout=10, max_synapses=240)  # one build for the small tests


@pytest.mark.parametrize("seed", range(3))
def test_cxxrtl_equals_python_simulator_and_numpy(seed):
    rng = np.random.default_rng(300 + seed)
    config = random_config(rng, 6, 24, 4, version=1, regime=("quiet", "medium", "saturated")[seed], max_fanout=10)
    params = PARAMS
    raster = random_raster(rng, 12, 6, rate=1.5)
    out, state, rec, cycles = simulate_xylo(config, raster, record=True, params=params)
    py_out, py_state, py_rec, py_cycles = simulate(config, raster[:4], params=params)
    assert_same(py_rec | {"out": py_out, "cycles": py_cycles},
                {k: v[:4] for k, v in (rec | {"out": out, "cycles": cycles}).items()},
                names=("amaranth", "compiled"))
    ref_out, ref_state, ref_rec = XyloSim(config).evolve(raster, record=True)
    assert_same(ref_rec | {"out": ref_out}, rec | {"out": out}, names=("numpy", "compiled"))


def test_cxxrtl_full_size_over_many_steps():
    """16/1000/8, 32 recurrent targets per neuron, 60 steps of Poisson input: every record every step."""
    rng = np.random.default_rng(11)
    n_hid = 1000
    w_rec = np.zeros((n_hid, n_hid, 2), np.int64)
    for pre in range(n_hid):
        w_rec[pre].reshape(-1)[rng.choice(2 * n_hid, size=32, replace=False)] = rng.integers(-128, 128, 32)
    config = XyloConfig.from_spec(
        weights_in=rng.integers(-128, 128, (16, n_hid, 2)), weights_rec=w_rec,
        weights_out=rng.integers(-128, 128, (n_hid, 8)), dash_mem=rng.integers(0, 16, n_hid),
        dash_syn=rng.integers(0, 16, n_hid), dash_syn_2=rng.integers(0, 16, n_hid), dash_mem_out=2,
        dash_syn_out=3, threshold=rng.integers(200, 5000, n_hid), threshold_out=rng.integers(100, 3000, 8),
        weight_shift_in=4, weight_shift_rec=2, weight_shift_out=1,
        aliases=[[int(t)] if t != s and rng.random() < 0.1 else [] for s, t in enumerate(rng.integers(0, n_hid, n_hid))])
    raster = rng.poisson(0.5, (60, 16))
    out, _, rec, cycles = simulate_xylo(config, raster, record=True, params=XyloCoreParams())
    ref_out, _, ref_rec = XyloSim(config).evolve(raster, record=True)
    assert_same(ref_rec | {"out": ref_out}, rec | {"out": out}, names=("numpy", "compiled"))
    assert rec["Spikes"].sum() > 10_000 and cycles.max() > 20_000


def test_cxxrtl_wrong():
    config = XyloConfig.from_spec(weights_in=[[1]], weights_out=[[1]], threshold=1, threshold_out=1)
    with pytest.raises(TypeError, match=r"^config: expected a XyloConfig, got dict$"):
        simulate_xylo({}, [[1]])
    with pytest.raises(TypeError, match="unexpected keyword argument 'backend'"):
        simulate(config, [[1]], backend="cxxrtl")  # one way to run the compiled core: spikegate.fpga.compiled
    with pytest.raises(ValueError, match=r"^Nin: the config has 1, the core is built for 6$"):
        simulate_xylo(config, [[1]], params=PARAMS)  # the board would pad it: refused first


def test_byte_streams_have_no_line_to_garble_wrong():
    serial = CompiledSerial(SerialTop({"xylo": XyloAdapter(PARAMS)}, None), None)  # the small tests' build
    try:
        with pytest.raises(ValueError, match=r"^write_garbled: a design with byte streams \(divisor None\) has "
                                             r"no UART line to garble$"):
            serial.write_garbled(0x55)
    finally:
        serial.close()
