"""A toy third chip with hardware facets, registered as a plug-in: ``spikegate vectors`` runs it through its
HDL facet, ``trace record`` and ``eval`` take the options and the bundled network its descriptor declares,
and its FPGA facet puts its core behind the UART protocol (its own core kind id) and rebuilds its host
driver from a build report, all without an edit of spikegate; the FPGA layer refuses a chip without an
FPGA facet and two chips with one core kind id. See tests/test_chip_registry.py for the same toy chip
through ``trace`` and ``eval`` without options."""

import json

import numpy as np
import pytest

from plugin_chip import CounterChip, CounterConfig, CounterSim
from spikegate.fpga.build import build_bitstream, design_clock_hz, design_cores
from spikegate.fpga.facet import Design
from spikegate.fpga.host import DynapcnnBoard, Link, SelectedCore, XyloBoard
from spikegate.fpga.protocol import core_kinds, ident_word, parse_ident
from spikegate.fpga.serial_top import SerialTop
from spikegate.fpga.transport import SimulatedSerial
from spikegate.hdl.dynapcnn import CoreLimits
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.sim.chip import chip_cli_options, get_chip, register, unregister
from spikegate.sim.cli import main
from spikegate.sim.trace import Trace


class HardwareCounterChip(CounterChip):
    facets = {"hdl": "plugin_chip.hdl:HDL"}


class FPGACounterChip(CounterChip):
    facets = {"hdl": "plugin_chip.hdl:HDL", "fpga": "plugin_chip.fpga:FPGA"}


def registered(chip):
    register(chip)
    yield chip
    unregister(chip.name)


@pytest.fixture
def counter_chip():
    yield from registered(HardwareCounterChip())


@pytest.fixture
def fpga_counter_chip():
    yield from registered(FPGACounterChip())


def test_a_plugin_chip_runs_through_vectors(counter_chip, tmp_path, capsys):
    CounterConfig(n_inputs=2, threshold=2).save(tmp_path / "counter.json")
    np.save(tmp_path / "raster.npy", np.array([[1, 0], [1, 1], [3, 1]]))
    assert main(["vectors", "export", str(tmp_path / "counter.json"), str(tmp_path / "raster.npy"),
                 "--out", str(tmp_path / "v")]) == 0
    assert (tmp_path / "v" / "spikes.mem").read_text().split() == ["0", "0", "1", "0", "1", "1"]
    assert json.loads((tmp_path / "v" / "manifest.json").read_text())["chip"] == "counter"
    capsys.readouterr()
    assert main(["vectors", "example", "--list"]) == 0
    assert "counter one-channel: Channel 0 of a 2-channel counter" in capsys.readouterr().out
    assert main(["vectors", "example", "counter", "one-channel", "--out", str(tmp_path / "e")]) == 0
    out = capsys.readouterr().out
    assert "expected: spikes at steps 1 and 2" in out and "channel 0 spikes at steps [1, 2]" in out
    assert (tmp_path / "e" / "inputs.mem").read_text().split() == ["01", "00", "01", "00", "03", "00"]


def test_a_plugin_chip_runs_through_vectors_wrong(counter_chip, tmp_path, capsys):
    CounterConfig(n_inputs=2, threshold=2).save(tmp_path / "counter.json")
    np.save(tmp_path / "raster.npy", np.ones((3, 2), int))
    assert main(["vectors", "export", str(tmp_path / "counter.json"), str(tmp_path / "raster.npy"),
                 "--membranes", "1", "--out", str(tmp_path / "v")]) == 2
    assert ("option membranes: value [1] does not apply to counter (export_vectors of counter takes: no options)"
            in capsys.readouterr().err)
    assert main(["vectors", "example", "counter", "two-channels"]) == 2
    assert "name: no counter example 'two-channels'; there are ['one-channel']" in capsys.readouterr().err


