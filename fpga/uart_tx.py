"""UART transmitter: 8 data bits, no parity, one stop bit, least significant bit first."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out


class UARTTransmitter(wiring.Component):
    """Sends the bytes of a stream on a UART line.

    Parameters:
        divisor: clock cycles per bit (clock frequency / baud rate), at least 1.

    Members:
        stream: In(stream.Signature(8)), the bytes to send; ``ready`` is high while the line is idle.
        tx: Out(1), the line (idle high), driven from a flip-flop.

    Latency: the start bit begins the cycle after a byte is accepted. Throughput: one byte per
    ``10 * divisor`` cycles (start, 8 data bits, stop; a new byte is accepted in the last cycle
    of the stop bit, so back-to-back bytes leave no gap).
    """

    def __init__(self, divisor: int):
        if divisor < 1:
            raise ValueError(f"divisor: {divisor} clock cycles per bit is below the minimum of 1")
        self.divisor = divisor
        super().__init__({
            "stream": In(stream.Signature(8)),
            "tx": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        shreg = Signal(10, init=1)  # bit 0 is on the line; shifted out towards it
        bits = Signal(range(11))  # bits left to send, the current one included

        m.d.comb += self.stream.ready.eq((bits == 0) | ((bits == 1) & (timer == 0)))
        with m.If(self.stream.valid & self.stream.ready):
            m.d.sync += [shreg.eq(Cat(Const(0, 1), self.stream.payload, Const(1, 1))),
                         bits.eq(10), timer.eq(self.divisor - 1)]
        with m.Elif(bits != 0):
            with m.If(timer == 0):
                m.d.sync += [shreg.eq(Cat(shreg[1:], Const(1, 1))), bits.eq(bits - 1),
                             timer.eq(self.divisor - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        m.d.comb += self.tx.eq(shreg[0])
        return m
