"""UART receiver: 8 data bits, no parity, one stop bit, least significant bit first."""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import cdc, stream, wiring
from amaranth.lib.wiring import In, Out


class UARTReceiver(wiring.Component):
    """Receives bytes from a UART line into a stream.

    Parameters:
        divisor: clock cycles per bit (clock frequency / baud rate), at least 4. Simulations use a
            small value so that a byte costs ``10 * divisor`` cycles.

    Members:
        rx: In(1), the line (idle high), resynchronised here by two flip-flops.
        stream: Out(stream.Signature(8)), one payload per received byte; ``valid`` stays high until
            ``ready``. A byte that completes while the previous one is still waiting replaces it
            and strobes ``overrun``.
        error: Out(1), one-cycle strobe: a stop bit was low (framing error); the byte is dropped.
        overrun: Out(1), one-cycle strobe: a byte was lost because ``stream`` was not ready.

    Latency: ``valid`` rises about 9.5 bit times plus 3 cycles after the start edge. Throughput:
    one byte per ``10 * divisor`` cycles at full line rate.
    """

    def __init__(self, divisor: int):
        if divisor < 4:
            raise ValueError(f"divisor: {divisor} clock cycles per bit is below the minimum of 4")
        self.divisor = divisor
        super().__init__({
            "rx": In(1, init=1),
            "stream": Out(stream.Signature(8)),
            "error": Out(1),
            "overrun": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        line = Signal(init=1)
        m.submodules.sync = cdc.FFSynchronizer(self.rx, line, init=1)

        timer = Signal(range(self.divisor))
        bits = Signal(range(8))
        shreg = Signal(8)
        done = Signal()  # the stop bit of a good byte is being sampled this cycle

        with m.If(self.stream.ready):
            m.d.sync += self.stream.valid.eq(0)
        with m.If(done):
            m.d.sync += [self.stream.payload.eq(shreg), self.stream.valid.eq(1)]
            m.d.comb += self.overrun.eq(self.stream.valid & ~self.stream.ready)

        with m.If(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~line):
                    m.d.sync += timer.eq(self.divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):  # sample the middle of the start bit: a glitch returns to idle
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(self.divisor - 1), bits.eq(0)]
                    with m.If(line):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer == 0):
                    m.d.sync += [shreg.eq(Cat(shreg[1:], line)),
                                 timer.eq(self.divisor - 1), bits.eq(bits + 1)]
                    with m.If(bits == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer == 0):
                    m.d.comb += [done.eq(line), self.error.eq(~line)]
                    m.next = "IDLE"
        return m
