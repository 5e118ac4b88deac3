"""The neuron update of the Xylo core: decay, membrane and multi-spike of one neuron at a time."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from spikegate.sim.xylo.config import MAX_SPIKES

from .arith import STATE_BITS, leak, saturate


class NeuronUnit(wiring.Component):
    """Spec §3 steps 4-6 for one neuron, over a few short pipeline states (for ≥ 30 MHz on iCE40).

    The readout neurons use the same unit with ``i2 = 0`` and ``count = 30`` (so at most one spike).

    Members:
        start: In(1) — the inputs below are valid this cycle (read straight from the state memories).
        i1, i2, v: In(signed(16)) — Isyn, Isyn2 and Vmem after the synaptic integration.
        dash_syn, dash_syn_2, dash_mem: In(4) — decay shifts.
        threshold: In(signed(16)) — spike threshold (any int16; ≤ 0 follows spec §7).
        bias: In(signed(16)) — membrane bias (version 2 only).
        count: In(5) — the spike counter's start value (what alias sources pushed, 0..31).
        done: Out(1) — the outputs below are valid this cycle (one cycle).
        i1_out, i2_out: Out(signed(16)) — decayed currents.
        v_out: Out(signed(16)) — membrane after the threshold subtractions.
        count_out: Out(5) — final counter (start value plus own spikes, ≤ 31).

    Latency: ``done`` comes ``5 + k`` cycles after ``start`` for version 1 and ``7 + k`` for
    version 2, ``k`` being the spikes the neuron emits itself (one threshold subtraction per cycle).
    One neuron at a time: ``start`` is ignored until ``done``.
    """

    start: In(1)
    i1: In(signed(STATE_BITS))
    i2: In(signed(STATE_BITS))
    v: In(signed(STATE_BITS))
    dash_syn: In(4)
    dash_syn_2: In(4)
    dash_mem: In(4)
    threshold: In(signed(STATE_BITS))
    bias: In(signed(STATE_BITS))
    count: In(5)
    done: Out(1)
    i1_out: Out(signed(STATE_BITS))
    i2_out: Out(signed(STATE_BITS))
    v_out: Out(signed(STATE_BITS))
    count_out: Out(5)

    def __init__(self, version: int = 1):
        if version not in (1, 2):
            raise ValueError(f"version: {version!r} is not one of (1, 2)")
        self._version = version
        super().__init__()

    @property
    def version(self) -> int:
        return self._version

    def elaborate(self, platform):
        m = Module()
        word = signed(STATE_BITS)
        i1, i2, v, threshold, bias = (Signal(word, name=n) for n in ("i1_r", "i2_r", "v_r", "threshold_r", "bias_r"))
        shifted = [Signal(word, name=f"shifted{k}") for k in range(3)]
        leak_v = Signal(word)
        total = Signal(signed(STATE_BITS + 2))  # I1 + I2 (17 bits), then the membrane input
        other = Signal(signed(STATE_BITS + 2))  # V − leak (v1) or wrap(−leak) (v2)
        count = Signal(5)
        m.d.comb += [self.i1_out.eq(i1), self.i2_out.eq(i2), self.v_out.eq(v), self.count_out.eq(count)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [i1.eq(self.i1), i2.eq(self.i2), v.eq(self.v), threshold.eq(self.threshold),
                                 bias.eq(self.bias), count.eq(self.count),
                                 shifted[0].eq(self.i1 >> self.dash_syn), shifted[1].eq(self.i2 >> self.dash_syn_2),
                                 shifted[2].eq(self.v >> self.dash_mem)]
                    m.next = "DECAY"
            with m.State("DECAY"):
                # decayed(x, d) = x − leak(x, d); the membrane's own leak is kept for the next state
                m.d.sync += [i1.eq(i1 - leak(i1, shifted[0])), i2.eq(i2 - leak(i2, shifted[1])),
                             leak_v.eq(leak(v, shifted[2]))]
                m.next = "SUM"
            with m.State("SUM"):
                m.d.sync += total.eq(i1 + i2)
                if self._version == 1:
                    m.d.sync += other.eq(v - leak_v)
                else:
                    m.d.sync += other.eq((-leak_v)[:STATE_BITS].as_signed())  # wrap(−leak)
                m.next = "MEMBRANE"
            with m.State("MEMBRANE"):
                if self._version == 1:
                    m.d.sync += v.eq(saturate(total + other))  # one clip of the exact sum
                    m.next = "SPIKE"
                else:
                    m.d.sync += total.eq(saturate(total + other))
                    m.next = "BIAS"
            if self._version == 2:
                with m.State("BIAS"):
                    m.d.sync += total.eq(saturate(total + bias))
                    m.next = "ADD"
                with m.State("ADD"):
                    m.d.sync += v.eq(saturate(v + total))
                    m.next = "SPIKE"
            with m.State("SPIKE"):
                # one threshold subtraction per cycle while the counter is below 31 and V ≥ threshold;
                # the 17-bit difference gives both the comparison and the wrapped new value
                difference = Signal(signed(STATE_BITS + 1))
                m.d.comb += difference.eq(v - threshold)
                with m.If((count < MAX_SPIKES) & (difference >= 0)):
                    m.d.sync += [v.eq(difference[:STATE_BITS].as_signed()), count.eq(count + 1)]
                with m.Else():
                    m.next = "DONE"
            with m.State("DONE"):  # a registered done keeps the compare out of the caller's write path
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m
