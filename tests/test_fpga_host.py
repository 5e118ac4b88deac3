"""The host driver (spikegate.fpga.host) against the Amaranth simulation of a whole top level,
UART included: the same code a user runs on a board, compared value by value with the numpy models."""

import numpy as np
import pytest

from spikegate.fpga.dynapcnn_adapter import DynapcnnAdapter
from spikegate.fpga.host import DynapcnnBoard, Link, XyloBoard
from spikegate.fpga.serial_top import SerialTop
from spikegate.fpga.transport import CompiledSerial, SimulatedSerial
from spikegate.fpga.xylo_adapter import XyloAdapter
from spikegate.fpga.xylo_pad import pad_config
from spikegate.hdl.dynapcnn import fitted_limits, reference
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.sim.compare import assert_same
from spikegate.sim.dynapcnn import (INPUT_EVENT_DTYPE, OUTPUT_EVENT_DTYPE, ChipConfig, CoreConfig, Destination,
                                    DvsLayerConfig)
from spikegate.sim.xylo import XyloConfig, XyloSim

from xylo_reference import random_config, random_raster

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(600)

DIVISOR = 4  # clock cycles per UART bit: the smallest the receiver samples reliably


def assert_same_run(want, got):
    """``(out, state, rec)`` of XyloSim and of the board: every value, first mismatch reported."""
    (w_out, w_state, w_rec), (g_out, g_state, g_rec) = want, got
    assert_same({"out": w_out, **w_rec}, {"out": g_out, **g_rec}, names=("XyloSim", "board"))
    assert_same({k: v[None] for k, v in w_state.items()}, {k: v[None] for k, v in g_state.items()},
                names=("XyloSim state", "board state"))


def xylo_board(params: XyloCoreParams, config) -> XyloBoard:
    top = SerialTop({"xylo": XyloAdapter(params)}, DIVISOR)
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


def small_chip(rng) -> ChipConfig:
    """Core 0 (k3, 2 channels -> 2 features on 4x4, leak) pooled by 2 into core 1 (1x1 kernels on 2x2), both
    monitored; weights and thresholds give a few output events per input event."""
    core0 = CoreConfig.from_weights(rng.integers(-30, 60, (2, 2, 3, 3)), (4, 4), threshold_high=120,
                                    threshold_low=-80, padding=(1, 1), leak_enable=True,
                                    biases=rng.integers(-10, 20, 2), monitor_enable=True)
    core0 = core0.replace(neurons_initial_value=rng.integers(-40, 40, core0.neurons_initial_value.shape),
                          destinations=(Destination(1, True, 2, 0),))
    core1 = CoreConfig.from_weights(rng.integers(-20, 70, (2, 2, 1, 1)), (2, 2), threshold_high=60,
                                    threshold_low=-40, monitor_enable=True)
    return ChipConfig(cores={0: core0, 1: core1}, dvs_layer=DvsLayerConfig.direct([0], (4, 4)))


def assert_same_chip_run(chip, want_events, want_membranes, board, got_events):
    """Output events (order and every field) and every used core's read-back membranes of ``board``
    against the depth-first model's, first mismatch reported."""
    assert len(got_events) == len(want_events) > 0, \
        f"{len(got_events)} output events from the board, {len(want_events)} from the model"
    fields = OUTPUT_EVENT_DTYPE.names
    assert_same({k: want_events[k][:, None] for k in fields}, {k: got_events[k][:, None] for k in fields},
                axes=("event", "-"), names=("model", "board"))
    for i in chip.used_cores:
        assert_same({"V": want_membranes[i][None]}, {"V": board.membranes(i)[None]}, axes=("-", "f", "x", "y"),
                    names=("model", "board"))