def test_fpga_facets_rebuild_the_drivers_from_a_report():
    xylo, dynapcnn = get_chip("xylo").facet("fpga"), get_chip("dynapcnn").facet("fpga")
    params = XyloCoreParams(n_inputs=4, n_hidden=32, n_outputs=2, max_fanout=8, max_synapses=64)
    limits = dynapcnn.hardware("ulx3s", cores=1, kernel=256, neuron=256, bias=8)
    assert limits == (CoreLimits(kernel=256, neuron=256, bias=8),) + (None,) * 8
    report = {"cores": ["xylo", "dynapcnn"], "params": xylo.report_entry(params),
              "limits": dynapcnn.report_entry(limits)}
    report = json.loads(json.dumps(report))  # as read back from report.json
    assert report["limits"][0] == {"kernel": 256, "neuron": 256, "bias": 8} and report["params"]["n_hidden"] == 32
    design = Design.from_report(report)
    assert design.cores == ("xylo", "dynapcnn") and design.hardware == {"xylo": params, "dynapcnn": limits}
    board = design.open_board("a link", "xylo")
    assert type(board) is XyloBoard and board.params == params
    assert type(board.link) is SelectedCore and (board.link.index, board.link.kind) == (0, "xylo")
    board = design.open_board("a link", "dynapcnn")
    assert type(board) is DynapcnnBoard and board.limits == limits and board.link.index == 1
    board = Design.from_report({"cores": ["xylo"], "params": xylo.report_entry(params)}).open_board("a link", "xylo")
    assert board.link == "a link"  # a single-core design: no SELECT
    assert {k: v for k, v in design.to_report().items() if k != "board"} == {"core": "xylo+dynapcnn", **report}


def test_designs_and_clocks():
    assert design_cores("xylo+dynapcnn") == ["xylo", "dynapcnn"] and design_cores(["dynapcnn"]) == ["dynapcnn"]
    assert design_clock_hz("icebreaker", ["xylo"]) == 30e6 and design_clock_hz("icebreaker", ["dynapcnn"]) == 18e6
    assert design_clock_hz("ulx3s", ["xylo", "dynapcnn"]) == 40e6 and design_clock_hz("ulx3s", ["xylo"]) == 50e6
    assert design_clock_hz("icebreaker", ["xylo", "dynapcnn"]) is None


def test_designs_wrong(counter_chip, tmp_path, capsys):
    with pytest.raises(ValueError, match=r"core: 'xylo\+xylo' names a core twice"):
        design_cores("xylo+xylo")
    with pytest.raises(ValueError, match=r"core: 'counter' is not one of \('dynapcnn', 'xylo'\) \(or several joined"):
        design_cores("xylo+counter")  # a chip without an FPGA facet
    with pytest.raises(ValueError, match="options: for dynapcnn, which 'xylo' does not hold"):
        build_bitstream("icebreaker", "xylo", tmp_path, options={"dynapcnn": {"cores": 1}})
    with pytest.raises(TypeError, match="config: a CounterConfig is not a xylo configuration"):
        build_bitstream("icebreaker", "xylo", tmp_path, config=CounterConfig(n_inputs=2, threshold=2))
    with pytest.raises(ValueError, match="report: the design holds dynapcnn, no xylo core"):
        Design.from_report({"cores": ["dynapcnn"], "limits": []}).open_board(None, "xylo")
    assert main(["fpga", "build", "--board", "icebreaker", "--core", "counter", "--out", str(tmp_path)]) == 2
    assert "spikegate fpga build: core: 'counter' is not one of ('dynapcnn', 'xylo')" in capsys.readouterr().err
    assert main(["fpga", "build", "--board", "ulx3s", "--core", "dynapcnn", "--size", "4/8/2",
                 "--out", str(tmp_path)]) == 2
    assert "--size applies to --core xylo or dynapcnn+xylo only" in capsys.readouterr().err
    assert main(["fpga", "build", "--board", "ulx3s", "--core", "xylo+dynapcnn", "--config", "c.json",
                 "--out", str(tmp_path)]) == 2
    assert ("--config sizes a single core; give xylo+dynapcnn --size/--fanout/--synapses and "
            "--cores/--kernel/--neuron/--bias") in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # a refused build writes nothing


