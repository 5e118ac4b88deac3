"""The synaptic pipeline of the Xylo core: one synaptic addition (input, recurrent or readout) per cycle."""

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from .host_port import Shifts
from .memories import access_signature
from .memory_map import TARGET_BITS, XyloCoreParams
from .synapse import SynapseUnit


class Source(enum.Enum, shape=2):
    """The kind of a synaptic addition: where its weight comes from and which shift applies."""
    INPUT = 0  #: an input channel: W_IN word ``index`` of the channel, both synapses
    RECURRENT = 1  #: a fan-out entry: FAN and MISC words of the entry, one synapse
    READOUT = 2  #: a readout weight: MISC byte ``lane`` (0/1) of the word, readout neuron ``index``


#: One synaptic addition: its kind, the source's events this step (0..31), the target (input: the
#: hidden neuron; readout: the readout neuron) and the 3-bit group of the fan-out entry's MISC word
#: (recurrent) or the byte of the readout weight (readout).
Addition = data.StructLayout({"kind": Source, "count": 5, "index": TARGET_BITS, "lane": 2})


class SynapticPipeline(wiring.Component):
    """Read weight → read accumulators → :class:`SynapseUnit` (both synapses) → write back.

    The issuer presents the weight memory's address in the cycle of the issue (W_IN word of
    ``channel << hidden_bits | neuron``; FAN entry ``e`` and MISC word ``e >> 2``; MISC readout word);
    the pipeline takes the weight the cycle after.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.

    Members:
        issue: In(stream(:data:`Addition`), always ready) — start one addition.
        shifts: In(:data:`~spikegate.hdl.xylo.host_port.Shifts`) — the weight shift of each kind.
        busy: Out(1) — an addition is in flight; the accumulators are final when it is low.
        memories: Out(:func:`~spikegate.hdl.xylo.memories.access_signature`) — reads W_IN, FAN, MISC
            words and the target's Isyn and Isyn2, writes them back.

    Latency: an addition writes back ``DRAIN_CYCLES - 1`` = 5 cycles after its issue, ``busy`` staying
    high until then; throughput one addition per cycle. An addition reads its accumulator 2 cycles after
    its issue, before the additions issued just before it have written theirs back, so the issuer lets
    the pipeline drain (``busy`` low) before an addition whose target could repeat; the core's order
    (each source streams distinct targets) needs that only between sources.
    """

    def __init__(self, params: XyloCoreParams):
        if not isinstance(params, XyloCoreParams):
            raise TypeError(f"params: expected a XyloCoreParams, got {type(params).__name__}")
        self._params = params
        super().__init__({
            "issue": In(stream.Signature(Addition, always_ready=True)),
            "shifts": In(Shifts),
            "busy": Out(1),
            "memories": Out(access_signature(params, "pipeline")),
        })

    def elaborate(self, platform):
        m = Module()
        mem = self.memories
        # stage 1: weight memories answer; decode, read the target's state
        v1 = Signal()
        add1 = Signal(Addition)
        # stage 2: state memories answer; the two synapse units take the addition
        v2, target2, count2, shift2 = Signal(), Signal(TARGET_BITS), Signal(5), Signal(3)
        w1_2, w2_2, we1_2, we2_2 = Signal(signed(8)), Signal(signed(8)), Signal(), Signal()
        # then SynapseUnit.LATENCY stages inside the units, the last one writing back
        tags = [(Signal(name=f"v{k}"), Signal(TARGET_BITS, name=f"target{k}"), Signal(name=f"we1_{k}"),
                 Signal(name=f"we2_{k}")) for k in range(3, 3 + SynapseUnit.LATENCY)]
        m.d.comb += self.busy.eq(Cat(v1, v2, *(tag[0] for tag in tags)).any())
        m.d.sync += [v1.eq(self.issue.valid), add1.eq(self.issue.payload)]

        fan_high = Signal(3)  # syn << 2 | target[9:8] of the fan-out entry
        m.d.comb += fan_high.eq(mem.misc.rdata.word_select(add1.lane, 3))
        target1 = Signal(TARGET_BITS)
        weight1 = Signal(signed(8))
        syn1 = Signal()
        with m.Switch(add1.kind):
            with m.Case(Source.INPUT):
                m.d.comb += [target1.eq(add1.index), weight1.eq(mem.w_in.rdata[:8])]
            with m.Case(Source.RECURRENT):
                m.d.comb += [target1.eq(Cat(mem.fan.rdata[8:], fan_high[:2])), weight1.eq(mem.fan.rdata[:8]),
                             syn1.eq(fan_high[2])]
            with m.Case(Source.READOUT):
                m.d.comb += [target1.eq(add1.index + self._params.n_hidden),
                             weight1.eq(mem.misc.rdata.word_select(add1.index[0], 8))]
        with m.If(v1):
            m.d.comb += mem.read_addr.eq(target1)
        kind1 = add1.kind.as_value()
        m.d.sync += [
            v2.eq(v1), target2.eq(target1), count2.eq(add1.count),
            shift2.eq(Array([self.shifts.input, self.shifts.recurrent, self.shifts.readout, 0])[kind1]),
            w1_2.eq(weight1), w2_2.eq(Mux(add1.kind == Source.INPUT, mem.w_in.rdata[8:], weight1)),
            we1_2.eq((add1.kind != Source.RECURRENT) | ~syn1),
            we2_2.eq((add1.kind == Source.INPUT) | ((add1.kind == Source.RECURRENT) & syn1)),
        ]
        for before, after in zip([(v2, target2, we1_2, we2_2)] + tags, tags):
            m.d.sync += [a.eq(b) for a, b in zip(after, before)]
        m.submodules.lane1 = lane_1 = SynapseUnit()
        m.submodules.lane2 = lane_2 = SynapseUnit()
        for lane, weight, acc in ((lane_1, w1_2, mem.read_data.isyn), (lane_2, w2_2, mem.read_data.isyn2)):
            m.d.comb += [lane.valid.eq(v2), lane.count.eq(count2), lane.weight.eq(weight), lane.shift.eq(shift2),
                         lane.acc.eq(acc)]
        valid_out, target_out, we1_out, we2_out = tags[-1]
        with m.If(valid_out):
            m.d.comb += [mem.write_addr.eq(target_out), mem.write_data.isyn.eq(lane_1.out),
                         mem.write_en.isyn.eq(we1_out), mem.write_data.isyn2.eq(lane_2.out),
                         mem.write_en.isyn2.eq(we2_out)]
        return m


#: Cycles from the last issue until the pipeline is empty (issue → weight → state → ``SynapseUnit.LATENCY``
#: stages → write-back, then ``busy`` low).
DRAIN_CYCLES = 3 + SynapseUnit.LATENCY
