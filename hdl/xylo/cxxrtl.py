"""XyloCore compiled with CXXRTL and g++: the same results and cycle counts as
:func:`spikegate.hdl.xylo.simulate`, several hundred times faster, for long or full-size runs.

It runs the core the one way a core's hardware is run: the host driver
(:class:`spikegate.fpga.host.XyloBoard`) speaks the protocol to the core behind the protocol engine
(:class:`spikegate.fpga.serial_top.SerialTop`), here over :class:`spikegate.fpga.transport.CompiledSerial`'s
byte streams (no UART bit times: the busy cycles each DONE reports are the core's own), compiled once per
core size by :func:`spikegate.hdl.cxxrtl.build` and kept in its cache.

Layering: this backend imports :mod:`spikegate.fpga` when it runs (its board driver and top level), the
one place where ``hdl`` uses ``fpga``; it needs the ``fpga`` extra.
"""

from __future__ import annotations

import numpy as np

from spikegate.sim.xylo import XyloConfig

from .memory_map import XyloCoreParams


def run(config: XyloConfig, raster: np.ndarray, record: bool, params: XyloCoreParams):
    """Run a validated ``raster`` through the compiled core; returns what :func:`simulate` returns."""
    from spikegate.fpga.host import Link, XyloBoard
    from spikegate.fpga.serial_top import SerialTop
    from spikegate.fpga.transport import CompiledSerial
    from spikegate.fpga.xylo_adapter import XyloAdapter

    params.check_config(config)  # the board would pad a smaller config; simulate() refuses it
    serial = CompiledSerial(SerialTop({"xylo": XyloAdapter(params)}, None), None)
    try:
        board = XyloBoard(Link(serial), params, config)
        out, state, rec = board.evolve(raster, record)
    finally:
        serial.close()
    return out, state, rec, board.cycles
