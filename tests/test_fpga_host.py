"""The host driver (spikegate.fpga.host) against the Amaranth simulation of a whole top level,
UART included: the same code a user runs on a board, compared value by value with the numpy models."""

import numpy as np
import pytest

from spikegate.fpga.dynapcnn_adapter import DynapcnnAdapter
from spikegate.fpga.host import DynapcnnBoard, Link, XyloBoard
from spikegate.fpga.protocol import ident_word
from spikegate.fpga.serial_top import SerialTop
from spikegate.fpga.transport import SimulatedSerial
from spikegate.fpga.xylo_adapter import XyloAdapter
from spikegate.fpga.xylo_pad import pad_config
from spikegate.hdl.dynapcnn import fitted_limits, reference
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloSim

from xylo_reference import random_config, random_raster

DIVISOR = 4  # clock cycles per UART bit: the smallest the receiver samples reliably


def assert_same_run(want, got):
    """``(out, state, rec)`` of XyloSim and of the board: every value, first mismatch reported."""
    (w_out, w_state, w_rec), (g_out, g_state, g_rec) = want, got
    assert_same({"out": w_out, **w_rec}, {"out": g_out, **g_rec}, names=("XyloSim", "board"))
    assert_same({k: v[None] for k, v in w_state.items()}, {k: v[None] for k, v in g_state.items()},
                names=("XyloSim state", "board state"))


def xylo_board(params: XyloCoreParams, config) -> XyloBoard:
    top = SerialTop(XyloAdapter(params), DIVISOR, ident_word("xylo"))
    return XyloBoard(Link(SimulatedSerial(top, DIVISOR)), params, config)


@pytest.mark.parametrize("seed, version", [(1, 1), (2, 2)])
def test_xylo_board_equals_xylosim(seed, version):
    """Every recorded value of every step, for a small random config loaded through the UART, and
    a second evolve() that continues from the carried state."""
    rng = np.random.default_rng(seed)
    config = random_config(rng, 3, 6, 2, version, regime="saturated" if seed % 2 else "medium", max_fanout=4)
    raster = random_raster(rng, 5, 3, 3.0)
    board = xylo_board(XyloCoreParams.for_config(config), config)
    assert board.link.status().kind == "xylo"
    model = XyloSim(config)
    for part in (raster[:3], raster[3:]):
        assert_same_run(model.evolve(part, record=True), board.evolve(part, record=True))
    assert np.all(board.cycles > 0)


def test_xylo_board_pads_a_smaller_config():
    """A 2/4/1 network on a 3/6/2 core: the host pads it and the results are the network's own."""
    rng = np.random.default_rng(7)
    config = random_config(rng, 2, 4, 1, 1, max_fanout=3)
    raster = random_raster(rng, 4, 2, 3.0)
    board = xylo_board(XyloCoreParams(n_inputs=3, n_hidden=6, n_outputs=2, max_fanout=4, max_synapses=24), config)
    assert_same_run(XyloSim(config).evolve(raster, record=True), board.evolve(raster, record=True))


def test_pad_config_wrong():
    rng = np.random.default_rng(3)
    config = random_config(rng, 3, 6, 2, 1, max_fanout=2)
    with pytest.raises(ValueError, match="Nhid: the config has 6, more than the core's 5"):
        pad_config(config, XyloCoreParams(n_inputs=3, n_hidden=5, n_outputs=2))
    with pytest.raises(ValueError, match="version: the config is version 1, the core version 2"):
        pad_config(config, XyloCoreParams(n_inputs=3, n_hidden=6, n_outputs=2, version=2))
    with pytest.raises(ValueError, match="no network loaded"):
        XyloBoard(None, XyloCoreParams(n_inputs=3, n_hidden=6, n_outputs=2)).evolve(np.zeros((1, 3), int))
