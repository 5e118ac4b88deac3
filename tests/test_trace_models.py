"""Traces recorded from the real models: a deliberately wrong implementation is found at its first wrong value."""

import numpy as np
import pytest

from spikegate.sim.dynapcnn import DynapcnnSim
from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, Destination, DvsLayerConfig
from spikegate.sim.dynapcnn.model import INPUT_EVENT_DTYPE
from spikegate.sim.trace import Trace, diff, dynapcnn_trace, xylo_trace
from spikegate.sim.xylo import XyloConfig, XyloSim


def two_core_chip(return_to_zero=False):
    rng = np.random.default_rng(3)
    first = CoreConfig.from_weights(rng.integers(-20, 60, (4, 2, 3, 3)), (8, 8), threshold_high=70, threshold_low=-90,
                                    return_to_zero=return_to_zero,
                                    destinations=[Destination(layer=4, enable=True, pooling=2)])
    second = CoreConfig.from_weights(rng.integers(-10, 80, (3, 4, 2, 2)), (3, 3), threshold_high=60,
                                     threshold_low=-50, monitor_enable=True)
    return ChipConfig(cores={1: first, 4: second}, dvs_layer=DvsLayerConfig.direct([1], (8, 8)))


def input_events(n=300, seed=1):
    rng = np.random.default_rng(seed)
    events = np.zeros(n, INPUT_EVENT_DTYPE)
    events["x"], events["y"], events["p"] = rng.integers(0, 8, n), rng.integers(0, 8, n), rng.integers(0, 2, n)
    events["t"] = np.arange(n)
    return events


def test_dynapcnn_trace_matches_the_model():
    chip, events = two_core_chip(), input_events()
    trace = dynapcnn_trace(chip, events, membrane_cores=(1, 4))
    sim = DynapcnnSim(chip)
    out = sim(events)
    assert np.array_equal(trace.fields["membrane_core4"][-1], sim.membranes(4))
    assert trace.fields["out_count"][:, 4].sum() == len(out)
    core4 = trace.fields["out_events"][trace.fields["out_events"][:, 1] == 4]
    assert np.array_equal(core4[:, 2:], np.column_stack([out["feature"], out["x"], out["y"]]))
    assert trace.fields["out_count"].sum(axis=0)[1] > 0 and len(out) > 0


def test_reset_to_zero_instead_of_subtract_is_found_at_its_first_spike():
    events = input_events()
    right = dynapcnn_trace(two_core_chip(), events, membrane_cores=(1,))
    wrong = dynapcnn_trace(two_core_chip(return_to_zero=True), events, membrane_cores=(1,), model="mine")
    wrong.config_digest = right.config_digest  # a user's implementation of the same config
    result = diff(right, wrong)
    first_spike = int(np.flatnonzero(right.fields["out_count"][:, 1])[0])
    assert result.first.index[0] == first_spike
    assert result.first.field == "membrane_core1"


def test_dynapcnn_event_table_difference_is_dated_by_its_input_event(tmp_path):
    trace = dynapcnn_trace(two_core_chip(), input_events())
    other = Trace.load(trace.save(tmp_path / "t.npz"))
    row = len(other.fields["out_events"]) // 2
    other.fields["out_events"][row, 3] += 1  # x of one output event
    result = diff(trace, other)
    assert result.first.field == "out_events"
    assert result.first.index == (int(trace.fields["out_events"][row, 0]), row)
    shorter = Trace.load(tmp_path / "t.npz")
    shorter.fields["out_events"] = shorter.fields["out_events"][:-1]
    result = diff(trace, shorter)
    assert result.first.b == "no event" and result.counts["out_events"] == 1


def test_xylo_trace_of_a_wrong_threshold_names_neuron_and_step():
    rng = np.random.default_rng(0)
    spec = dict(weights_in=rng.integers(-40, 90, (4, 6)), weights_out=rng.integers(-50, 50, (6, 2)),
                weights_rec=rng.integers(-30, 30, (6, 6)), threshold=120, threshold_out=60, dash_mem=2, dash_syn=3)
    config = XyloConfig.from_spec(**spec)
    raster = rng.integers(0, 4, (40, 4))
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    right = xylo_trace(config, raster, out, rec)
    threshold = np.full(6, 120)
    threshold[5] = 121
    wrong_config = XyloConfig.from_spec(**(spec | {"threshold": threshold}))
    out, _, rec = XyloSim(wrong_config).evolve(raster, record=True)
    wrong = xylo_trace(config, raster, out, rec, model="mine")
    result = diff(right, wrong)
    assert result.first is not None and result.first.index[1] == 5
    assert result.first.field in ("Vmem", "Spikes")
    vmem_differs = np.flatnonzero(right.fields["Vmem"][:, 5] != wrong.fields["Vmem"][:, 5])
    assert result.first.index[0] == vmem_differs[0]


def test_dynapcnn_trace_wrong_core():
    with pytest.raises(ValueError, match=r"membrane_cores: core 2 is not a used core \(1, 4\)"):
        dynapcnn_trace(two_core_chip(), input_events(3), membrane_cores=(2,))


def test_cli_record_and_diff_dynapcnn(tmp_path, capsys):
    from spikegate.sim.cli import main

    chip = two_core_chip()
    chip.save(tmp_path / "chip.json")
    np.save(tmp_path / "events.npy", input_events(50))
    assert main(["trace", "record", "dynapcnn", str(tmp_path / "chip.json"), str(tmp_path / "events.npy"),
                 "--out", str(tmp_path / "a.npz"), "--membranes", "4"]) == 0
    assert main(["trace", "diff", str(tmp_path / "a.npz"), str(tmp_path / "a.npz")]) == 0
    assert "traces agree on 4 fields" in capsys.readouterr().out


