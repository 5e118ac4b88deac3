"""Gate-level check of the Xylo core's iCE40 mapping.

The core (with its adapter to the protocol engine's ports) is synthesized by Yosys with
``synth_ice40 -spram`` into iCE40 cells (SB_LUT4, SB_CARRY, flip-flops, SB_RAM40_4K block RAM and
SB_SPRAM256KA), written as Verilog and simulated by Icarus Verilog with Yosys' own cell models. The
host driver configures it through the configuration port with a random config, runs a few steps
and reads every state register back; everything must equal XyloSim. A netlist with one corrupted
memory connection must fail the same comparison.
"""

import re

import numpy as np
import pytest

from spikegate.fpga.gatelevel import GateLevelLink, synthesize_netlist
from spikegate.fpga.host import XyloBoard
from spikegate.fpga.xylo_adapter import XyloAdapter
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloSim

from xylo_reference import random_config, random_raster

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(900)

#: Cores checked, with the SPRAMs their netlist must hold: 16/300/8, whose input weights (16 x 512 words)
#: and fan-out list (9000 words) are SPRAMs and the rest block RAM, and the full 16/1000/8 array with all
#: four of the UP5K's SPRAMs (about 40 s and 2 minutes of CPU on an idle machine).
SIZES = [
    pytest.param((XyloCoreParams(n_inputs=16, n_hidden=300, n_outputs=8, max_fanout=32, max_synapses=9000), 2),
                 id="16-300-8"),
    pytest.param((XyloCoreParams(), 4), id="16-1000-8"),
]
STEPS = 3


@pytest.fixture(scope="module", params=SIZES)
def netlist(request, tmp_path_factory):
    params, sprams = request.param
    path = tmp_path_factory.mktemp("xylo_netlist")
    verilog, stat = synthesize_netlist(XyloAdapter(params), path)
    return params, sprams, verilog, stat


def run(params, verilog, build_dir, seed: int, steps: int = STEPS):
    """Load a random config into the netlist through the configuration port, run ``steps`` steps
    with every state register read back after each, and compare with XyloSim."""
    rng = np.random.default_rng(seed)
    config = random_config(rng, params.n_inputs, params.n_hidden, params.n_outputs, params.version,
                           regime="medium", max_fanout=params.max_synapses // params.n_hidden)
    raster = random_raster(rng, steps, params.n_inputs, 1.0)
    link = GateLevelLink(verilog, build_dir)
    try:
        board = XyloBoard(link, params, config)
        out, state, rec = board.evolve(raster, record=True)
    finally:
        link.close()
    want_out, want_state, want_rec = XyloSim(config).evolve(raster, record=True)
    assert_same({"out": want_out, **want_rec}, {"out": out, **rec}, names=("XyloSim", "netlist"))
    return rec


def test_netlist_uses_spram_and_block_ram(netlist):
    _, sprams, _, stat = netlist
    cells = {name: int(count) for count, name in re.findall(r"(\d+)\s+(SB_\w+)", stat)}
    assert cells["SB_SPRAM256KA"] == sprams
    assert cells["SB_RAM40_4K"] >= 10


def test_netlist_equals_xylosim(netlist, tmp_path):
    params, _, verilog, _ = netlist
    rec = run(params, verilog, tmp_path, seed=5)
    assert rec["Spikes"].any(), "the random network should spike, or the check is weak"


def test_corrupted_netlist_fails(netlist, tmp_path):
    """Every data input of the first block RAM of the membrane memory tied to 1 (which pins carry data
    depends on how Yosys shapes the block: 256x16 at 16/300/8, narrower and deeper at full size): the
    comparison must fail."""
    params, _, verilog, _ = netlist
    text = verilog.read_text()
    instance = re.search(r"SB_RAM40_4K #\([^;]*?\)\s*\\core\.memories\.vmem\S*\s*\((.*?)\);", text, re.S)
    assert instance, "no SB_RAM40_4K instance of the membrane memory in the netlist"
    body = instance.group(1)
    wdata = re.search(r"\.WDATA\(\{(.*?)\}\)", body, re.S)
    bits = wdata.group(1).split(",")  # escaped names keep the space that ends them
    corrupted_body = body.replace(wdata.group(0), ".WDATA({" + ",".join([" 1'h1 "] * len(bits)) + "})")
    corrupted = tmp_path / "corrupted_syn.v"
    corrupted.write_text(text.replace(body, corrupted_body))
    with pytest.raises(AssertionError, match="first difference"):
        run(params, corrupted, tmp_path, seed=5, steps=1)
