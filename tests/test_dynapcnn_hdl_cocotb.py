"""The exported Verilog of one DynapcnnCore under cocotb + Icarus Verilog: configuration loaded through the
configuration port, output events and read-back membranes equal to the numpy model, run from an exported
test-vector directory (so the vector format is proven by use)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from cocotb_icarus import run_icarus

from spikegate.hdl.dynapcnn import CoreLimits, DynapcnnCore
from spikegate.hdl.vectors import export_dynapcnn, load
from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, DvsLayerConfig

TESTBENCH = Path(__file__).parent / "cocotb" / "dynapcnn"

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")


def write_vectors(directory: Path, seed: int) -> tuple[CoreLimits, Path]:
    """A random core (kernel 3, stride 2, padding 1, leak off, subtract reset) and its events, exported as a
    test-vector directory (the core's port words and the model's answers)."""
    rng = np.random.default_rng(seed)
    core = CoreConfig.from_weights(rng.integers(-40, 90, (3, 2, 3, 3)), (9, 7), threshold_high=90, threshold_low=-70,
                                   stride=(2, 1), padding=(1, 1), monitor_enable=True)
    core = core.replace(neurons_initial_value=rng.integers(-80, 80, core.neurons_initial_value.shape))
    chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], core.input_map))
    events = np.zeros(60, INPUT_EVENT_DTYPE)
    events["x"], events["y"], events["p"] = rng.integers(0, 9, 60), rng.integers(0, 7, 60), rng.integers(0, 2, 60)
    events["t"] = np.arange(60)
    limits = CoreLimits.fit(core)
    export_dynapcnn(chip, events, directory, limits={0: limits})
    assert load(directory)["expected_core_events.hex"].size, "the case should make the core fire"
    return limits, directory


def test_verilog_core_under_icarus_equals_model(tmp_path, monkeypatch):
    limits, vectors = write_vectors(tmp_path / "vectors", seed=4)
    monkeypatch.setenv("DYNAPCNN_VECTORS", str(vectors))
    run_icarus(DynapcnnCore(limits), "dynapcnn_core", "tb_dynapcnn_core", TESTBENCH, tmp_path)