def test_fpga_doc_board_table_matches_the_facets():
    """docs/fpga.md's first table: each board's default Xylo and DYNAP-CNN builds and clocks, and whether both fit."""
    from pathlib import Path

    from spikegate.fpga.board import BOARDS
    from spikegate.fpga.dynapcnn_facet import DYNAPCNN_DEFAULTS

    text = (Path(__file__).parent.parent / "docs" / "fpga.md").read_text()
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith(("| iCEBreaker |", "| ULX3S 85F |"))]
    assert len(rows) == len(BOARDS)
    for board, (_, _, xylo, dynapcnn, both) in zip(("icebreaker", "ulx3s"), rows):
        d = DYNAPCNN_DEFAULTS[board]
        assert xylo.strip().endswith(f"at {design_clock_hz(board, ['xylo']) / 1e6:g} MHz")
        assert f"(kernel {d['kernel']}, neuron {d['neuron']}, bias {d['bias']}" in dynapcnn
        assert dynapcnn.strip().endswith(f"at {design_clock_hz(board, ['dynapcnn']) / 1e6:g} MHz")
        clock = design_clock_hz(board, ["xylo", "dynapcnn"])
        assert both.strip() == "does not fit" if clock is None else both.strip().endswith(f"at {clock / 1e6:g} MHz")


def test_a_plugin_chip_declares_its_cli_options_and_bundled_network(counter_chip, tmp_path, capsys):
    CounterConfig(n_inputs=2, threshold=2).save(tmp_path / "counter.json")
    np.save(tmp_path / "raster.npy", np.array([[1, 0], [2, 1], [3, 1]]))
    for reset, membrane in (("subtract", [1, 1, 2]), ("zero", [1, 0, 0])):
        assert main(["trace", "record", "counter", str(tmp_path / "counter.json"), str(tmp_path / "raster.npy"),
                     "--reset", reset, "--out", str(tmp_path / f"{reset}.npz")]) == 0
        assert Trace.load(tmp_path / f"{reset}.npz").fields["membrane"][:, 0].tolist() == membrane
    capsys.readouterr()
    assert main(["eval", "bundled:counter", "synthetic:xylo:8", "--reset", "zero", "--workers", "0", "--no-progress",
                 "--out", str(tmp_path / "eval")]) == 0
    manifest = json.loads((tmp_path / "eval" / "manifest.json").read_text())
    assert manifest["run"]["evaluator"]["chip"] == "counter" and manifest["run"]["evaluator"]["reset"] == "zero"
    assert json.loads((tmp_path / "eval" / "summary.json").read_text())["evaluated"] == 8


