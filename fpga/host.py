"""Host side of the UART protocol (:mod:`.protocol`), over any transport (:mod:`.transport`).

:class:`Link` speaks the protocol; the board classes built on it (:class:`XyloBoard`,
:class:`DynapcnnBoard`) offer the API of the numpy models. Open a board with a serial port::

    board = XyloBoard.open("/dev/ttyUSB1", config)        # iCEBreaker: the second FTDI channel
    out, state, rec = board.evolve(raster, record=True)   # as XyloSim.evolve

Tests pass a :class:`.transport.SimulatedSerial` instead, so the same code runs against the
simulated top level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protocol import CORE_KINDS, REPLY_BYTES, Command, Reply, decode_reply, encode


@dataclass
class Status:
    """The STATUS reply: design identification, the free-running clock counter, error counters."""

    kind: str
    version: int
    clock: int
    unknown_commands: int
    framing_errors: int


class Link:
    """Commands and replies of the protocol over ``transport`` (``write(bytes)``, ``read(n)``).

    OUTPUT replies may arrive before any other reply; they are kept, in order, until :meth:`step`
    or :meth:`sync` returns them.
    """

    def __init__(self, transport):
        self.transport = transport
        self._outputs: list[int] = []

    def _reply(self, expected: Reply) -> int:
        while True:
            tag, word = decode_reply(self.transport.read(REPLY_BYTES))
            if tag == Reply.OUTPUT:
                self._outputs.append(word)
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
        """Send input words (EVENT commands), in order."""
        self.transport.write(b"".join(encode(Command.EVENT, int(w)) for w in words))

    def _finish(self, command: Command) -> tuple[list[int], int]:
        self.transport.write(encode(command))
        cycles = self._reply(Reply.DONE)
        outputs, self._outputs = self._outputs, []
        return outputs, cycles

    def step(self) -> tuple[list[int], int]:
        """Run one core time step: ``(output words, busy cycles)``."""
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
        kinds = {code: name for name, code in CORE_KINDS.items()}
        return Status(kind=kinds.get(ident >> 8 & 0xFF, f"unknown ({ident >> 8 & 0xFF})"), version=ident & 0xFF,
                      clock=clock, unknown_commands=errors & 0xFFFF, framing_errors=errors >> 16)