def test_dynapcnn_board_equals_model():
    """Output events (order and every field) and read-back membranes of the board through the UART
    against the depth-first model, over two calls with leak ticks."""
    rng = np.random.default_rng(11)
    chip = small_chip(rng)
    limits = fitted_limits(chip)
    top = SerialTop({"dynapcnn": DynapcnnAdapter(limits)}, DIVISOR)
    board = DynapcnnBoard(Link(SimulatedSerial(top, DIVISOR)), limits, chip)
    assert board.link.status().kind == "dynapcnn"
    batch = np.zeros(12, INPUT_EVENT_DTYPE)
    batch["x"], batch["y"] = rng.integers(0, 4, 12), rng.integers(0, 4, 12)
    batch["p"], batch["t"] = rng.integers(0, 2, 12), np.arange(12) * 10
    ticks = [(3, 41), (5, 61)]
    want, membranes = reference(chip, batch, ticks)
    got = np.concatenate([board(batch[:6], ticks), board(batch[6:])])
    assert_same_chip_run(chip, want, membranes, board, got)


# ------------------------------------------------------------------ full size, compiled simulation
@pytest.fixture(scope="module")
def full_size_board(tmp_path_factory):
    """The whole 16/1000/8 top level, UART included, compiled by CXXRTL (Amaranth's simulator would
    need hours for the 23 million cycles a full configuration takes over the UART)."""
    params = XyloCoreParams()
    top = SerialTop({"xylo": XyloAdapter(params)}, DIVISOR)
    serial = CompiledSerial(top, DIVISOR, tmp_path_factory.mktemp("full_size_top"))
    yield XyloBoard(Link(serial), params)
    serial.close()


def test_full_size_random_network_through_the_uart(full_size_board):
    """A random 1000-neuron network (fan-out up to 32 per neuron) loaded through the UART: every
    recorded value of every step equals XyloSim."""
    rng = np.random.default_rng(3)
    config = random_config(rng, 16, 1000, 8, 1, max_fanout=32)
    assert full_size_board.load(config) > 60_000  # every word of the full-size memories
    raster = random_raster(rng, 4, 16, 1.0)
    want = XyloSim(config).evolve(raster, record=True)
    assert_same_run(want, full_size_board.evolve(raster, record=True))
    assert want[2]["Spikes"].sum() > 1000


def test_full_size_trained_network_through_the_uart(full_size_board, tmp_path):
    """The network `spikegate xylo train` trains (16/126/2, here briefly trained), padded into the
    full-size core, on its own test input."""
    from spikegate.converter.xylo.task import run_experiment

    run_experiment(tmp_path, seed=0, epochs=2, n_train=16, n_test=4, qat_epochs=1, progress=False)
    config = XyloConfig.load(tmp_path / "config.json")
    raster = np.load(tmp_path / "input.npy")[:20]
    full_size_board.load(config)
    assert_same_run(XyloSim(config).evolve(raster, record=True), full_size_board.evolve(raster, record=True))


# ------------------------------------------------------------------ both cores behind one UART
def test_xylo_and_dynapcnn_share_one_link():
    """The xylo+dynapcnn design (the ULX3S build's): both networks loaded through one UART, runs
    interleaved, each core's results and carried state equal to its own model's; IDENT names the
    selected core."""
    rng = np.random.default_rng(5)
    config = random_config(rng, 3, 6, 2, 1, regime="medium", max_fanout=4)
    raster = random_raster(rng, 6, 3, 3.0)
    chip = small_chip(rng)
    params, limits = XyloCoreParams.for_config(config), fitted_limits(chip)
    top = SerialTop({"xylo": XyloAdapter(params), "dynapcnn": DynapcnnAdapter(limits)}, DIVISOR)
    link = Link(SimulatedSerial(top, DIVISOR))
    xylo = XyloBoard(link, params, config, select=0)
    dynapcnn = DynapcnnBoard(link, limits, chip, select=1)
    status = link.status()
    assert (status.kind, status.cores, status.selected, status.version) == ("dynapcnn", 2, 1, 2)
    batch = np.zeros(10, INPUT_EVENT_DTYPE)
    batch["x"], batch["y"] = rng.integers(0, 4, 10), rng.integers(0, 4, 10)
    batch["p"], batch["t"] = rng.integers(0, 2, 10), np.arange(10) * 10
    want_events, membranes = reference(chip, batch)
    model = XyloSim(config)
    assert_same_run(model.evolve(raster[:3], record=True), xylo.evolve(raster[:3], record=True))
    got_events = np.concatenate([dynapcnn(batch[:5]), dynapcnn(batch[5:])])
    assert_same_run(model.evolve(raster[3:], record=True), xylo.evolve(raster[3:], record=True))
    assert_same_chip_run(chip, want_events, membranes, dynapcnn, got_events)
    assert xylo.link.status().kind == "xylo" and link.status().unknown_commands == 0


