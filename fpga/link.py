"""The host link: UART, command decoding, protocol engine and reply serialisation in one part."""

from amaranth.hdl import Module
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from .command_rx import CommandReceiver
from .engine import ProtocolEngine, core_signature
from .protocol import MAX_CORES, PACKET_TIMEOUT_BITS
from .reply_tx import ReplyTransmitter
from .uart_rx import UARTReceiver
from .uart_tx import UARTTransmitter


class HostLink(wiring.Component):
    """UART pins on one side, a core's generic ports (those of :class:`ProtocolEngine`) on the other.

    Parameters:
        divisor: clock cycles per UART bit; ``None``: no UART, the command decoder's and reply
            encoder's byte streams are the ports (``rx_bytes``, ``tx_bytes``): the protocol at one byte
            per cycle, cycle-exact behind the UART, for compiled simulations
            (:class:`.transport.CompiledSerial` with ``divisor=None``); a bit time is then one cycle.
        kinds: the kind of each core behind the link, in SELECT order (:class:`ProtocolEngine`).
        rx_depth: bytes buffered between the UART receiver and the command decoder, so that the host
            may stream WRITE and EVENT commands while the core is briefly not ready.
        packet_timeout_bits: bit times a started command packet may wait for its next byte before it
            is dropped and counted (:data:`.protocol.PACKET_TIMEOUT_BITS`; simulations use fewer).

    Members:
        rx: In(1), the UART line from the host (idle high).
        tx: Out(1), the UART line to the host (idle high).
        rx_bytes: In(stream.Signature(8)), command bytes from the host, in place of ``rx`` when
            ``divisor`` is None (taken straight by the decoder, one per cycle at most).
        tx_bytes: Out(stream.Signature(8)), reply bytes to the host, in place of ``tx`` when
            ``divisor`` is None (the host must take them: ``ready`` high).
        core: Out(ProtocolEngine core-side signature): ``config``, ``events``, ``step``, ``busy``,
            ``outputs``, ``read_addr``, ``read_data`` as documented on :class:`ProtocolEngine`.
        select: Out(range(MAX_CORES)), the core the host selected (SELECT); always 0 with one core.

    The host must wait for the DONE reply of STEP or SYNC, and for the replies of READ and STATUS,
    before sending the next command; WRITE and EVENT commands may follow each other back to back.
    """

    def __init__(self, divisor: int | None, kinds, rx_depth: int = 64,
                 packet_timeout_bits: int = PACKET_TIMEOUT_BITS):
        self.divisor, self.rx_depth = divisor, rx_depth
        self.decoder = CommandReceiver(packet_timeout_bits * (divisor or 1))  # checks the timeout
        self.engine = ProtocolEngine(kinds)  # checks ``kinds``
        line = ({"rx": In(1, init=1), "tx": Out(1, init=1)} if divisor is not None else
                {"rx_bytes": In(stream.Signature(8)), "tx_bytes": Out(stream.Signature(8))})
        super().__init__({
            **line,
            "core": Out(core_signature()),
            "select": Out(range(MAX_CORES)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.decoder = decoder = self.decoder
        m.submodules.engine = engine = self.engine
        m.submodules.encoder = encoder = ReplyTransmitter()
        if self.divisor is None:
            wiring.connect(m, wiring.flipped(self.rx_bytes), decoder.bytes)
            wiring.connect(m, encoder.bytes, wiring.flipped(self.tx_bytes))
        else:
            m.submodules.uart_rx = uart_rx = UARTReceiver(self.divisor)
            m.submodules.rx_fifo = rx_fifo = fifo.SyncFIFOBuffered(width=8, depth=self.rx_depth)
            m.submodules.uart_tx = uart_tx = UARTTransmitter(self.divisor)
            wiring.connect(m, uart_rx.stream, rx_fifo.w_stream)
            wiring.connect(m, rx_fifo.r_stream, decoder.bytes)
            wiring.connect(m, encoder.bytes, uart_tx.stream)
            m.d.comb += [uart_rx.rx.eq(self.rx), self.tx.eq(uart_tx.tx),
                         engine.framing.eq(uart_rx.error | uart_rx.overrun)]
        m.d.comb += engine.unknown.eq(decoder.unknown | decoder.dropped)
        wiring.connect(m, decoder.commands, engine.commands)
        wiring.connect(m, engine.replies, encoder.replies)
        for name in ("config", "events", "outputs", "read_addr", "read_data"):
            wiring.connect(m, getattr(engine, name), wiring.flipped(getattr(self.core, name)))
        m.d.comb += [self.core.step.eq(engine.step), engine.busy.eq(self.core.busy), self.select.eq(engine.select)]
        return m
