"""Test vectors: export, read-back checks, the plain Verilog testbench in Icarus, hand-computed examples."""

import shutil
import subprocess

import numpy as np
import pytest

from spikegate.sim.chip import get_chip
from spikegate.hdl.vectors import export_dynapcnn, export_xylo, load, read_hex
from spikegate.sim.dynapcnn import DynapcnnSim
from spikegate.sim.xylo import XyloConfig, XyloSim


def small_xylo(seed=0):
    rng = np.random.default_rng(seed)
    config = XyloConfig.from_spec(weights_in=rng.integers(-60, 100, (3, 5, 2)), weights_out=rng.integers(-60, 60, (5, 2)),
                                  weights_rec=rng.integers(-40, 40, (5, 5)), threshold=100, threshold_out=50,
                                  dash_mem=2, dash_syn=2, aliases=[[2], [], [], [], []])
    return config, rng.integers(0, 5, (6, 3))


def run_icarus(directory, design="xylo"):
    command = {"xylo": "tb_xylo.v xylo_core.v", "dynapcnn": "tb_dynapcnn_core.v dynapcnn_core.v"}[design]
    result = subprocess.run(f"iverilog -g2005 -o tb {command} && vvp -n tb", shell=True, cwd=directory,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_plain_verilog_testbench_passes_and_names_a_wrong_value(tmp_path):
    config, raster = small_xylo()
    export_xylo(config, raster, tmp_path)
    assert "PASS 6 steps, 150 values compared" in run_icarus(tmp_path)
    path = tmp_path / "expected_state.hex"
    lines = path.read_text().splitlines()
    word = 1 + 3 * 24 + 2 * 5 + 4  # step 3, Vmem of neuron 4
    lines[word] = f"{(int(lines[word], 16) + 1) & 0xFFFF:04x}"
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run("vvp -n tb", shell=True, cwd=tmp_path, capture_output=True, text=True).stdout
    assert "MISMATCH step 3 field Vmem neuron 4" in out and "FAIL 1 of 150" in out


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_plain_verilog_core_testbench_dynapcnn(tmp_path):
    from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, DvsLayerConfig
    from spikegate.sim.dynapcnn.model import INPUT_EVENT_DTYPE

    rng = np.random.default_rng(2)
    core = CoreConfig.from_weights(rng.integers(-30, 80, (3, 2, 3, 3)), (6, 5), threshold_high=60, threshold_low=-40,
                                   padding=(1, 1), return_to_zero=True)
    chip = ChipConfig(cores={2: core}, dvs_layer=DvsLayerConfig.direct([2], (6, 5)))
    events = np.zeros(40, INPUT_EVENT_DTYPE)
    events["x"], events["y"], events["p"] = rng.integers(0, 6, 40), rng.integers(0, 5, 40), rng.integers(0, 2, 40)
    export_dynapcnn(chip, events, tmp_path)
    out = run_icarus(tmp_path, "dynapcnn")
    n_out = load(tmp_path).manifest["files"]["expected_core_events.hex"]["words"]
    assert f"PASS 40 events, {n_out} output events, 90 membranes compared" in out and n_out > 0
    path = tmp_path / "expected_core_events.hex"
    lines = path.read_text().splitlines()
    lines[5] = f"{int(lines[5], 16) ^ 1:06x}"  # x of output event 4
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run("vvp -n tb", shell=True, cwd=tmp_path, capture_output=True, text=True).stdout
    assert "MISMATCH output event 4: expected feature" in out and "FAIL" in out


def test_xylo_vectors_hold_the_models_answers(tmp_path):
    config, raster = small_xylo(1)
    vectors = load(export_xylo(config, raster, tmp_path, with_verilog=False))
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    assert vectors.config == config
    assert np.array_equal(vectors["input.hex"].reshape(raster.shape), raster)
    assert np.array_equal(vectors["expected_out.hex"], (out.astype(int) << np.arange(2)).sum(axis=1))
    state = read_hex(tmp_path / "expected_state.hex", 16, signed=True).reshape(6, -1)
    assert np.array_equal(state[:, 10:15], rec["Vmem"])


def test_dynapcnn_vectors_hold_the_models_events(tmp_path):
    chip, events, _ = get_chip("dynapcnn").facet("hdl").examples["two-layers"]()
    vectors = load(export_dynapcnn(chip, events, tmp_path, membrane_cores=(1,)))
    out = DynapcnnSim(chip)(events)
    packed = vectors["expected_events.hex"]
    assert np.array_equal(packed >> 28, out["layer"]) and np.array_equal(packed & 0xFF, out["x"])
    sim = DynapcnnSim(chip)
    sim(events)
    assert np.array_equal(vectors["expected_membranes_core1.hex"], sim.membranes(1).ravel().astype(np.uint16))
    assert (tmp_path / "mem/core0_kernel.hex").exists()


def test_load_wrong_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no manifest.json"):
        load(tmp_path)
    config, raster = small_xylo()
    export_xylo(config, raster, tmp_path, with_verilog=False)
    (tmp_path / "input.hex").write_text("00\n01\n")
    with pytest.raises(ValueError, match="input.hex holds 2 words, the manifest says 18"):
        load(tmp_path)
    (tmp_path / "input.hex").unlink()
    with pytest.raises(FileNotFoundError, match="input.hex is missing"):
        load(tmp_path)
    export_xylo(config, raster, tmp_path, with_verilog=False)
    small_xylo(5)[0].save(tmp_path / "config.json")
    with pytest.raises(ValueError, match="is not the configuration the vectors were made for"):
        load(tmp_path)


def test_read_hex_wrong_words(tmp_path):
    (tmp_path / "a.hex").write_text("// ok\n1ff\n")
    with pytest.raises(ValueError, match=r"a.hex:2: '1ff' is wider than 8 bits"):
        read_hex(tmp_path / "a.hex", 8)
    (tmp_path / "b.hex").write_text("zz\n")
    with pytest.raises(ValueError, match=r"b.hex:1: 'zz' is not a hex word"):
        read_hex(tmp_path / "b.hex", 8)


def test_hand_computed_examples():
    config, raster, _ = get_chip("xylo").facet("hdl").examples["one-neuron"]()
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    assert rec["Isyn"][:4, 0].tolist() == [50, 25, 13, 7]
    assert rec["Vmem"][:3, 0].tolist() == [5, 28, 27]
    assert rec["Spikes"][:, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert out[:, 0].tolist() == [0, 1, 0, 0, 0, 0, 0, 0] and rec["Vmem_out"][1, 0] == 5
    config, raster, _ = get_chip("xylo").facet("hdl").examples["two-layers"]()
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    assert np.flatnonzero(rec["Spikes"][:, 0]).tolist() == [0] and np.flatnonzero(rec["Spikes"][:, 1]).tolist() == [1]
    assert np.flatnonzero(out[:, 0]).tolist() == [2]
    expected = {"kernel-1x1": [(2, 0, 0, 1, 2), (5, 0, 0, 1, 2)],
                "kernel-3x3-border": [(1, 0, 0, 0, 0), (1, 0, 0, 0, 1)],
                "two-layers": [(1, 1, 0, 0, 0)]}
    for name, events_expected in expected.items():
        chip, events, _ = get_chip("dynapcnn").facet("hdl").examples[name]()
        out = DynapcnnSim(chip)(events)
        assert [tuple(int(e[k]) for k in ("t", "layer", "feature", "x", "y")) for e in out] == events_expected, name


def test_cli_export_and_example(tmp_path, capsys):
    from spikegate.sim.cli import main

    config, raster = small_xylo()
    config.save(tmp_path / "c.json")
    np.save(tmp_path / "r.npy", raster)
    assert main(["vectors", "export", str(tmp_path / "c.json"), str(tmp_path / "r.npy"), "--out",
                 str(tmp_path / "v")]) == 0
    assert load(tmp_path / "v").manifest["steps"] == 6
    assert main(["vectors", "example", "dynapcnn", "kernel-1x1", "--out", str(tmp_path / "e")]) == 0
    printed = capsys.readouterr().out
    assert "input event 2: core 0 feature 0 x 1 y 2" in printed and load(tmp_path / "e").manifest["output_events"] == 2
    assert main(["vectors", "example", "xylo", "nope"]) == 2
    (tmp_path / "bad.json").write_text("{}")
    assert main(["vectors", "export", str(tmp_path / "bad.json"), str(tmp_path / "r.npy"), "--out", str(tmp_path)]) == 2
