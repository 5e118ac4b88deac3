"""The reduced XyloCore (16/64/8) places and routes for iCE40UP5K and ECP5-85F with YoWASP, within
the devices' resources and at the clock the iCEBreaker build needs."""

import pytest

from spikegate.fpga import toolchain
from spikegate.hdl.xylo import XyloCore, XyloCoreParams

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(600)

REDUCED = XyloCoreParams(n_inputs=16, n_hidden=64, n_outputs=8, max_fanout=64, max_synapses=2048)


@pytest.mark.parametrize("target, min_mhz", [("ice40-up5k", 30.0), ("ecp5-85f", 50.0)])
def test_reduced_core_fits_and_meets_clock(tmp_path, target, min_mhz):
    report = toolchain.synthesize(XyloCore(REDUCED), target, tmp_path)
    assert report.logic[0] <= report.logic[1], report.text()
    assert 0 < report.block_ram[0] <= report.block_ram[1], report.text()
    assert report.min_fmax_mhz >= min_mhz, report.text()
