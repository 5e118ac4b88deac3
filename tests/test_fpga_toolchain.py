"""nextpnr report parsing, on logs captured from real iCE40 and ECP5 runs of the YoWASP tools."""

from pathlib import Path

import pytest

from spikegate.fpga.toolchain import Report, parse_nextpnr_log

DATA = Path(__file__).parent / "data"


def test_parse_ice40_log():
    parsed = parse_nextpnr_log((DATA / "nextpnr_ice40.log").read_text())
    assert parsed["cells"]["ICESTORM_LC"] == [129, 5280]
    assert parsed["cells"]["ICESTORM_RAM"] == [1, 30]
    assert parsed["cells"]["ICESTORM_SPRAM"] == [0, 4]
    # post-route figure (the log's last one), not the post-placement estimate before it
    assert parsed["fmax_mhz"] == {"cd_sync.clk": 73.53}
    assert parsed["target_mhz"] == {"cd_sync.clk": 12.0}
    assert parsed["timing_pass"]


def test_parse_ecp5_log():
    parsed = parse_nextpnr_log((DATA / "nextpnr_ecp5.log").read_text())
    assert parsed["cells"]["TRELLIS_COMB"] == [27, 83640]
    assert parsed["cells"]["DP16KD"] == [1, 208]
    assert parsed["fmax_mhz"] == {"$glbnet$cd_sync.clk": 119.88}
    assert parsed["target_mhz"] == {"$glbnet$cd_sync.clk": 25.0}


def test_report_fields_and_text():
    ice = Report.from_log((DATA / "nextpnr_ice40.log").read_text(), "ice40", "iCE40UP5K")
    assert (ice.logic, ice.block_ram, ice.spram, ice.min_fmax_mhz) == ([129, 5280], [1, 30], [0, 4], 73.53)
    assert "LCs         129/5280" in ice.text() and "SPRAM       0/4" in ice.text()
    ecp = Report.from_log((DATA / "nextpnr_ecp5.log").read_text(), "ecp5", "LFE5U-85F")
    assert (ecp.logic, ecp.block_ram, ecp.spram) == ([27, 83640], [1, 208], None)
    assert "LUT4s       27/83640" in ecp.text() and "SPRAM" not in ecp.text()
    assert ecp.to_dict()["fmax_mhz"] == {"$glbnet$cd_sync.clk": 119.88}


def test_parse_failed_timing():
    text = (DATA / "nextpnr_ice40.log").read_text().replace("(PASS at 12.00 MHz)", "(FAIL at 80.00 MHz)")
    parsed = parse_nextpnr_log(text)
    assert not parsed["timing_pass"] and parsed["target_mhz"] == {"cd_sync.clk": 80.0}


def test_parse_wrong():
    with pytest.raises(ValueError, match="no 'Device utilisation' table"):
        parse_nextpnr_log("Info: Program finished normally.\n")
    with pytest.raises(ValueError, match="table has no rows"):
        parse_nextpnr_log("Info: Device utilisation:\nInfo: nothing here\n\n")
