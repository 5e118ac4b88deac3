"""The DYNAP-CNN core and chip in Amaranth HDL."""
