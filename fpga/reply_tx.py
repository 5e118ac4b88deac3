"""Reply packet serialiser: five-byte replies of the UART protocol to a byte stream."""

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .protocol import REPLY_BYTES, REPLY_LAYOUT


class ReplyTransmitter(wiring.Component):
    """Sends each reply as its tag byte followed by its 32-bit word, least significant byte first.

    Members:
        replies: In(stream.Signature(REPLY_LAYOUT)), ``tag`` (8 bits) and ``word`` (32 bits);
            accepted while no reply is being sent.
        bytes: Out(stream.Signature(8)), the bytes to the UART transmitter.

    Throughput: one byte per cycle that ``bytes`` is ready, so a reply takes five byte slots.
    """

    def __init__(self):
        super().__init__({
            "replies": In(stream.Signature(REPLY_LAYOUT)),
            "bytes": Out(stream.Signature(8)),
        })

    def elaborate(self, platform):
        m = Module()
        shreg = Signal(8 * REPLY_BYTES)
        left = Signal(range(REPLY_BYTES + 1))  # bytes of the current reply not yet accepted

        m.d.comb += [self.replies.ready.eq(left == 0),
                     self.bytes.valid.eq(left != 0),
                     self.bytes.payload.eq(shreg[:8])]
        with m.If(self.replies.valid & self.replies.ready):
            m.d.sync += [shreg.eq(self.replies.payload.as_value()), left.eq(REPLY_BYTES)]
        with m.Elif(self.bytes.valid & self.bytes.ready):
            m.d.sync += [shreg.eq(shreg >> 8), left.eq(left - 1)]
        return m
