"""The Xylo LIF array in Amaranth HDL."""
