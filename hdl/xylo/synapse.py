"""The synaptic accumulator of the Xylo core: one saturating ``I ← sat(I + count · (w << shift))`` per cycle."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .arith import STATE_BITS, saturate


class SynapseUnit(wiring.Component):
    """Pipelined multiply-shift-add-saturate for one synaptic addition (spec §3 steps 2-3).

    Members:
        valid: In(1) — the inputs below hold an addition this cycle.
        count: In(5) — events of the source this step (input count 0..15 or hidden spike count 0..31).
        weight: In(signed(8)) — the int8 weight.
        shift: In(3) — the weight shift (0..7; no 16-bit wrap is possible, spec §2).
        acc: In(signed(16)) — the accumulator's current value.
        out_valid: Out(1) — ``out`` holds a result.
        out: Out(signed(16)) — ``sat(acc + count · (weight << shift))``.

    Latency :attr:`LATENCY` = 3 cycles (product; shift; sum and saturation), throughput one addition
    per cycle. The shifted product is at most 31 · 128 · 2⁷ < 2¹⁹, the sum fits 21 bits.
    """

    LATENCY = 3

    valid: In(1)
    count: In(5)
    weight: In(signed(8))
    shift: In(3)
    acc: In(signed(STATE_BITS))
    out_valid: Out(1)
    out: Out(signed(STATE_BITS))

    def elaborate(self, platform):
        m = Module()
        product = Signal(signed(14))
        shift = Signal(3)
        shifted = Signal(signed(21))
        acc = [Signal(signed(STATE_BITS), name=f"acc{k}") for k in (1, 2)]
        valid = [Signal(name=f"valid{k}") for k in (1, 2)]
        m.d.sync += [product.eq(self.count * self.weight), shift.eq(self.shift), acc[0].eq(self.acc),
                     valid[0].eq(self.valid)]
        m.d.sync += [shifted.eq(product << shift), acc[1].eq(acc[0]), valid[1].eq(valid[0])]
        m.d.sync += [self.out.eq(saturate(acc[1] + shifted)), self.out_valid.eq(valid[1])]
        return m
