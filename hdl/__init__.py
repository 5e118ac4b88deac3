"""spikegate.hdl: the chips' cores in Amaranth HDL, cycle-accurate and synthesizable."""

from spikegate.sim.extras import require

require("spikegate.hdl", "amaranth")