def test_porting_walkthrough_finds_both_bugs_at_their_first_wrong_value(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "examples" / "porting_walkthrough.py"
    spec = importlib.util.spec_from_file_location("porting_walkthrough", path)
    walkthrough = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(walkthrough)
    reports = walkthrough.main(tmp_path)
    assert reports["reset-to-zero"].startswith(
        "first difference at event 3, feature 0, x 5, y 1, field membrane_core1: numpy=12, reset-to-zero=0")
    assert reports["transposed-kernel"].startswith(
        "first difference at event 0, feature 0, x 1, y 0, field membrane_core1: numpy=-8, transposed-kernel=14")


def test_timestepped_trace_counts_and_membranes():
    from spikegate.sim.trace import dynapcnn_timestepped_trace

    chip = two_core_chip()
    rng = np.random.default_rng(4)
    raster = rng.integers(0, 2, (6, 2, 8, 8))
    trace = dynapcnn_timestepped_trace(chip, raster, membrane_cores=(4,))
    assert trace.fields["in_count"][:, 1].tolist() == raster.sum(axis=(1, 2, 3)).tolist()
    spikes1 = trace.fields["spikes_core1"]
    assert trace.fields["in_count"][:, 4].tolist() == spikes1[:, :, :6, :6].sum(axis=(1, 2, 3)).tolist()
    assert trace.fields["out_count"][:, 4].tolist() == trace.fields["spikes_core4"].sum(axis=(1, 2, 3)).tolist()
    assert trace.fields["out_count"][:, 1].sum() > 0
    from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

    final = DynapcnnTimeStepped(chip)(raster[None]).membranes[4][0].numpy()
    assert np.array_equal(trace.fields["membrane_core4"][-1], final)
    wrong = dynapcnn_timestepped_trace(two_core_chip(return_to_zero=True), raster, model="mine")
    wrong.config_digest = trace.config_digest
    first = diff(trace, wrong).first
    assert first is not None and first.index[0] >= int(np.flatnonzero(trace.fields["out_count"][:, 1])[0])


def test_rtl_traces_equal_the_models():
    from spikegate.hdl.dynapcnn import simulate as simulate_dynapcnn
    from spikegate.hdl.xylo import simulate as simulate_xylo
    from spikegate.sim.trace import dynapcnn_output_trace

    rng = np.random.default_rng(7)
    config = XyloConfig.from_spec(weights_in=rng.integers(-40, 90, (3, 5)), weights_out=rng.integers(-50, 50, (5, 2)),
                                  weights_rec=rng.integers(-30, 30, (5, 5)), threshold=90, threshold_out=40,
                                  dash_mem=2, dash_syn=3)
    raster = rng.integers(0, 4, (5, 3))
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    rtl_out, _, rtl_rec, _ = simulate_xylo(config, raster)
    assert diff(xylo_trace(config, raster, out, rec), xylo_trace(config, raster, rtl_out, rtl_rec, model="rtl")).equal

    chip = two_core_chip()
    chip = chip.replace(cores=tuple(None if c is None else c.replace(monitor_enable=True) for c in chip.cores))
    events = input_events(40)
    numpy_trace = dynapcnn_trace(chip, events)
    rtl_trace = dynapcnn_output_trace(chip, events, simulate_dynapcnn(chip, events).events, model="rtl")
    assert len(rtl_trace.fields["out_events"]) > 0
    assert diff(numpy_trace, rtl_trace).equal
    rtl_trace.fields["out_events"][3, 4] += 1
    assert diff(numpy_trace, rtl_trace).first.index[1] == 3


def test_output_trace_wrong_timestamps():
    from spikegate.sim.trace import dynapcnn_output_trace

    events = input_events(4)
    events["t"] = 0
    with pytest.raises(ValueError, match="timestamps must be distinct"):
        dynapcnn_output_trace(two_core_chip(), events, DynapcnnSim(two_core_chip())(events), model="x")


def test_board_trace_equals_the_models():
    """The FPGA host driver returns the state too, so a board run gives a full trace: here the driver
    against the simulated top level, UART included."""
    from spikegate.fpga.host import Link, XyloBoard
    from spikegate.fpga.serial_top import SerialTop
    from spikegate.fpga.transport import SimulatedSerial
    from spikegate.fpga.xylo_adapter import XyloAdapter
    from spikegate.hdl.xylo import XyloCoreParams

    rng = np.random.default_rng(11)
    config = XyloConfig.from_spec(weights_in=rng.integers(-40, 90, (2, 4)), weights_out=rng.integers(-50, 50, (4, 1)),
                                  threshold=70, threshold_out=30, dash_mem=2, dash_syn=2)
    raster = rng.integers(0, 4, (3, 2))
    params = XyloCoreParams.for_config(config)
    board = XyloBoard(Link(SimulatedSerial(SerialTop({"xylo": XyloAdapter(params)}, 4), 4)), params, config)
    out, _, rec = board.evolve(raster, record=True)
    board_trace = xylo_trace(config, raster, out, rec, model="board")
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    assert diff(xylo_trace(config, raster, out, rec), board_trace).equal
