"""Host side of the UART protocol (:mod:`.protocol`), over any transport (:mod:`.transport`).

:class:`Link` speaks the protocol; the board classes built on it (:class:`XyloBoard`,
:class:`DynapcnnBoard`) offer the API of the numpy models. Open a board with a serial port::

    board = XyloBoard.open("/dev/ttyUSB1", params, config)  # iCEBreaker: the second FTDI channel
    out, state, rec = board.evolve(raster, record=True)     # as XyloSim.evolve

(``params``: the core's hardware parameters, e.g. ``Design.load("build/icebreaker-xylo/report.json")
.hardware["xylo"]``.) A design with several cores (``xylo+dynapcnn``) has one link; each board object
names its core's SELECT index and selects it before every command it sends. The build report, read
as a :class:`.facet.Design`, gives each core's driver with its typed hardware parameters and index::

    from spikegate.fpga.facet import Design

    design = Design.load("build/ulx3s-both/report.json")
    link = open_serial("/dev/ttyUSB0")
    xylo = design.open_board(link, "xylo", xylo_config)      # XyloBoard(link, params, xylo_config, select=0)
    chip = design.open_board(link, "dynapcnn", chip_config)  # DynapcnnBoard(link, limits, chip_config, select=1)

Tests pass a :class:`.transport.SimulatedSerial` instead, so the same code runs against the
simulated top level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protocol import MAX_CORES, PACKET_TIMEOUT_BITS, REPLY_BYTES, Command, Reply, decode_reply, encode, parse_ident


@dataclass
class Status:
    """The STATUS reply: design identification (the selected core's kind and index, how many cores
    the design holds), the free-running clock counter, error counters."""

    kind: str
    version: int
    cores: int
    selected: int
    clock: int
    unknown_commands: int
    framing_errors: int


class ReplyError(ValueError):
    """A reply from the board that the protocol does not allow at this point (garbled or out of order)."""


class Link:
    """Commands and replies of the protocol over ``transport`` (``write(bytes)``, ``read(n)``,
    ``drain(quiet_bits)``: :mod:`.transport`).

    OUTPUT replies may arrive before any other reply; they are kept, in order, until :meth:`step`
    or :meth:`sync` returns them. After a :class:`ReplyError` or a :class:`TimeoutError` (bytes lost
    or garbled on the line), :meth:`resync` re-establishes framing. ``packet_timeout_bits``: the
    design's (:class:`.link.HostLink`).
    """

    def __init__(self, transport, packet_timeout_bits: int = PACKET_TIMEOUT_BITS):
        self.transport, self.packet_timeout_bits = transport, packet_timeout_bits
        self._outputs: list[int] = []
        self._selected: int | None = None  # unknown until this link selects

    def resync(self) -> Status:
        """Re-establish framing after a lost, garbled or out-of-order reply: wait until the board has
        been silent for twice its packet timeout, discarding what it sends (so it has dropped any
        partial command), then STATUS. Output words held back and the selection are forgotten.

        Returns the status: its error counters say what the board lost. When they rose, a WRITE or
        EVENT may be missing, or bytes after a lost one may have been taken as other commands (the
        protocol has no checksum): reload the network. Raises :class:`ReplyError` (one line) when
        the board still does not answer STATUS in frame.
        """
        self.transport.drain(2 * self.packet_timeout_bits)
        self._outputs, self._selected = [], None
        try:
            return self.status()
        except (ReplyError, TimeoutError) as error:
            raise ReplyError(f"resync: no STATUS reply in frame after {2 * self.packet_timeout_bits} quiet bit "
                             f"times ({error}); check the port, the baud rate and that the board runs the "
                             f"spikegate bitstream") from None

    def select(self, core: int) -> None:
        """Talk to core ``core`` (SELECT index) of a design with several; sent only on a change."""
        if not 0 <= core < MAX_CORES:
            raise ValueError(f"select: core {core} is outside the protocol's 0..{MAX_CORES - 1}")
        if core != self._selected:
            self.transport.write(encode(Command.SELECT, core))
            self._selected = core

    def _reply(self, expected: Reply) -> int:
        try:
            return self._read_reply(expected)
        except TimeoutError as error:
            raise TimeoutError(f"reply {expected.name}: none within the transport's limit ({error}); "
                               f"Link.resync() re-establishes framing") from None
        except ValueError as error:
            raise ReplyError(f"{error} while waiting for {expected.name}; Link.resync() re-establishes "
                             f"framing") from None

    def _read_reply(self, expected: Reply) -> int:
        while True:
            tag, word = decode_reply(self.transport.read(REPLY_BYTES))
            if tag == Reply.OUTPUT:
                tag_hi, high = decode_reply(self.transport.read(REPLY_BYTES))
                if tag_hi != Reply.OUTPUT_HI:
                    raise ValueError(f"reply: expected OUTPUT_HI after OUTPUT, got {tag_hi.name}")
                self._outputs.append(high << 32 | word)
            elif tag == expected:
                return word
            else:
                raise ValueError(f"reply: expected {expected.name}, got {tag.name} (word {word})")

    def write_config(self, writes) -> int:
        """Send (address, data) configuration writes; returns how many were sent."""
        packets = [encode(Command.WRITE, int(addr), int(data) & 0xFFFF_FFFF) for addr, data in writes]
        self.transport.write(b"".join(packets))
        return len(packets)

    def send(self, words) -> None:
        """Send 64-bit input words (EVENT commands), in order."""
        self.transport.write(b"".join(encode(Command.EVENT, int(w) & 0xFFFF_FFFF, int(w) >> 32) for w in words))

    def _finish(self, command: Command) -> tuple[list[int], int]:
        self.transport.write(encode(command))
        cycles = self._reply(Reply.DONE)
        outputs, self._outputs = self._outputs, []
        return outputs, cycles

    def step(self) -> tuple[list[int], int]:
        """Run one core time step: ``(64-bit output words, busy cycles)``."""
        return self._finish(Command.STEP)

    def sync(self) -> tuple[list[int], int]:
        """Wait until the core is idle: ``(output words, busy cycles since the last DONE)``."""
        return self._finish(Command.SYNC)

    def read(self, addr: int, count: int) -> np.ndarray:
        """``count`` read-back words from ``addr`` up, as uint32."""
        self.transport.write(encode(Command.READ, addr, count))
        return np.array([self._reply(Reply.VALUE) for _ in range(count)], dtype=np.uint32)

    def status(self) -> Status:
        self.transport.write(encode(Command.STATUS))
        ident = self._reply(Reply.IDENT)
        clock = self._reply(Reply.CLOCK)
        errors = self._reply(Reply.ERRORS)
        return Status(**parse_ident(ident), clock=clock, unknown_commands=errors & 0xFFFF, framing_errors=errors >> 16)


class SelectedCore:
    """One core of a design with several: the :class:`Link` methods, each preceded by SELECT of
    ``index`` (sent only when the link last selected another core). The first use checks with
    STATUS that the design has a core of ``kind`` (a chip name) at ``index``."""

    def __init__(self, link: Link, index: int, kind: str):
        self.link, self.index, self.kind = link, index, kind
        self._checked = False

    def _selected(self) -> Link:
        self.link.select(self.index)
        if not self._checked:
            status = self.link.status()
            if self.index >= status.cores:
                raise ValueError(f"select: core {self.index} is outside the design's {status.cores} core(s)")
            if status.kind != self.kind:
                raise ValueError(f"select: core {self.index} of the design is a {status.kind} core, not {self.kind}")
            self._checked = True
        return self.link

    def write_config(self, writes) -> int:
        return self._selected().write_config(writes)

    def send(self, words) -> None:
        self._selected().send(words)

    def step(self) -> tuple[list[int], int]:
        return self._selected().step()

    def sync(self) -> tuple[list[int], int]:
        return self._selected().sync()

    def read(self, addr: int, count: int) -> np.ndarray:
        return self._selected().read(addr, count)

    def status(self) -> Status:
        return self._selected().status()


def open_serial(port: str, baud: int = 1_000_000, timeout: float = 5.0) -> Link:
    """A :class:`Link` over a serial port (pyserial)."""
    from .transport import SerialTransport

    return Link(SerialTransport(port, baud, timeout))


class XyloBoard:
    """A Xylo core on a board (or its simulation), with ``XyloSim``'s API.

    ``link`` is a :class:`Link` (or any object with its methods, such as
    :class:`.gatelevel.GateLevelLink`); ``params`` are the size parameters the design was built with
    (a :class:`~spikegate.hdl.xylo.XyloCoreParams`: ``Design.hardware["xylo"]``, or the build report's
    ``params`` entry as JSON data). A config smaller than the core is padded (extra inputs
    and neurons get zero weights and the largest threshold, so they never spike) and the results
    are cut back to the config's sizes. ``select``: the core's SELECT index in a design with several
    (``Design.select``); None for a single-core design.

    ``cycles`` holds the core's clock cycles of every step of the last :meth:`evolve`.
    """

    chip = "xylo"  #: the chip name of the core (its FPGA facet's ``chip``), checked after SELECT

    def __init__(self, link, params, config=None, select: int | None = None):
        from .xylo_facet import FPGA

        self.link = link if select is None else SelectedCore(link, select, self.chip)
        self.params = FPGA.hardware_from_entry(params)
        self.config = None
        self.cycles = np.zeros(0, np.int64)
        if config is not None:
            self.load(config)

    @classmethod
    def open(cls, port: str, params, config=None, baud: int = 1_000_000, select: int | None = None) -> "XyloBoard":
        """A board on serial port ``port`` (the iCEBreaker's UART is its FTDI's second interface)."""
        return cls(open_serial(port, baud), params, config, select)

    def load(self, config) -> int:
        """Write every register of ``config`` and clear the state; returns the words written."""
        from spikegate.hdl.xylo import config_writes

        from .xylo_pad import pad_config

        writes = config_writes(pad_config(config, self.params), self.params)
        self.link.write_config(writes)
        self.config = config
        self.reset_state()
        return len(writes)

    def reset_state(self) -> None:
        """Zero every state register (the core's CLEAR) and wait until it is done."""
        from spikegate.hdl.xylo import Ctrl, Region, address

        self.link.write_config([(address(Region.CTRL, Ctrl.CLEAR), 0)])
        self.link.sync()

    reset_all = reset_state

    def state(self) -> dict[str, np.ndarray]:
        """Every state register read back, cut to the config's sizes, int16 as ``XyloSim.state``."""
        from spikegate.hdl.xylo import decode_state, state_addresses

        words = {name: self.link.read(addrs[0], len(addrs)) for name, addrs in state_addresses(self.params).items()}
        state = decode_state(self.params, words)
        n_hid, n_out = self.config.n_hidden, self.config.n_outputs
        return {name: value[:n_out] if name.endswith("_out") else value[:n_hid] for name, value in state.items()}

    def evolve(self, raster, record: bool = False):
        """Run ``raster`` (T, Nin) input counts; returns ``(out, state, rec)`` as ``XyloSim.evolve``."""
        from spikegate.hdl.xylo.simulate import check_raster

        from .xylo_adapter import input_word

        if self.config is None:
            raise ValueError("config: no network loaded; call load(config) first")
        raster = check_raster(self.config, raster)
        n_steps = raster.shape[0]
        out = np.zeros((n_steps, self.config.n_outputs), np.int16)
        self.cycles = np.zeros(n_steps, np.int64)
        records = []
        for t in range(n_steps):
            self.link.send(input_word(c, int(n)) for c, n in enumerate(raster[t]) if n)
            spiked, self.cycles[t] = self.link.step()
            out[t, spiked] = 1
            if record:
                records.append(self.state())
        state = records[-1] if records else self.state()
        rec = {name: np.stack([r[name] for r in records]) for name in state} if record else {}
        return out, state, rec


class DynapcnnBoard:
    """A DYNAP-CNN chip on a board (or its simulation), called like ``DynapcnnSim``.

    ``link`` as for :class:`XyloBoard`; ``limits`` are the nine hardware core limits the design was
    built with (:class:`~spikegate.hdl.dynapcnn.CoreLimits` or None: ``Design.hardware["dynapcnn"]``, or
    the build report's ``limits`` entry as JSON data); ``config`` the
    :class:`~spikegate.sim.dynapcnn.config.ChipConfig` to load; ``select`` as for :class:`XyloBoard`.
    ``cycles`` holds the busy cycles of the last call (chip time plus time waiting for the host to
    take output records).
    """

    chip = "dynapcnn"  #: the chip name of the core (its FPGA facet's ``chip``), checked after SELECT

    def __init__(self, link, limits, config=None, select: int | None = None):
        from .dynapcnn_facet import FPGA

        self.link = link if select is None else SelectedCore(link, select, self.chip)
        self.limits = FPGA.hardware_from_entry(limits)
        self.config = None
        self.cycles = 0
        if config is not None:
            self.load(config)

    @classmethod
    def open(cls, port: str, limits, config=None, baud: int = 1_000_000, select: int | None = None) -> "DynapcnnBoard":
        return cls(open_serial(port, baud), limits, config, select)

    def load(self, config) -> int:
        """Write the DVS layer and every used core (registers, biases, kernels, initial membranes)."""
        from spikegate.hdl.dynapcnn import chip_writes

        writes = chip_writes(config, self.limits)
        self.link.write_config(writes)
        self.link.sync()
        self.config = config
        return len(writes)

    def reset_states(self) -> None:
        """Membranes back to each core's ``neurons_initial_value`` (rewritten through the port)."""
        from spikegate.hdl.dynapcnn.memory_map import NEURONS, address, neuron_offsets

        for i in self.config.used_cores:
            core = self.config.cores[i]
            self.link.write_config((address(i, NEURONS, int(o)), int(v) & 0xFFFF) for o, v in
                                   zip(neuron_offsets(core).ravel(), core.neurons_initial_value.ravel()))
        self.link.sync()

    def __call__(self, events: np.ndarray, leak_ticks=()) -> np.ndarray:
        """Run input events (``INPUT_EVENT_DTYPE``; leak ticks as in
        :func:`spikegate.hdl.dynapcnn.input_items`); returns the monitored output events
        (``OUTPUT_EVENT_DTYPE``) in the order the chip sent them."""
        from spikegate.hdl.dynapcnn import input_items
        from .dynapcnn_adapter import DynapcnnInput, DynapcnnOutput
        from spikegate.sim.dynapcnn.model import OUTPUT_EVENT_DTYPE

        if self.config is None:
            raise ValueError("config: no network loaded; call load(config) first")
        self.link.send(DynapcnnInput.const({"item": item}).as_bits()
                       for item in input_items(self.config, events, leak_ticks))
        words, self.cycles = self.link.sync()
        out = np.zeros(len(words), OUTPUT_EVENT_DTYPE)
        for i, word in enumerate(words):
            r = DynapcnnOutput.from_bits(word).record
            out[i] = (r.x, r.y, r.t, r.feature, r.layer, r.feature)
        return out

    def membranes(self, core: int) -> np.ndarray:
        """The membranes of ``core`` read back, int16 ``[f][x][y]`` as ``DynapcnnSim.membranes``."""
        from spikegate.hdl.dynapcnn import decode_membranes, membrane_addresses

        if self.config is None or core not in self.config.used_cores:
            raise ValueError(f"core: value {core!r} is not a used core of the loaded config")
        addresses = membrane_addresses(self.config.cores[core], slot=core).astype(np.int64)
        first = int(addresses.min())
        block = self.link.read(first, int(addresses.max()) - first + 1)  # one READ over the padded map
        return decode_membranes(self.config.cores[core], block[addresses - first])
