"""spikegate.hdl: the chips' cores in Amaranth HDL, cycle-accurate and synthesizable."""
