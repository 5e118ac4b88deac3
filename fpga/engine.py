"""Protocol engine: executes decoded commands against a core's ports."""

from amaranth.hdl import Cat, Module, Mux, Shape, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .protocol import COMMAND_LAYOUT, MAX_CORES, REPLY_LAYOUT, Command, Reply, core_kinds, ident_word

#: Payload of a configuration write.
CONFIG_LAYOUT = data.StructLayout({"addr": 32, "data": 32})
#: Bits of an input (EVENT) word and of an output word.
WORD_BITS = 64


#: The state each command starts in.
_FIRST_STATE = {Command.WRITE: "WRITE", Command.EVENT: "EVENT", Command.STEP: "STEP", Command.SYNC: "SETTLE",
                Command.READ: "READ-ADDR", Command.STATUS: "IDENT", Command.SELECT: "SELECT"}


def core_signature(events=WORD_BITS, outputs=WORD_BITS) -> wiring.Signature:
    """The engine's core-facing ports, as the engine sees them (see :class:`ProtocolEngine`).

    ``events``, ``outputs``: the payload shapes of those two streams, :data:`WORD_BITS` (64) bits wide; a
    core adapter gives its own ``data.StructLayout`` s to name the fields of its words (the engine itself
    moves plain 64-bit words, and ``wiring.connect`` joins the two since the widths agree).
    """
    for name, shape in (("events", events), ("outputs", outputs)):
        if Shape.cast(shape).width != WORD_BITS:
            raise ValueError(f"{name}: payload shape is {Shape.cast(shape).width} bits wide; "
                             f"the engine's words are {WORD_BITS}")
    return wiring.Signature({
        "config": Out(stream.Signature(CONFIG_LAYOUT)),
        "events": Out(stream.Signature(events)),
        "step": Out(1),
        "busy": In(1),
        "outputs": In(stream.Signature(outputs)),
        "read_addr": Out(stream.Signature(32)),
        "read_data": In(stream.Signature(32)),
    })


