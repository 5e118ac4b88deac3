"""Protocol fuzzing: valid commands from the host driver interleaved with line faults and malformed
packets, against a simulated :class:`.link.HostLink` (UART included) in front of :class:`EchoCore`,
checked reply by reply against :class:`Model`, a behavioural model of the command decoder, the
protocol engine and the core.

Faults (:data:`FAULTS`): ``noise`` (bytes that are no command, where a command byte is expected),
``truncated`` (a packet cut short, then the line idle past the packet timeout), ``overlong`` (a packet
followed by bytes that are no command), ``garbled`` (a byte with a low stop bit between packets),
``garbled-inside`` (a packet cut short by a garbled byte, then idle), ``busy`` (a SELECT, bytes that are
no command and a READ sent while a STEP runs), ``swallowed`` (a packet cut short and then a STATUS: no reply comes, the host
resynchronises) and ``unsolicited`` (READ replies the host did not wait for: the next reply is out
of order, the host resynchronises). After each, the next valid command must be answered, every
error counted exactly once, and the core's memory and input queue must equal the model's.
``tests/test_fpga_fuzz.py`` runs a seeded sample; ``bench/fuzz_protocol.py`` the full campaign.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from amaranth.hdl import Module, Signal
from amaranth.lib import fifo, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .engine import core_signature
from .host import Link, ReplyError
from .link import HostLink
from .protocol import (PACKET_TIMEOUT_BITS, PAYLOAD_WORDS, REPLY_BYTES, Command, Reply, core_kinds, decode_reply,
                       encode, ident_word)

#: Words of :class:`EchoCore`'s configuration memory (addresses wrap: the low 4 bits count).
MEMORY_WORDS = 16
#: Input words :class:`EchoCore` queues until a STEP (a ninth stalls the engine until one).
QUEUE_DEPTH = 8
#: Most VALUE replies one fuzzed READ asks for.
MAX_READ = 16
#: Byte values that are no command byte.
NOT_COMMANDS = [b for b in range(256) if b not in set(Command)]
#: The fault kinds, in the order the campaign reports them.
FAULTS = ("noise", "truncated", "overlong", "garbled", "garbled-inside", "busy", "swallowed", "unsolicited")


def echo_kind() -> str:
    """The core kind :class:`EchoTop` reports in IDENT: the registered kind of the lowest id (Xylo's); the
    echo core stands in for a core of any kind."""
    return next(iter(core_kinds()))


class EchoCore(wiring.Component):
    """A stand-in core for link tests: configuration writes go to a :data:`MEMORY_WORDS` x 32-bit
    memory that READ reads back; input words wait in a :data:`QUEUE_DEPTH`-word queue and on STEP come
    back as output words plus one, while ``busy`` is high."""

    def __init__(self):
        super().__init__(core_signature().flip())

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=32, depth=MEMORY_WORDS, init=[])
        m.submodules.queue = queue = fifo.SyncFIFOBuffered(width=64, depth=QUEUE_DEPTH)
        write, read = mem.write_port(), mem.read_port()
        m.d.comb += [write.addr.eq(self.config.payload.addr), write.data.eq(self.config.payload.data),
                     write.en.eq(self.config.valid), self.config.ready.eq(1),
                     queue.w_data.eq(self.events.payload), queue.w_en.eq(self.events.valid),
                     self.events.ready.eq(queue.w_rdy),
                     read.addr.eq(self.read_addr.payload), self.read_addr.ready.eq(~self.read_data.valid),
                     read.en.eq(self.read_addr.valid & self.read_addr.ready)]
        with m.If(self.read_addr.valid & self.read_addr.ready):
            m.d.sync += self.read_data.valid.eq(1)
        with m.Elif(self.read_data.ready):
            m.d.sync += self.read_data.valid.eq(0)
        m.d.comb += self.read_data.payload.eq(read.data)
        running = Signal()
        with m.If(self.step):
            m.d.sync += running.eq(1)
        with m.Elif(~queue.r_rdy):
            m.d.sync += running.eq(0)
        m.d.comb += [self.outputs.valid.eq(running & queue.r_rdy), self.outputs.payload.eq(queue.r_data + 1),
                     queue.r_en.eq(running & self.outputs.ready), self.busy.eq(running | self.step)]
        return m


class EchoTop(wiring.Component):
    """:class:`.link.HostLink` in front of :class:`EchoCore`: UART pins ``rx`` (In(1)), ``tx`` (Out(1))."""

    def __init__(self, divisor: int, packet_timeout_bits: int = PACKET_TIMEOUT_BITS, rx_depth: int = 16):
        self.link = HostLink(divisor, (echo_kind(),), rx_depth=rx_depth, packet_timeout_bits=packet_timeout_bits)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = link = self.link
        m.submodules.core = core = EchoCore()
        wiring.connect(m, link.core, core)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]
        return m


class Unsafe(Exception):
    """A byte stream the campaign does not send: it would stall the engine (a full input queue) or
    ask for more than :data:`MAX_READ` replies."""


class Model:
    """What :class:`EchoTop` does with bytes, garbled bytes and idle line: the decoder's framing
    (a partial packet is dropped by a pause), the engine's commands and error counters, EchoCore's
    memory and queue. ``replies``: (tag, word) sent and not yet taken by :meth:`take`; the word is
    None where it depends on timing (DONE's busy cycles, CLOCK)."""

    def __init__(self):
        self.memory = [0] * MEMORY_WORDS
        self.queue: list[int] = []
        self.command_errors = self.framing_errors = 0
        self.packet = b""  # the decoder's partial packet
        self.replies: list[tuple[Reply, int | None]] = []

    def feed(self, data: bytes) -> None:
        for byte in data:
            if not self.packet and byte in NOT_COMMANDS:
                self.command_errors += 1
                continue
            self.packet += bytes([byte])
            command = Command(self.packet[0])
            if len(self.packet) == 1 + 4 * PAYLOAD_WORDS[command]:
                words = np.frombuffer(self.packet[1:], "<u4").tolist()
                self.packet = b""
                self._execute(command, *words)

    def garbled(self) -> None:
        """A byte with a low stop bit: the receiver drops it and counts a framing error."""
        self.framing_errors += 1

    def pause(self) -> None:
        """The line idle past the packet timeout: a partial packet is dropped and counted."""
        if self.packet:
            self.packet = b""
            self.command_errors += 1

    def take(self) -> list[tuple[Reply, int | None]]:
        replies, self.replies = self.replies, []
        return replies

    def _execute(self, command: Command, a: int = 0, b: int = 0) -> None:
        if command == Command.WRITE:
            self.memory[a % MEMORY_WORDS] = b
        elif command == Command.EVENT:
            if len(self.queue) == QUEUE_DEPTH:
                raise Unsafe("EVENT into a full queue")
            self.queue.append(b << 32 | a)
        elif command == Command.STEP:
            for word in self.queue:
                word = (word + 1) % (1 << 64)
                self.replies += [(Reply.OUTPUT, word & 0xFFFF_FFFF), (Reply.OUTPUT_HI, word >> 32)]
            self.queue = []
            self.replies.append((Reply.DONE, None))
        elif command == Command.SYNC:
            self.replies.append((Reply.DONE, None))
        elif command == Command.READ:
            if b > MAX_READ:
                raise Unsafe(f"READ of {b} words")
            self.replies += [(Reply.VALUE, self.memory[(a + i) % MEMORY_WORDS]) for i in range(b)]
        elif command == Command.STATUS:
            self.replies += [(Reply.IDENT, ident_word(echo_kind())), (Reply.CLOCK, None),
                             (Reply.ERRORS, self.framing_errors << 16 | self.command_errors)]
        elif command == Command.SELECT:
            if a != 0:
                self.command_errors += 1


class Mismatch(AssertionError):
    """The design did something the model did not: the first difference, with the packet number."""


@dataclass
class Figures:
    """What a campaign did: ``packets`` sent (valid and faulty), ``commands`` valid host commands
    checked, ``faults`` injected per kind, errors the model expects and the design ``counted``
    (command errors, framing errors), ``lockups`` (a valid command not answered), ``mismatches``
    (state or reply differing from the model; a campaign stops at the first), ``resyncs``."""

    packets: int = 0
    commands: int = 0
    faults: dict = field(default_factory=lambda: dict.fromkeys(FAULTS, 0))
    expected: tuple = (0, 0)
    counted: tuple = (0, 0)
    lockups: int = 0
    mismatches: int = 0
    resyncs: int = 0


class _Recorder:
    """The transport as the host driver sees it, every byte also fed to the model."""

    def __init__(self, serial, model: Model):
        self.serial, self.model = serial, model

    def write(self, data: bytes) -> None:
        self.model.feed(data)
        self.serial.write(data)

    def read(self, n: int) -> bytes:
        return self.serial.read(n)

    def drain(self, quiet_bits: int) -> int:
        self.model.pause()  # the host stays silent past the packet timeout
        return self.serial.drain(quiet_bits)


class Campaign:
    """Runs fuzzing rounds on ``serial`` (a :class:`.transport.SimulatedSerial` or
    :class:`.transport.CompiledSerial` of :class:`EchoTop`, whose packet timeout is
    ``packet_timeout_bits``) with random numbers from ``rng``."""

    def __init__(self, serial, packet_timeout_bits: int, rng: np.random.Generator):
        self.serial, self.rng, self.figures = serial, rng, Figures()
        self.model = Model()
        self.link = Link(_Recorder(serial, self.model), packet_timeout_bits)
        self.pause_bits = 2 * packet_timeout_bits

    # -------------------------------------------------------------- building blocks
    def _junk(self, n: int) -> bytes:
        """``n`` bytes that are no command byte."""
        return bytes(int(b) for b in self.rng.choice(NOT_COMMANDS, n))

    def _packet(self, commands=(Command.WRITE, Command.EVENT, Command.READ, Command.SELECT)) -> bytes:
        command = Command(self.rng.choice(list(commands)))
        words = [int(w) for w in self.rng.integers(0, 1 << 32, PAYLOAD_WORDS[command], dtype=np.uint64)]
        if command == Command.READ:
            words[1] = int(self.rng.integers(0, 5))
        if command == Command.SELECT:
            words[0] = int(self.rng.choice([0, 1, words[0]]))
        return encode(command, *words)

    def _safe(self, feed) -> bool:
        """Whether ``feed(model)`` is a byte stream the campaign may send."""
        trial = copy.deepcopy(self.model)
        try:
            feed(trial)
        except Unsafe:
            return False
        return True

    def _raw(self, data: bytes) -> None:
        self.model.feed(data)
        self.serial.write(data)
        self.figures.packets += 1

    def _fail(self, what: str) -> None:
        self.figures.mismatches += 1
        raise Mismatch(f"packet {self.figures.packets}: {what}")

    def _expect_replies(self, want) -> None:
        """Read ``want`` ((tag, word or None) pairs) straight from the transport and compare."""
        for i, (tag, word) in enumerate(want):
            try:
                got_tag, got_word = decode_reply(self.serial.read(REPLY_BYTES))
            except TimeoutError as error:
                self.figures.lockups += 1
                self._fail(f"reply {i} ({tag.name}) never came: {error}")
            if got_tag != tag or word is not None and got_word != word:
                self._fail(f"reply {i}: expected {tag.name} {word}, got {got_tag.name} {got_word}")

    # -------------------------------------------------------------- valid host commands
    def command(self) -> None:
        """One valid host command through :class:`.host.Link`, its results compared with the model."""
        link, model, rng = self.link, self.model, self.rng
        kind = rng.choice(["write", "send", "step", "read", "status", "sync"])
        self.figures.commands += 1
        try:
            if kind == "write":
                writes = [(int(a), int(d)) for a, d in rng.integers(0, 1 << 32, (int(rng.integers(1, 4)), 2),
                                                                     dtype=np.uint64)]
                self.figures.packets += link.write_config(writes)
                model.take()
            elif kind == "send":
                n = int(rng.integers(0, QUEUE_DEPTH - len(model.queue) + 1))
                link.send(int(w) for w in rng.integers(0, 1 << 64, n, dtype=np.uint64))
                self.figures.packets += n
            elif kind == "step" or kind == "sync":
                outputs, _ = link.step() if kind == "step" else link.sync()
                self.figures.packets += 1
                replies = model.take()
                want = [lo | hi << 32 for (_, lo), (_, hi) in zip(replies[:-1:2], replies[1:-1:2])]
                if outputs != want:
                    self._fail(f"{kind}: outputs {outputs}, model {want}")
            elif kind == "read":
                addr, count = int(rng.integers(0, 1 << 32)), int(rng.integers(1, MAX_READ + 1))
                got = link.read(addr, count).tolist()
                self.figures.packets += 1
                want = [word for _, word in model.take()]
                if got != want:
                    self._fail(f"READ {addr:#x} x{count}: {got}, model {want}")
            else:
                self.check_status(self.link.status())
                self.figures.packets += 1
        except (TimeoutError, ReplyError) as error:
            self.figures.lockups += 1
            self._fail(f"valid {kind} not answered in frame: {error}")

    def check_status(self, status) -> None:
        replies = self.model.take()
        errors = replies[-1][1]
        self.figures.expected, self.figures.counted = ((errors & 0xFFFF, errors >> 16),
                                                       (status.unknown_commands, status.framing_errors))
        if self.figures.counted != self.figures.expected or status.kind != echo_kind():
            self._fail(f"STATUS: {status.kind} core, errors (command, framing) {self.figures.counted}, "
                       f"model {self.figures.expected}")

    def check_state(self) -> None:
        """The whole memory read back, and the error counters, equal the model's."""
        got = self.link.read(0, MEMORY_WORDS).tolist()
        self.model.take()
        if got != self.model.memory:
            first = next(i for i, (g, w) in enumerate(zip(got, self.model.memory)) if g != w)
            self._fail(f"memory word {first}: design {got[first]:#x}, model {self.model.memory[first]:#x}")
        self.check_status(self.link.status())

    # -------------------------------------------------------------- faults
    def fault(self, kind: str | None = None) -> None:
        """One fault of ``kind`` (of :data:`FAULTS`; random if None), the line left so that the next
        command is in frame."""
        kind = str(self.rng.choice(FAULTS)) if kind is None else kind
        getattr(self, "_" + kind.replace("-", "_"))()
        self.figures.faults[kind] += 1

    def _cut(self, packet: bytes, least_missing: int = 1) -> bytes:
        return packet[:int(self.rng.integers(1, len(packet) - least_missing + 1))]

    def _noise(self) -> None:
        self._raw(self._junk(int(self.rng.integers(1, 6))))

    def _truncated(self) -> None:
        self._raw(self._cut(self._packet()))
        self.serial.pause(self.pause_bits)
        self.model.pause()

    def _overlong(self) -> None:
        while True:
            packet = self._packet((Command.WRITE, Command.EVENT, Command.SELECT))
            if self._safe(lambda model: model.feed(packet)):
                break
        self._raw(packet + self._junk(int(self.rng.integers(1, 6))))

    def _garbled(self) -> None:
        self.serial.write_garbled(int(self.rng.integers(0, 256)))
        self.model.garbled()
        self.figures.packets += 1

    def _garbled_inside(self) -> None:
        self._raw(self._cut(self._packet()))
        self._garbled()
        self.serial.pause(self.pause_bits)
        self.model.pause()

    def _busy(self) -> None:
        """STEP, and behind it at once a SELECT (often of an absent core), bytes that are no command and
        a READ: they wait in the receive buffer while the core sends its outputs, then run back to back."""
        select = encode(Command.SELECT, int(self.rng.choice([0, 1, int(self.rng.integers(0, 1 << 32))])))
        read = encode(Command.READ, int(self.rng.integers(0, 1 << 32)), int(self.rng.integers(1, 4)))
        self._raw(encode(Command.STEP) + select + self._junk(int(self.rng.integers(0, 4))) + read)
        self._expect_replies(self.model.take())

    def _swallowed(self) -> None:
        """A packet that misses two bytes or more, then STATUS: its byte completes no packet, so no
        reply comes; the host times out and resynchronises."""
        self._raw(self._cut(self._packet((Command.WRITE, Command.EVENT, Command.READ)), least_missing=2))
        self._expect_failure()

    def _unsolicited(self) -> None:
        """READ replies left unread: the host's next reply is out of order; it resynchronises."""
        self._raw(encode(Command.READ, int(self.rng.integers(0, 1 << 32)), int(self.rng.integers(1, 5))))
        self._expect_failure()

    def _expect_failure(self) -> None:
        try:
            self.link.status()
        except (TimeoutError, ReplyError):
            self.model.take()
            self.check_status(self.link.resync())
            self.figures.resyncs += 1
            return
        self._fail("STATUS out of frame was answered as if in frame")

    # -------------------------------------------------------------- campaign
    def run(self, rounds: int, check_every: int = 8) -> Figures:
        """``rounds`` times a fault (half of the time) then a valid command; every ``check_every``
        rounds the whole state. Raises :class:`Mismatch` at the first difference."""
        for i in range(rounds):
            if self.rng.random() < 0.5:
                self.fault()
            self.command()
            if (i + 1) % check_every == 0:
                self.check_state()
        self.check_state()
        return self.figures
