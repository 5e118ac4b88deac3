"""nextpnr report parsing, on JSON reports (``--report``) written by real iCE40 and ECP5 runs of the YoWASP
tools, and the build time limit."""

import json
from pathlib import Path

import pytest

from spikegate.fpga.toolchain import BuildError, Report, parse_nextpnr_report, synthesize
from spikegate.fpga.uart_rx import UARTReceiver

DATA = Path(__file__).parent / "data"


def report(family: str) -> dict:
    return json.loads((DATA / f"nextpnr_{family}.json").read_text())


def test_parse_ice40_report():
    parsed = parse_nextpnr_report(report("ice40"))
    assert parsed["cells"]["ICESTORM_LC"] == [66, 5280]
    assert parsed["cells"]["ICESTORM_RAM"] == [0, 30]
    assert parsed["cells"]["ICESTORM_SPRAM"] == [0, 4]
    assert parsed["fmax_mhz"] == {"cd_sync.clk": 76.41}  # rounded as nextpnr's log prints it
    assert parsed["target_mhz"] == {"cd_sync.clk": 12.0}
    assert parsed["timing_pass"]


def test_parse_ecp5_report():
    parsed = parse_nextpnr_report(report("ecp5"))
    assert parsed["cells"]["TRELLIS_COMB"] == [29, 83640]
    assert parsed["cells"]["DP16KD"] == [0, 208]
    assert parsed["fmax_mhz"] == {"$glbnet$cd_sync.clk": 291.29}
    assert parsed["target_mhz"] == {"$glbnet$cd_sync.clk": 25.0}


def test_report_fields_and_text():
    ice = Report.from_json(report("ice40"), "ice40", "iCE40UP5K")
    assert (ice.logic, ice.block_ram, ice.spram, ice.min_fmax_mhz) == ([66, 5280], [0, 30], [0, 4], 76.41)
    assert "LCs         66/5280" in ice.text() and "SPRAM       0/4" in ice.text()
    ecp = Report.from_json(report("ecp5"), "ecp5", "LFE5U-85F")
    assert (ecp.logic, ecp.block_ram, ecp.spram) == ([29, 83640], [0, 208], None)
    assert "LUT4s       29/83640" in ecp.text() and "SPRAM" not in ecp.text()
    assert ecp.to_dict()["fmax_mhz"] == {"$glbnet$cd_sync.clk": 291.29}


def test_parse_failed_timing():
    failed = report("ice40")
    failed["fmax"]["cd_sync.clk"]["constraint"] = 80.0
    parsed = parse_nextpnr_report(failed)
    assert not parsed["timing_pass"] and parsed["target_mhz"] == {"cd_sync.clk": 80.0}


def test_parse_wrong():
    with pytest.raises(ValueError, match="nextpnr report: no 'utilization' table found"):
        parse_nextpnr_report({"fmax": {}})
    with pytest.raises(ValueError, match="nextpnr report: no 'utilization' table found"):
        parse_nextpnr_report([])


def test_build_time_limit_wrong(tmp_path):
    """A build past its time limit is killed with a one-line error naming the tool and the limit."""
    with pytest.raises(BuildError, match=r"^Yosys ran past the build time limit of 0\.01 s; see the logs in "):
        synthesize(UARTReceiver(4), "ice40-up5k", tmp_path, timeout_s=0.01)