class ProtocolEngine(wiring.Component):
    """Runs the commands of :mod:`.protocol` on a core through generic ports.

    A board's top level adapts these ports to a particular core (:mod:`.serial_top`); a design with
    several cores puts a :class:`.core_select.CoreSelect` between, steered by ``select``.

    Parameters:
        kinds: the kind of each core behind the ports (chip names of :func:`.protocol.core_kinds`), in
            SELECT index order; one for a single-core design.

    Members:
        commands: In(stream.Signature(COMMAND_LAYOUT)), decoded commands (:class:`.CommandReceiver`).
        replies: Out(stream.Signature(REPLY_LAYOUT)), replies (:class:`.ReplyTransmitter`).
        config: Out(stream.Signature(CONFIG_LAYOUT)), configuration writes: ``addr``, ``data``
            (32 bits each; the core uses the low bits).
        events: Out(stream.Signature(64)), input words (EVENT commands: ``b << 32 | a``), in order.
        step: Out(1), one-cycle strobe: start a time step (STEP).
        busy: In(1), high while the core computes or still holds input or output words.
        outputs: In(stream.Signature(64)), the core's output words; each is forwarded as an OUTPUT
            and an OUTPUT_HI reply whenever the engine is idle, waiting for the core, or waiting to
            hand on an input word.
        read_addr: Out(stream.Signature(32)), read-back addresses (READ).
        read_data: In(stream.Signature(32)), one read-back word per address, in order.
        select: Out(range(MAX_CORES)), the index of the core the ports talk to (SELECT; 0 after
            reset). A SELECT of an index beyond ``kinds`` changes nothing and counts in ERRORS bits 0-15.
        framing: In(1), strobe counted in ERRORS bits 16-31 (UART framing errors, overruns).
        unknown: In(1), strobe counted in ERRORS bits 0-15 (unknown command bytes, dropped partial packets).

    Cycle counting: the busy-cycle counter counts every cycle ``busy`` is high and is sent and
    cleared by DONE, so it measures the core's own time, not the UART's. A command costs one cycle
    of decoding plus what it waits for; STEP and SYNC two more (``busy`` is registered, and the
    core must raise it within one cycle of a step strobe or an accepted input word).
    """

    def __init__(self, kinds):
        self.kinds = tuple(kinds)
        if not 1 <= len(self.kinds) <= MAX_CORES:
            raise ValueError(f"kinds: {len(self.kinds)} cores; a design holds 1..{MAX_CORES}")
        known = core_kinds()
        for kind in self.kinds:
            if kind not in known:
                raise ValueError(f"kinds: {kind!r} is not one of {tuple(known)}")
        super().__init__({
            "commands": In(stream.Signature(COMMAND_LAYOUT)),
            "replies": Out(stream.Signature(REPLY_LAYOUT)),
            **core_signature().members,
            "select": Out(range(MAX_CORES)),
            "framing": In(1),
            "unknown": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        cmd = self.commands.payload
        a = Signal(32)
        b = Signal(32)
        busy_cycles = Signal(32)
        clock = Signal(32)
        unknown = Signal(16)
        framing = Signal(16)

        # ``busy`` is registered before use: no combinational path from the core's control into the
        # engine. A core raises busy at most one cycle after a step strobe or an accepted input word;
        # WAIT therefore looks at ``busy_q`` only from the second cycle after entering it.
        busy_q = Signal()
        m.d.sync += [busy_q.eq(self.busy), clock.eq(clock + 1)]
        with m.If(busy_q):
            m.d.sync += busy_cycles.eq(busy_cycles + 1)
        refused = Signal()  # a SELECT of an absent core
        # both in one cycle (an unknown byte decoded from the receive buffer while a SELECT is
        # refused) are two errors: registered, then added, saturating at 0xffff
        strobes = Signal(2)
        unknown_next = Signal(17)
        m.d.sync += strobes.eq(Cat(self.unknown, refused))
        m.d.comb += unknown_next.eq(unknown + strobes[0] + strobes[1])
        m.d.sync += unknown.eq(Mux(unknown_next[16], 0xffff, unknown_next))
        with m.If(self.framing & (framing != 0xffff)):
            m.d.sync += framing.eq(framing + 1)
        m.d.comb += [self.config.payload.addr.eq(a), self.config.payload.data.eq(b),
                     self.events.payload.eq(Cat(a, b)), self.read_addr.payload.eq(a)]

        ident = Signal(32)
        with m.Switch(self.select):
            for index, kind in enumerate(self.kinds):
                with m.Case(index):
                    m.d.comb += ident.eq(ident_word(kind, len(self.kinds), index))

        def reply(tag, word):
            m.d.comb += [self.replies.valid.eq(1), self.replies.payload.tag.eq(tag),
                         self.replies.payload.word.eq(word)]

        high = Signal()  # the low half of the pending output word has been sent

        def forward_output():
            with m.If(self.outputs.valid):
                with m.If(high):
                    reply(Reply.OUTPUT_HI, self.outputs.payload[32:])
                    m.d.comb += self.outputs.ready.eq(self.replies.ready)
                with m.Else():
                    reply(Reply.OUTPUT, self.outputs.payload[:32])
                with m.If(self.replies.ready):
                    m.d.sync += high.eq(~high)

        with m.FSM():
            with m.State("IDLE"):
                forward_output()
                with m.If(~self.outputs.valid):
                    m.d.comb += self.commands.ready.eq(1)
                    with m.If(self.commands.valid):
                        m.d.sync += [a.eq(cmd.a), b.eq(cmd.b)]
                        with m.Switch(cmd.command):
                            for command, state in _FIRST_STATE.items():
                                with m.Case(command):
                                    m.next = state
            with m.State("WRITE"):
                m.d.comb += self.config.valid.eq(1)
                with m.If(self.config.ready):
                    m.next = "IDLE"
            with m.State("EVENT"):
                m.d.comb += self.events.valid.eq(1)
                with m.If(self.events.ready):
                    m.next = "IDLE"
                with m.Else():
                    forward_output()
            with m.State("STEP"):
                m.d.comb += self.step.eq(1)
                m.next = "SETTLE"
            with m.State("SETTLE"):  # busy_q does not show the core's busy yet
                forward_output()
                m.next = "WAIT"
            with m.State("WAIT"):
                forward_output()
                with m.If(~busy_q & ~self.outputs.valid):
                    reply(Reply.DONE, busy_cycles)
                    with m.If(self.replies.ready):
                        m.d.sync += busy_cycles.eq(0)
                        m.next = "IDLE"
            with m.State("READ-ADDR"):
                with m.If(b == 0):
                    m.next = "IDLE"
                with m.Else():
                    m.d.comb += self.read_addr.valid.eq(1)
                    with m.If(self.read_addr.ready):
                        m.d.sync += [a.eq(a + 1), b.eq(b - 1)]
                        m.next = "READ-DATA"
            with m.State("READ-DATA"):
                with m.If(self.read_data.valid):
                    reply(Reply.VALUE, self.read_data.payload)
                    m.d.comb += self.read_data.ready.eq(self.replies.ready)
                    with m.If(self.replies.ready):
                        m.next = "READ-ADDR"
            with m.State("SELECT"):
                with m.If(a < len(self.kinds)):
                    m.d.sync += self.select.eq(a)
                with m.Else():
                    m.d.comb += refused.eq(1)
                m.next = "IDLE"
            for state, tag, word, after in (("IDENT", Reply.IDENT, ident, "CLOCK"),
                                            ("CLOCK", Reply.CLOCK, clock, "ERRORS"),
                                            ("ERRORS", Reply.ERRORS, framing << 16 | unknown, "IDLE")):
                with m.State(state):
                    reply(tag, word)
                    with m.If(self.replies.ready):
                        m.next = after
        return m
