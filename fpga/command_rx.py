"""Command packet decoder: received bytes to whole commands of the UART protocol."""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .protocol import COMMAND_LAYOUT, PAYLOAD_WORDS


class CommandReceiver(wiring.Component):
    """Assembles command packets (:mod:`.protocol`) from a byte stream.

    Parameters:
        timeout: clock cycles a started packet may wait for its next byte (at least 1); then the
            partial packet is dropped and the next byte is taken as a command byte. This is how the
            host re-establishes framing after a byte was lost: it stays silent for longer.

    Members:
        bytes: In(stream.Signature(8)), received bytes.
        commands: Out(stream.Signature(COMMAND_LAYOUT)), one payload per complete command:
            ``command`` (8 bits) and the argument words ``a``, ``b`` (32 bits each, little-endian on
            the wire; a command has none, one (``a``; ``b`` is 0) or two).
        unknown: Out(1), one-cycle strobe: a byte that is no command was dropped where a command
            byte was expected.
        dropped: Out(1), one-cycle strobe: a partial packet was dropped (no byte for ``timeout`` cycles).

    Throughput: one byte per cycle; a complete command is offered the cycle after its last byte,
    and no byte is taken while it waits to be accepted.
    """

    def __init__(self, timeout: int):
        if timeout < 1:
            raise ValueError(f"timeout: {timeout} clock cycles is below the minimum of 1")
        self.timeout = timeout
        super().__init__({
            "bytes": In(stream.Signature(8)),
            "commands": Out(stream.Signature(COMMAND_LAYOUT)),
            "unknown": Out(1),
            "dropped": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        command = Signal(8)
        args = Signal(64)
        left = Signal(range(9))  # payload bytes still expected
        one_word = Signal()      # the command has one payload word (it ends up in the top half of args)
        waited = Signal(range(self.timeout))  # cycles the partial packet has waited for its next byte

        with m.If(self.commands.ready):
            m.d.sync += self.commands.valid.eq(0)
        # Accepting bytes does not wait on ``commands.ready`` and loading ``command``/``args`` does
        # not depend on the byte's value: that keeps the byte decode off the enable paths.
        m.d.comb += self.bytes.ready.eq(~self.commands.valid)
        byte = self.bytes.payload
        with m.If(self.bytes.valid & self.bytes.ready):
            m.d.sync += waited.eq(0)
            with m.If(left == 0):
                m.d.sync += command.eq(byte)
                with m.Switch(byte):
                    for code, words in PAYLOAD_WORDS.items():
                        with m.Case(code):
                            m.d.sync += one_word.eq(words == 1)
                            if words:
                                m.d.sync += left.eq(4 * words)
                            else:
                                m.d.sync += self.commands.valid.eq(1)
                    with m.Default():
                        m.d.comb += self.unknown.eq(1)
            with m.Else():
                # bytes arrive least significant first: shift them in from the top of a, then b
                m.d.sync += [args.eq(Cat(args[8:], byte)), left.eq(left - 1)]
                with m.If(left == 1):
                    m.d.sync += self.commands.valid.eq(1)
        with m.Elif(left != 0):
            with m.If(waited == self.timeout - 1):
                m.d.sync += [left.eq(0), waited.eq(0)]
                m.d.comb += self.dropped.eq(1)
            with m.Else():
                m.d.sync += waited.eq(waited + 1)
        m.d.comb += self.commands.payload.command.eq(command)
        with m.If(one_word):
            m.d.comb += self.commands.payload.a.eq(args[32:])
        with m.Else():
            m.d.comb += [self.commands.payload.a.eq(args[:32]), self.commands.payload.b.eq(args[32:])]
        return m