@pytest.mark.slow
def test_xylo_and_dynapcnn_over_compiled_byte_streams(tmp_path):
    """The xylo+dynapcnn design without its UART (divisor None), compiled by CXXRTL: both boards' results
    equal their models, and each Xylo step's busy cycles from DONE equal the core's own cycles in
    Amaranth's simulator (the protocol engine adds none). Opt in with --run-slow: ~20 s of g++ (the
    default suite runs Xylo this way in tests/test_xylo_hdl_cxxrtl.py)."""
    from spikegate.hdl.xylo import simulate

    rng = np.random.default_rng(5)
    config = random_config(rng, 3, 6, 2, 1, regime="medium", max_fanout=4)
    raster = random_raster(rng, 6, 3, 3.0)
    chip = small_chip(rng)
    params, limits = XyloCoreParams.for_config(config), fitted_limits(chip)
    serial = CompiledSerial(SerialTop({"xylo": XyloAdapter(params), "dynapcnn": DynapcnnAdapter(limits)}, None),
                            None, tmp_path, optimize="-O0")
    try:
        link = Link(serial)
        xylo, dynapcnn = XyloBoard(link, params, config, select=0), DynapcnnBoard(link, limits, chip, select=1)
        batch = np.zeros(10, INPUT_EVENT_DTYPE)
        batch["x"], batch["y"] = rng.integers(0, 4, 10), rng.integers(0, 4, 10)
        batch["p"], batch["t"] = rng.integers(0, 2, 10), np.arange(10) * 10
        want_events, membranes = reference(chip, batch)
        assert_same_run(XyloSim(config).evolve(raster, record=True), xylo.evolve(raster, record=True))
        assert_same_chip_run(chip, want_events, membranes, dynapcnn, dynapcnn(batch))
        assert_same({"cycles": simulate(config, raster, record=False)[3]}, {"cycles": xylo.cycles},
                    names=("Amaranth simulator", "board"))
        assert link.status().unknown_commands == 0
    finally:
        serial.close()


@pytest.mark.slow
def test_full_size_xylo_and_dynapcnn_through_one_uart(tmp_path):
    """The ULX3S xylo+dynapcnn top level at full size (16/1000/8 beside nine cores of the board's
    memory depths), compiled by CXXRTL: a random 1000-neuron network and a two-core DYNAP-CNN network
    through one UART, interleaved (opt in with --run-slow: several minutes of g++)."""
    from spikegate.fpga.dynapcnn_facet import dynapcnn_limits

    rng = np.random.default_rng(9)
    params, limits = XyloCoreParams(), dynapcnn_limits("ulx3s")
    top = SerialTop({"xylo": XyloAdapter(params), "dynapcnn": DynapcnnAdapter(limits)}, DIVISOR)
    serial = CompiledSerial(top, DIVISOR, tmp_path)
    try:
        link = Link(serial)
        config, chip = random_config(rng, 16, 1000, 8, 1, max_fanout=32), small_chip(rng)
        xylo, dynapcnn = XyloBoard(link, params, config, select=0), DynapcnnBoard(link, limits, chip, select=1)
        raster = random_raster(rng, 4, 16, 1.0)
        batch = np.zeros(20, INPUT_EVENT_DTYPE)
        batch["x"], batch["y"], batch["p"] = rng.integers(0, 4, 20), rng.integers(0, 4, 20), rng.integers(0, 2, 20)
        want_events, membranes = reference(chip, batch)
        model = XyloSim(config)
        assert_same_run(model.evolve(raster[:2], record=True), xylo.evolve(raster[:2], record=True))
        got_events = dynapcnn(batch)
        assert_same_run(model.evolve(raster[2:], record=True), xylo.evolve(raster[2:], record=True))
        assert_same_chip_run(chip, want_events, membranes, dynapcnn, got_events)
    finally:
        serial.close()
