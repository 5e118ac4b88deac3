"""spikegate.fpga: top-level designs, bitstream builds and host drivers for open FPGA boards."""
