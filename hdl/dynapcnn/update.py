"""The neuron update pipeline of a DYNAP-CNN core."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import STATE, WEIGHT, Event, op_layout
from .limits import CoreLimits

V_MIN, V_MAX = -(1 << 15), (1 << 15) - 1


def saturate(value):
    """Clamp a wider signed value to the int16 range."""
    return Mux(value < V_MIN, V_MIN, Mux(value > V_MAX, V_MAX, value))


class UpdatePipeline(wiring.Component):
    """Three-stage neuron update, one synaptic operation per clock cycle.

    Stage A (the op on ``ops``): the neuron, weight and bias addresses go to the memories' read ports.
    Stage B: ``V = sat16(V + w)`` (``w`` = the int8 weight, or ``biases[f]`` for a leak op) and
    ``fire = V ≥ threshold_high``. Stage C: ``V = 0`` (``return_to_zero``) or ``sat16(V − threshold_high)``
    when firing, then ``V = max(V, threshold_low)``; the result is written back and a firing neuron is sent
    as one output event (f, ox, oy) — at most one per update.

    Read-after-write hazards: the read ports are not transparent (simple dual-port block RAM), so stage B's
    read misses the write committed at the edge that captured it; that value is *forwarded* from the
    last-write register (the selection is decided one stage earlier, when the op enters B). A neuron is
    visited once per event, so two consecutive ops can only share an address across events (an event
    reaching one neuron, then the same again; the generator flags such an op as ``repeat``): then the op
    waits in A for one cycle (an interlock bubble) instead of forwarding C's result combinationally into B,
    which keeps both stages one adder deep.

    Members:
        ops: In(stream(op_layout)) — updates from :class:`ReceptiveField`.
        spikes: Out(stream(Event)) — output events (x = ox, y = oy, feature = f), in update order.
        neuron_read / neuron_write: the neuron memory's read and write ports (int16, ``limits.neuron`` deep).
        kernel_read: the kernel memory's read port (int8); bias_read: the bias memory's read port (int16).
        threshold_high, threshold_low: In(int16); return_to_zero: In(1) — registers of the core.
        busy: Out(1) — an op is in stage B or C.
        synops: Out(32) — count of committed event updates (leak updates not counted), wraps.

    Latency: the write-back and the output event of an op happen 2 cycles after it leaves ``ops``.
    Back-pressure: an output event not accepted stalls the whole pipeline (and ``ops``) in place.
    """

    def __init__(self, limits: CoreLimits):
        self._limits = limits
        nbits, kbits, bbits = limits.neuron_bits, limits.kernel_bits, limits.bias_bits
        super().__init__({
            "ops": In(stream.Signature(op_layout(nbits, kbits))),
            "spikes": Out(stream.Signature(Event)),
            "neuron_read": In(memory.ReadPort.Signature(addr_width=nbits, shape=STATE)),
            "neuron_write": In(memory.WritePort.Signature(addr_width=nbits, shape=STATE)),
            "kernel_read": In(memory.ReadPort.Signature(addr_width=kbits, shape=WEIGHT)),
            "bias_read": In(memory.ReadPort.Signature(addr_width=bbits, shape=STATE)),
            "threshold_high": In(STATE),
            "threshold_low": In(STATE),
            "return_to_zero": In(1),
            "busy": Out(1),
            "synops": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        nbits = self._limits.neuron_bits
        op = self.ops.payload

        b_valid, b_leak, b_forward = Signal(), Signal(), Signal()
        b_addr = Signal(nbits)
        b_event = Signal(Event)
        c_valid, c_leak, c_fire = Signal(), Signal(), Signal()
        c_addr = Signal(nbits)
        c_event = Signal(Event)
        c_sum = Signal(STATE)
        last_data = Signal(STATE)  # the value written at the previous write

        stall = Signal()
        m.d.comb += [
            stall.eq(c_valid & c_fire & ~self.spikes.ready),
            self.busy.eq(b_valid | c_valid),
        ]
        hazard = op.repeat & b_valid  # B holds the op taken just before A's: the same neuron
        advance = ~stall
        take = self.ops.valid & advance & ~hazard
        m.d.comb += self.ops.ready.eq(advance & ~hazard)

        # stage A: read addresses
        for port, addr in ((self.neuron_read, op.neuron_addr), (self.kernel_read, op.kernel_addr),
                           (self.bias_read, op.feature)):
            m.d.comb += [port.addr.eq(addr), port.en.eq(advance)]

        # stage B: accumulate and compare
        v_in = Mux(b_forward, last_data, self.neuron_read.data)
        operand = Mux(b_leak, self.bias_read.data, self.kernel_read.data)
        total = Signal(STATE)
        m.d.comb += total.eq(saturate(v_in + operand))

        # stage C: reset, clamp, write back, emit
        reset = Mux(self.return_to_zero, 0, saturate(c_sum - self.threshold_high))
        fired = Mux(c_fire, reset, c_sum)
        result = Signal(STATE)
        m.d.comb += [
            result.eq(Mux(fired < self.threshold_low, self.threshold_low, fired)),
            self.neuron_write.addr.eq(c_addr),
            self.neuron_write.data.eq(result),
            self.neuron_write.en.eq(c_valid & advance),
            self.spikes.valid.eq(c_valid & c_fire),
            self.spikes.payload.eq(c_event),
        ]

        with m.If(advance):
            m.d.sync += [
                b_valid.eq(take), b_leak.eq(op.leak), b_addr.eq(op.neuron_addr),
                b_event.x.eq(op.x), b_event.y.eq(op.y), b_event.feature.eq(op.feature),
                b_forward.eq(c_valid & (c_addr == op.neuron_addr)),
                c_valid.eq(b_valid), c_leak.eq(b_leak), c_addr.eq(b_addr), c_event.eq(b_event),
                c_sum.eq(total), c_fire.eq(total >= self.threshold_high),
            ]
            with m.If(c_valid):
                m.d.sync += last_data.eq(result)
                with m.If(~c_leak):
                    m.d.sync += self.synops.eq(self.synops + 1)
        return m