def test_a_plugin_chip_declares_its_cli_options_and_bundled_network_wrong(counter_chip, tmp_path, capsys):
    np.save(tmp_path / "raster.npy", np.ones((3, 16), int))
    assert main(["trace", "record", "xylo", "x.json", str(tmp_path / "raster.npy"), "--reset", "zero",
                 "--out", str(tmp_path / "t.npz")]) == 2
    err = capsys.readouterr().err
    assert "option reset: value 'zero' does not apply to xylo (trace of xylo takes: no options)" in err
    assert main(["eval", "bundled:xylo", "synthetic:xylo:4", "--reset", "zero", "--workers", "0",
                 "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert "option reset: value 'zero' does not apply to xylo (evaluator of xylo takes: rule)" in err
    assert main(["eval", "bundled:loihi", "synthetic:xylo", "--workers", "0", "--out", str(tmp_path / "e")]) == 2
    assert "bundled networks are ['bundled:counter', 'bundled:dynapcnn', 'bundled:xylo']" in capsys.readouterr().err
    assert main(["eval", "bundled:counter", "synthetic:xylo:4", "--reset", "half", "--workers", "0"]) == 2
    assert "argument --reset: invalid choice: 'half'" in capsys.readouterr().err
    clashing = type("RuleChip", (CounterChip,), {"name": "rules", "cli_options": {"eval": {"rule": {"type": int}}}})
    register(clashing())
    try:
        with pytest.raises(ValueError, match="^eval --rule: declared differently by chips xylo and rules$"):
            chip_cli_options("eval")
    finally:
        unregister("rules")
    with pytest.raises(ValueError, match=r"command: 'run' is not one of \('trace', 'eval', 'vectors'\)"):
        chip_cli_options("run")


def test_a_plugin_chip_runs_on_the_fpga_host_path(fpga_counter_chip):
    """The counter core behind the UART in simulation (protocol engine, SerialTop, Link: spikegate's own),
    its driver rebuilt from a build report through its facet, equal to the model value by value."""
    assert core_kinds() == {"xylo": 1, "dynapcnn": 2, "counter": 3}
    assert parse_ident(ident_word("counter", 1, 0))["kind"] == "counter"
    assert design_cores("counter") == ["counter"] and design_clock_hz("icebreaker", ["counter"]) == 12e6
    facet = fpga_counter_chip.facet("fpga")
    report = json.loads(json.dumps(Design("icebreaker", ("counter",), {"counter": 3}).to_report()))
    assert report == {"board": "icebreaker", "core": "counter", "cores": ["counter"], "counter": {"channels": 3}}
    design = Design.from_report(report)
    assert design.hardware == {"counter": 3}
    config = CounterConfig(n_inputs=3, threshold=3)
    serial = SimulatedSerial(SerialTop({"counter": facet.adapter(3)}, 4), 4)
    board = design.open_board(Link(serial), "counter", config)
    assert board.link.status().kind == "counter"
    raster = np.array([[1, 0, 3], [2, 1, 0], [0, 4, 5], [3, 3, 3]])
    got, want = board.run(raster), CounterSim(config).run(raster)
    assert got[1].tolist() == want[1].tolist() and got[0].tolist() == want[0].tolist()


def test_a_plugin_chip_runs_on_the_fpga_host_path_wrong(fpga_counter_chip, tmp_path, capsys):
    with pytest.raises(ValueError, match="^report: no 'counter' entry for its counter core$"):
        Design.from_report({"cores": ["counter"]})
    with pytest.raises(ValueError, match=r"^report 'counter': not the hardware of a counter core \("):
        Design.from_report({"cores": ["counter"], "counter": {}})
    with pytest.raises(ValueError, match=r"^report: core 'loihi' is not one of \('dynapcnn', 'xylo', 'counter'\)$"):
        Design.from_report({"cores": ["loihi"]})
    with pytest.raises(ValueError, match="^report: no 'cores' list; not a report of spikegate fpga build$"):
        Design.from_report({"core": "counter"})
    (tmp_path / "report.json").write_text("{")
    with pytest.raises(ValueError, match=r"report.json: not valid JSON \("):
        Design.load(tmp_path / "report.json")
    assert main(["fpga", "build", "--board", "ulx3s", "--core", "counter", "--out", str(tmp_path / "b")]) == 2
    assert "core: 'counter' does not fit the ulx3s" in capsys.readouterr().err
    assert main(["fpga", "build", "--board", "icebreaker", "--core", "xylo", "--channels", "3",
                 "--out", str(tmp_path / "b")]) == 2
    assert "--channels applies to --core counter or xylo+counter only" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("facet, message", [
    ("CLASHING", "core_kind 1: declared by both xylo and counter; each chip's FPGA facet needs its own id"),
    ("OVERSIZED", r"core_kind of counter: value 256 is outside 1..255"),
])
def test_core_kind_ids_wrong(facet, message):
    chip = register(type("Clash", (CounterChip,), {"facets": {"fpga": f"plugin_chip.fpga:{facet}"}})())
    try:
        with pytest.raises(ValueError, match=f"^{message}$"):
            core_kinds()
        with pytest.raises(ValueError, match=f"^{message}$"):
            ident_word("xylo")
    finally:
        unregister(chip.name)
    assert core_kinds() == {"xylo": 1, "dynapcnn": 2}
