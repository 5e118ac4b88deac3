"""A core's hardware compiled with CXXRTL, run cycle-exact by its host driver over :class:`CompiledSerial`'s
byte streams: the one way spikegate runs a core's compiled RTL.

The design is the one a bitstream holds: the core behind its adapter and the protocol engine
(:class:`.serial_top.SerialTop` built with ``divisor=None``: the host link's byte streams in place of the
UART), compiled with g++ by :func:`spikegate.hdl.cxxrtl.build` (the one compiled-RTL build path; the
binary is cached in ``~/.cache/spikegate/cxxrtl`` or ``$SPIKEGATE_CXXRTL_CACHE``, keyed by the generated
C++) and driven by the board drivers of :mod:`.host` over :class:`.transport.CompiledSerial` (one C++
bridge, ``data/cxxrtl_serial.cc``). Bytes move at up to one per cycle, so the busy cycles each DONE
reply reports are the core's own (no UART bit times).

- :func:`simulate_xylo`: :func:`spikegate.hdl.xylo.simulate`'s results and per-step cycle counts,
  several hundred times faster than Amaranth's Python simulator, for long or full-size runs.
- :class:`CompiledDynapcnn`: the DYNAP-CNN chip with one configuration loaded; :meth:`CompiledDynapcnn.run`
  many batches; output events and membranes equal :func:`spikegate.hdl.dynapcnn.simulate`'s
  (:class:`CompiledResult`: what the protocol can observe).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikegate.hdl.dynapcnn import fitted_limits, input_items
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.hdl.xylo.simulate import check_raster
from spikegate.sim.dynapcnn.config import ChipConfig
from spikegate.sim.xylo import XyloConfig

from .dynapcnn_adapter import DynapcnnAdapter
from .host import DynapcnnBoard, Link, XyloBoard
from .serial_top import SerialTop
from .transport import CompiledSerial
from .xylo_adapter import XyloAdapter


def simulate_xylo(config: XyloConfig, raster, record: bool = False, params: XyloCoreParams | None = None,
                  *, cache_dir=None, optimize: str = "-O1"):
    """Load ``config`` into a compiled :class:`~spikegate.hdl.xylo.XyloCore` through the protocol and run
    ``raster`` with :class:`.host.XyloBoard`.

    Args:
        config: the network.
        raster: (T, Nin) input event counts per step (0..255; above 15 acts as 15).
        record: read every state register back after every step (else only after the last).
        params: the core's size (default: the smallest that holds ``config``); a config smaller than
            ``params`` is refused (the board would pad it), as :func:`spikegate.hdl.xylo.simulate` does.
        cache_dir: where the compiled binary is kept (default: :func:`spikegate.hdl.cxxrtl.cache_directory`).
        optimize: g++'s optimisation flag.

    Returns:
        ``(out, state, rec, cycles)`` as :func:`spikegate.hdl.xylo.simulate` returns them: ``out``,
        ``state`` and ``rec`` as ``XyloSim(config).evolve(raster, record)`` (int16; ``rec`` empty unless
        ``record``), ``cycles`` (T,) int64, the clock cycles each step kept the core busy (the STEP's DONE
        reply; equal to the Python simulator's).

    The first call per core size builds the binary (about 15-20 s); later ones find it in the cache.
    """
    if not isinstance(config, XyloConfig):
        raise TypeError(f"config: expected a XyloConfig, got {type(config).__name__}")
    raster = check_raster(config, raster)
    params = params or XyloCoreParams.for_config(config)
    params.check_config(config)
    serial = CompiledSerial(SerialTop({"xylo": XyloAdapter(params)}, None), None, cache_dir=cache_dir,
                            optimize=optimize)
    try:
        board = XyloBoard(Link(serial), params, config)
        out, state, rec = board.evolve(raster, record)
    finally:
        serial.close()
    return out, state, rec, board.cycles


@dataclass(frozen=True)
class CompiledResult:
    """What :meth:`CompiledDynapcnn.run` observed over the protocol: the part of
    :class:`spikegate.hdl.dynapcnn.SimResult` a board can tell.

    Attributes:
        events: output events (``OUTPUT_EVENT_DTYPE``) in the order the chip sent them; equal to
            :func:`spikegate.hdl.dynapcnn.simulate`'s.
        membranes: per used core, int16 ``[f][x][y]`` read back with READ (empty unless
            ``read_membranes``); equal to :func:`~spikegate.hdl.dynapcnn.simulate`'s.
        items: input items sent (events plus one per leak-enabled core per leak tick).
        busy_cycles: the SYNC's DONE reply (a 32-bit counter): clock cycles in which the chip's ``busy``
            was high (an input item queued or in process, or a monitor record queued) since the previous
            DONE (the SYNC after loading, or after the reset before this run). Not
            :class:`~spikegate.hdl.dynapcnn.SimResult`'s ``cycles``: here input items arrive one per EVENT
            command (9 bytes, at least 9 cycles each) and every monitor record leaves as an OUTPUT and an
            OUTPUT_HI reply (10 bytes, 10 cycles), where :func:`~spikegate.hdl.dynapcnn.simulate` offers
            items back to back with the monitor always ready; the chip idles between slow items and holds
            records longer.

    ``synops``, ``input_stalls`` and ``monitor_stalls`` of ``SimResult`` are not observable over the
    protocol (no command reads the chip's synaptic-operation counter or its handshakes); use
    :func:`~spikegate.hdl.dynapcnn.simulate` for them.
    """

    events: np.ndarray
    membranes: dict[int, np.ndarray]
    items: int
    busy_cycles: int


class CompiledDynapcnn:
    """A :class:`~spikegate.hdl.dynapcnn.DynapcnnChip` sized for ``chip_config``
    (:func:`~spikegate.hdl.dynapcnn.fitted_limits`) behind :class:`.dynapcnn_adapter.DynapcnnAdapter` and
    the protocol engine, compiled with CXXRTL and g++, and ``chip_config`` loaded over the protocol by
    :class:`.host.DynapcnnBoard`. Build once, :meth:`run` many batches; :meth:`close` (or ``with``) ends
    the simulation process.

    ``cache_dir``: where the binary is kept (default: the cache of :mod:`spikegate.hdl.cxxrtl`).
    ``optimize``: g++'s optimisation flag ("-O1" compiles a five-core network in a few minutes; "-O0"
    compiles faster and runs slower). ``depths``: FIFO depths for the chip (``input_depth``,
    ``fifo_depth``, ``monitor_depth``). The binary depends on the limits and depths, not on the
    configuration's values: configurations of the same fitted limits share it.

    ``cycles``: clock cycles simulated so far (loading and protocol traffic included; for speed figures).
    """

    def __init__(self, chip_config: ChipConfig, cache_dir=None, *, optimize: str = "-O1", **depths):
        if not isinstance(chip_config, ChipConfig):
            raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
        self.config = chip_config
        self.limits = fitted_limits(chip_config)
        top = SerialTop({"dynapcnn": DynapcnnAdapter(self.limits, **depths)}, None)
        self.serial = CompiledSerial(top, None, cache_dir=cache_dir, optimize=optimize)
        try:
            self.board = DynapcnnBoard(Link(self.serial), self.limits, chip_config)
        except BaseException:
            self.serial.close()
            raise
        self._fresh = True  # membranes as loaded: the first run needs no reset

    @property
    def cycles(self) -> int:
        return self.serial.cycles

    def run(self, events: np.ndarray, leak_ticks=(), read_membranes: bool = True) -> CompiledResult:
        """Run ``events`` (``INPUT_EVENT_DTYPE``) and ``leak_ticks`` (as for
        :func:`~spikegate.hdl.dynapcnn.simulate`) from the loaded state: membranes at each core's
        ``neurons_initial_value`` (rewritten by :meth:`.host.DynapcnnBoard.reset_states` before every
        run but the first)."""
        items = len(input_items(self.config, events, leak_ticks))  # validates before anything is sent
        if not self._fresh:
            self.board.reset_states()
        self._fresh = False
        out = self.board(events, leak_ticks)
        busy = self.board.cycles
        cores = self.config.used_cores if read_membranes else ()
        return CompiledResult(events=out, membranes={i: self.board.membranes(i) for i in cores}, items=items,
                              busy_cycles=busy)

    def close(self) -> None:
        """End the simulation process."""
        self.serial.close()

    def __enter__(self) -> "CompiledDynapcnn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
