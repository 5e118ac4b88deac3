"""README's main job: ``spikegate demo`` converts a network for each chip and simulates it."""

import json

from spikegate.sim.cli import main


def test_demo_writes_configs_plots_and_summary(tmp_path):
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dynapcnn"]["placement"] == {"0": 0, "1": 3, "2": 5, "3": 6, "4": 1}
    assert 0 <= summary["xylo"]["decision_agreement"] <= 1
    for name in ("xylo/config.json", "xylo/xylo.png", "dynapcnn/seed_config.json", "dynapcnn/output_counts.png"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_every_subcommand_is_available(capsys):
    from spikegate.sim.cli import build_parser

    help_text = build_parser().format_help()
    assert "unavailable" not in help_text
    for command in ("demo", "xylo", "dynapcnn", "trace", "vectors", "fpga", "eval", "sweep"):
        assert command in help_text
