"""rockpool's Xylo simulators (3.1) run unchanged on spikegate.compat's xylosim and samna: Xylo v1, Audio 2,
IMU and Audio 3, from specifications, from samna configurations and through rockpool's Xylo tutorial flow.

rockpool runs in fresh interpreters (tests/rockpool_support/run_rockpool.py): once where no xylosim is
installed (a site directory linking every installed package but xylosim), so that install() provides
spikegate's xylosim and samna, and once on the real xylosim 0.1.3; every record rockpool returns must equal
the other run's and spikegate's XyloSim of the same XyloConfig, step by step (two evolve calls: the state
carries on)."""

import json
import site
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig, XyloSim

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(300)

pytest.importorskip("rockpool")
RUNNER = Path(__file__).parent / "rockpool_support" / "run_rockpool.py"


def site_without_xylosim(tmp_path: Path) -> Path:
    """A site directory with every installed package linked in, but xylosim."""
    packages = Path(next(p for p in site.getsitepackages() if Path(p, "xylosim").exists()))
    linked = tmp_path / "site"
    linked.mkdir()
    for entry in packages.iterdir():
        if not entry.name.startswith("xylosim"):
            (linked / entry.name).symlink_to(entry)
    return linked


def run_rockpool(tmp_path: Path) -> dict:
    """Both runs, in parallel: ``{"absent": (arrays, info), "real": (arrays, info)}``."""
    commands = {"absent": [sys.executable, "-S", str(RUNNER), "absent", str(tmp_path / "absent.npz"),
                           str(site_without_xylosim(tmp_path))],
                "real": [sys.executable, str(RUNNER), "real", str(tmp_path / "real.npz")]}
    runs = {mode: (tmp_path / f"{mode}.npz", subprocess.Popen(command, stdout=subprocess.PIPE,
                                                               stderr=subprocess.STDOUT, text=True))
            for mode, command in commands.items()}
    results = {}
    for mode, (path, process) in runs.items():
        try:
            output, _ = process.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert process.returncode == 0, f"rockpool ({mode} xylosim) failed:\n{output[-3000:]}"
        results[mode] = (np.load(path), json.loads(Path(f"{path}.json").read_text()))
    return results


def spikegate_records(arrays, case: str) -> dict:
    """XyloSim's records of a case's config, over the runner's two evolve calls (the raster, then its first 5 steps)."""
    config = XyloConfig.from_json(str(arrays[f"{case}/config"]))
    raster = arrays[f"{case}/raster"]
    sim = XyloSim(config)
    out, _, rec = sim.evolve(raster, record=True)
    out2, _, rec2 = sim.evolve(raster[:5], record=True)
    return {name: np.concatenate([rec[name], rec2[name]]) for name in rec} | {"out": np.concatenate([out, out2])}


def test_rockpool_runs_on_spikegate(tmp_path):
    results = run_rockpool(tmp_path)
    arrays, info = results["absent"]
    real, real_info = results["real"]
    assert info["cases"] == real_info["cases"]
    assert info["layers"] == ["spikegate.compat.xylosim.v1", "spikegate.compat.xylosim.v2"]
    assert real_info["layers"] == ["xylosim.v1", "xylosim.v2"]
    members = {case.split("-")[1] for case in info["cases"]}
    assert members == {"v1", "audio2", "imu", "audio3"}
    assert {case.split("-")[0] for case in info["cases"]} == {"spec", "config", "tutorial"}
    for case in info["cases"]:
        names = [key.split("/", 1)[1] for key in arrays.files if key.startswith(f"{case}/")]
        recorded = {name: arrays[f"{case}/{name}"] for name in names if name not in ("raster", "config")}
        assert {"Vmem", "Isyn", "Spikes", "Vmem_out", "Isyn_out", "out"} <= set(recorded), case
        assert_same({name: real[f"{case}/{name}"] for name in recorded}, recorded, names=("real xylosim", "compat"),
                    context=case)
        ours = spikegate_records(arrays, case)
        assert_same({name: ours[name] for name in recorded}, recorded, names=("XyloSim", "rockpool"), context=case)
    # rockpool's config_from_specification passes on spikegate's verdict: one readout neuron too many
    assert info["messages"] == real_info["messages"] == {
        "audio2": [False, "Nout: 9 is outside the chip's range 1..8 (Xylo Audio 2 (SYNS61201))"],
        "imu": [False, "Nout: 17 is outside the chip's range 1..16 (Xylo IMU (SYNS63300))"],
        "audio3": [False, "Nout: 33 is outside the chip's range 1..32 (Xylo Audio 3 (SYNS65302))"]}
