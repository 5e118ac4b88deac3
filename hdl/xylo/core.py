"""``XyloCore``: the Xylo LIF array (``docs/xylo-core.md``) as a time-multiplexed Amaranth core."""

from amaranth.hdl import Array, Cat, MemoryData, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from spikegate.sim.xylo.config import MAX_INPUT_COUNT, MAX_SPIKES

from .arith import STATE_BITS
from .memory_map import (ADDRESS_BITS, DATA_BITS, NEURON_MEMORIES, OFFSET_BITS, READOUT_MEMORY, TARGET_BITS, Ctrl,
                         Region, XyloCoreParams)
from .neuron import NeuronUnit
from .spram import SinglePortRAM
from .synapse import SynapseUnit

#: Cycles the synaptic pipeline needs to empty after its last issue (issue → weight → state →
#: SynapseUnit.LATENCY stages → write-back).
DRAIN_CYCLES = 3 + SynapseUnit.LATENCY
#: Cycles of the neuron sweep per neuron without spikes or pushes, per version.
NEURON_CYCLES = {1: 7, 2: 9}

# Kinds of synaptic addition in the pipeline.
_INPUT, _RECURRENT, _READOUT = 0, 1, 2


def step_cycles(params: XyloCoreParams, active_inputs: int, active_sources: int, fanout_entries: int,
                own_spikes: int, alias_pushes: int, output_spikes: int) -> int:
    """Clock cycles one time step keeps :class:`XyloCore` busy (from the cycle after ``step`` to
    ``done`` inclusive), with the readout spike stream always ready.

    Args:
        active_inputs: input channels with a count > 0 this step (``A_in``).
        active_sources: hidden neurons that spiked the step before (``A_rec``).
        fanout_entries: recurrent fan-out entries of those neurons (``F``).
        own_spikes: hidden spikes emitted this step by the neurons themselves, before aliasing (``K``).
        alias_pushes: hidden neurons with an alias target and a non-zero count this step (``P``).
        output_spikes: readout spikes this step (``Ko``).

    Version 1: ``Nin + 2 + 8·Nhid + 7·Nout + A_in·(Nhid + 6) + A_rec·(Nout + 6) + F + K + P + 2·Ko``;
    version 2 adds ``2·(Nhid + Nout)``. Per phase: input channels ``Nin + 1 + A_in·(Nhid + 6)``;
    recurrent scan ``Nhid + A_rec·(Nout + 6) + F``; neuron sweep ``(Nhid + Nout)·7 + K + P + 2·Ko``
    (9 instead of 7 for version 2); end 1.
    """
    p = params
    return (p.n_inputs + 1 + active_inputs * (p.n_hidden + DRAIN_CYCLES)
            + p.n_hidden + active_sources * (p.n_outputs + DRAIN_CYCLES) + fanout_entries
            + (p.n_hidden + p.n_outputs) * NEURON_CYCLES[p.version] + own_spikes + alias_pushes
            + 2 * output_spikes + 1)


class XyloCore(wiring.Component):
    """One Xylo LIF array: input weights, recurrent fan-out lists, readout weights, per-neuron
    parameters and all state in memories, updated one synapse or one neuron per cycle.

    Parameters: :class:`~spikegate.hdl.xylo.memory_map.XyloCoreParams` (or its fields as keywords):
    up to 16/1000/8 with 64 fan-out entries per neuron and 32,000 in total; ``version`` 2 adds the
    biases and the Xylo Audio 2 membrane rule. The address map of ``config`` and ``readback_addr`` is
    in :mod:`spikegate.hdl.xylo.memory_map`; :func:`~spikegate.hdl.xylo.memory_map.config_writes`
    encodes a :class:`~spikegate.sim.xylo.XyloConfig`.

    Members:
        counts: In(stream) — payload ``channel`` (``input_bits``), ``count`` (8 bits): this step's
            events on one input channel (above 15 acts as 15; a channel not sent counts 0).
            Accepted while idle; cleared when a step ends.
        step: In(1) — start one time step (while idle).
        busy: Out(1) — a step or a state clear is running.
        done: Out(1) — high for the last cycle of a step.
        spikes: Out(stream) — payload ``neuron`` (``output_bits``): one transfer per readout neuron
            that spikes, ascending, during the step (the step waits for ``ready``).
        config: In(stream) — payload ``addr`` (21 bits), ``data`` (16 bits): write one word of the
            address map. Accepted while idle only: the core never reads while the host writes,
            which is what lets every large memory be one single-port SPRAM.
        readback_addr: In(stream) — payload ``addr`` (21 bits): read one word, while idle.
        readback_data: Out(stream) — payload ``data`` (16 bits): the word, 2 cycles after the
            address; one read per cycle while ``ready`` stays high.
        cycles: Out(32) — clock cycles of the last step (also CTRL ``CYCLES_LO``/``CYCLES_HI``).

    Time step (see :func:`step_cycles` for the cycles): (1) each input channel with a count streams
    every hidden neuron through the synaptic pipeline; (2) a scan over the hidden neurons' last
    spike counts streams each spiking neuron's fan-out list, then its readout weights, through the
    same pipeline; (3) one sweep over the hidden then the readout neurons (:class:`NeuronUnit`)
    decays, integrates, spikes and pushes alias counts. The synaptic pipeline (read weight → read
    state → product → saturating sum → write back) takes one addition per cycle and is drained
    between sources, so every accumulator sees its sources in the spec's order.

    Memories: input weights (``n_inputs << hidden_bits`` words: syn2|syn1 int8), the fan-out list
    (``max_synapses`` words) and MISC (fan-out high bits, readout weights, list lengths) are
    :class:`SinglePortRAM` (SPRAM on the UP5K); Isyn, Isyn2, Vmem, spike counts, thresholds,
    dashes, aliases (and biases) are simple dual-port block RAMs of ``n_hidden + n_outputs`` words,
    the readout neurons after the hidden ones. Spike-count words carry an epoch bit (the step's
    parity) so the next step's counts need no clearing pass.
    """

    def __init__(self, *args, **kwargs):
        """``XyloCore(params)`` with a :class:`XyloCoreParams`, or ``XyloCore(n_inputs, n_hidden, n_outputs,
        max_fanout, max_synapses, version)`` with its fields (positional or keywords; defaults: full size)."""
        if len(args) == 1 and not kwargs and isinstance(args[0], XyloCoreParams):
            params = args[0]
        else:
            params = XyloCoreParams(*args, **kwargs)
        self._params = params
        word = signed(STATE_BITS)
        shapes = {Region.ISYN: word, Region.ISYN2: word, Region.VMEM: word, Region.SPIKES: 6, Region.THRESHOLD: word,
                  Region.DASH: 12, Region.ALIAS: TARGET_BITS + 1, Region.BIAS: word}
        if params.version == 1:
            del shapes[Region.BIAS]
        self.w_in = SinglePortRAM(params.w_in_depth)
        self.fan = SinglePortRAM(params.max_synapses)
        self.misc = SinglePortRAM(params.misc_depth)
        #: Memory (named by its region) -> its words, for simulation; see ``XyloCoreParams.locate``.
        self.memory_data = {region: MemoryData(shape=shape, depth=self.neurons, init=[])
                            for region, shape in shapes.items()}
        self.memory_data |= {Region.W_IN: self.w_in.data, Region.FAN: self.fan.data, Region.MISC: self.misc.data}
        super().__init__({
            "counts": In(stream.Signature(data.StructLayout({"channel": params.input_bits, "count": 8}))),
            "step": In(1),
            "busy": Out(1),
            "done": Out(1),
            "spikes": Out(stream.Signature(data.StructLayout({"neuron": params.output_bits}))),
            "config": In(stream.Signature(data.StructLayout({"addr": ADDRESS_BITS, "data": DATA_BITS}))),
            "readback_addr": In(stream.Signature(data.StructLayout({"addr": ADDRESS_BITS}))),
            "readback_data": Out(stream.Signature(data.StructLayout({"data": DATA_BITS}))),
            "cycles": Out(32),
        })

    @property
    def params(self) -> XyloCoreParams:
        return self._params

    @property
    def neurons(self) -> int:
        """Words of each neuron memory: the hidden neurons, then the readout neurons."""
        return self._params.n_hidden + self._params.n_outputs

    def elaborate(self, platform):
        p = self._params
        m = Module()
        n_hid, n_out, n_in = p.n_hidden, p.n_outputs, p.n_inputs

        # ------------------------------------------------------------ memories
        rams = {}
        for region, contents in self.memory_data.items():
            if region in NEURON_MEMORIES:
                m.submodules[region.name.lower()] = mem = memory.Memory(data=contents)
                rams[region] = (mem.write_port(), mem.read_port())
        m.submodules.w_in, m.submodules.fan, m.submodules.misc = w_in, fan, misc = self.w_in, self.fan, self.misc
        singles = {Region.W_IN: w_in, Region.FAN: fan, Region.MISC: misc}
        isyn_w, isyn_r = rams[Region.ISYN]
        isyn2_w, isyn2_r = rams[Region.ISYN2]
        count_w, count_r = rams[Region.SPIKES]

        # ----------------------------------------------------------- registers
        shift_in, shift_rec, shift_out = (Signal(3, name=n) for n in ("shift_in", "shift_rec", "shift_out"))
        counts = [Signal(4, name=f"count{i}") for i in range(n_in)]  # shifted down as channels are done:
        head = counts[0]  # during the input phase, the count of channel i
        parity = Signal()  # this step's epoch: a spike-count word holds a count of this step iff its bit 5 matches
        cycles = Signal(32)
        clear = Signal()  # the host wrote CTRL CLEAR; registered to keep the address decode out of the FSM
        m.d.comb += self.cycles.eq(cycles)

        # ---------------------------------------------------------- host ports
        idle = Signal()
        rb_pending = Signal()  # a read-back read was issued last cycle
        rb_region = Signal(5)
        rb_offset = Signal(3)
        cfg, rb_in, rb_out = self.config, self.readback_addr, self.readback_data
        skid_valid = Signal()  # a read word the blocked output could not take yet
        skid = Signal(DATA_BITS)
        out_free = ~rb_out.valid | rb_out.ready
        m.d.comb += [
            cfg.ready.eq(idle & ~rb_pending),
            # accept a read only if its word will have a place: the output or the (empty) skid register
            rb_in.ready.eq(idle & ~cfg.valid & ~skid_valid & ~(rb_pending & ~out_free)),
            self.counts.ready.eq(idle),
        ]
        host_write = cfg.valid & cfg.ready
        host_read = rb_in.valid & rb_in.ready
        w_region, w_offset, w_data = cfg.payload.addr[OFFSET_BITS:], cfg.payload.addr[:OFFSET_BITS], cfg.payload.data
        r_region, r_offset = rb_in.payload.addr[OFFSET_BITS:], rb_in.payload.addr[:OFFSET_BITS]

        # the address-map regions each neuron memory answers: its own and its readout region
        regions_of = {region: [region] + [r for r, memory_region in READOUT_MEMORY.items() if memory_region == region]
                      for region in rams}

        def neuron_address(region, offset):  # readout regions live after the hidden neurons
            return Mux(Cat(region == r for r in READOUT_MEMORY).any(), offset + n_hid, offset)

        with m.If(self.counts.valid & self.counts.ready):
            for i in range(n_in):
                with m.If(self.counts.payload.channel == i):
                    c = self.counts.payload.count
                    m.d.sync += counts[i].eq(Mux(c > MAX_INPUT_COUNT, MAX_INPUT_COUNT, c))
        with m.If(idle):  # every memory's address is the host's
            for wr, rd in rams.values():
                m.d.comb += [wr.addr.eq(neuron_address(w_region, w_offset)), rd.addr.eq(neuron_address(r_region, r_offset))]
            for ram_ in singles.values():
                m.d.comb += [ram_.addr.eq(Mux(cfg.valid, w_offset, r_offset)), ram_.wdata.eq(w_data)]
        with m.If(host_write):
            for region, (wr, _) in rams.items():
                with m.If(Cat(w_region == r for r in regions_of[region]).any()):
                    m.d.comb += [wr.data.eq(Cat(w_data[:5], parity) if region == Region.SPIKES else w_data),
                                 wr.en.eq(1)]
            for region, ram_ in singles.items():
                m.d.comb += ram_.we.eq(w_region == region)
            with m.If(w_region == Region.CTRL):
                with m.Switch(w_offset):
                    for offset, reg in ((Ctrl.WSHIFT_IN, shift_in), (Ctrl.WSHIFT_REC, shift_rec),
                                        (Ctrl.WSHIFT_OUT, shift_out)):
                        with m.Case(offset):
                            m.d.sync += reg.eq(w_data)
                    with m.Case(Ctrl.CLEAR):
                        m.d.sync += clear.eq(1)
        m.d.sync += rb_pending.eq(host_read)
        with m.If(host_read):
            m.d.sync += [rb_region.eq(r_region), rb_offset.eq(r_offset)]
        value = Signal(DATA_BITS)  # the word of last cycle's read
        ctrl = Array([shift_in, shift_rec, shift_out, 0, cycles[:16], cycles[16:], 0, 0])
        m.d.comb += value.eq(Mux(rb_region == Region.CTRL, ctrl[rb_offset], 0))
        for region, (_, rd) in rams.items():
            with m.If(Cat(rb_region == r for r in regions_of[region]).any()):
                m.d.comb += value.eq(rd.data[:5] if region == Region.SPIKES else rd.data)
        for region, ram_ in singles.items():
            with m.If(rb_region == region):
                m.d.comb += value.eq(ram_.rdata)
        with m.If(out_free):
            m.d.sync += [rb_out.valid.eq(skid_valid | rb_pending), rb_out.payload.data.eq(Mux(skid_valid, skid, value)),
                         skid_valid.eq(skid_valid & rb_pending), skid.eq(value)]
        with m.Elif(rb_pending):
            m.d.sync += [skid_valid.eq(1), skid.eq(value)]

        # ------------------------------------------------- synaptic pipeline
        # stage 1: weight memories answer; decode, read the target's state
        v1, kind1, count1, index1, lane1 = Signal(), Signal(2), Signal(5), Signal(TARGET_BITS), Signal(2)
        # stage 2: state memories answer; the two synapse units take the addition
        v2, target2, count2, shift2 = Signal(), Signal(TARGET_BITS), Signal(5), Signal(3)
        w1_2, w2_2, we1_2, we2_2 = Signal(signed(8)), Signal(signed(8)), Signal(), Signal()
        # then SynapseUnit.LATENCY stages inside the units, the last one writing back
        tags = [(Signal(name=f"v{k}"), Signal(TARGET_BITS, name=f"target{k}"), Signal(name=f"we1_{k}"),
                 Signal(name=f"we2_{k}")) for k in range(3, 3 + SynapseUnit.LATENCY)]
        pipe_busy = Cat(v1, v2, *(tag[0] for tag in tags)).any()
        issue = Signal()
        issue_kind, issue_count, issue_index, issue_lane = Signal(2), Signal(5), Signal(TARGET_BITS), Signal(2)
        m.d.sync += [v1.eq(issue), kind1.eq(issue_kind), count1.eq(issue_count), index1.eq(issue_index),
                     lane1.eq(issue_lane)]

        fan_high = Signal(3)  # syn << 2 | target[9:8] of the fan-out entry
        m.d.comb += fan_high.eq(misc.rdata.word_select(lane1, 3))
        target1 = Signal(TARGET_BITS)
        weight1 = Signal(signed(8))
        syn1 = Signal()
        with m.Switch(kind1):
            with m.Case(_INPUT):
                m.d.comb += [target1.eq(index1), weight1.eq(w_in.rdata[:8])]
            with m.Case(_RECURRENT):
                m.d.comb += [target1.eq(Cat(fan.rdata[8:], fan_high[:2])), weight1.eq(fan.rdata[:8]),
                             syn1.eq(fan_high[2])]
            with m.Case(_READOUT):
                m.d.comb += [target1.eq(index1 + n_hid), weight1.eq(misc.rdata.word_select(index1[0], 8))]
        with m.If(v1):
            m.d.comb += [isyn_r.addr.eq(target1), isyn2_r.addr.eq(target1)]
        m.d.sync += [
            v2.eq(v1), target2.eq(target1), count2.eq(count1),
            shift2.eq(Array([shift_in, shift_rec, shift_out, 0])[kind1]),
            w1_2.eq(weight1), w2_2.eq(Mux(kind1 == _INPUT, w_in.rdata[8:], weight1)),
            we1_2.eq((kind1 != _RECURRENT) | ~syn1), we2_2.eq((kind1 == _INPUT) | ((kind1 == _RECURRENT) & syn1)),
        ]
        for before, after in zip([(v2, target2, we1_2, we2_2)] + tags, tags):
            m.d.sync += [a.eq(b) for a, b in zip(after, before)]
        m.submodules.lane1 = lane_1 = SynapseUnit()
        m.submodules.lane2 = lane_2 = SynapseUnit()
        for lane, weight, acc in ((lane_1, w1_2, isyn_r.data), (lane_2, w2_2, isyn2_r.data)):
            m.d.comb += [lane.valid.eq(v2), lane.count.eq(count2), lane.weight.eq(weight), lane.shift.eq(shift2),
                         lane.acc.eq(acc)]
        valid_out, target_out, we1_out, we2_out = tags[-1]
        with m.If(valid_out):
            m.d.comb += [isyn_w.addr.eq(target_out), isyn_w.data.eq(lane_1.out), isyn_w.en.eq(we1_out),
                         isyn2_w.addr.eq(target_out), isyn2_w.data.eq(lane_2.out), isyn2_w.en.eq(we2_out)]

        # ---------------------------------------------------------- controller
        m.submodules.neuron = unit = NeuronUnit(p.version)
        i = Signal(range(n_in + 1))
        n = Signal(range(self.neurons))  # input pass neuron, recurrent source, or updated neuron
        o = Signal(range(n_out))
        readout = Signal()  # the neuron sweep is at a readout neuron
        src_count = Signal(5)
        entry = Signal(p.synapse_bits + 1)
        ptr = Signal(p.synapse_bits + 1)
        remaining = Signal(p.length_bits)  # fan-out entries of the source still to issue
        alias = Signal(TARGET_BITS + 1, name="alias_word")
        push = Signal(5)
        length = misc.rdata[:p.length_bits]
        m.d.comb += readout.eq(n >= n_hid)

        def pushed(word_):  # a spike-count word's count for this step: 0 unless written this step
            return Mux(word_[5] == parity, word_[:5], 0)

        def scan(j):  # read source j's last spike count and fan-out length
            return [count_r.addr.eq(j), misc.addr.eq(p.misc_len_base + j)]

        def neuron_reads(index):
            return [rd.addr.eq(index) for _, rd in rams.values()]

        def issue_addition(kind, count, index=0, lane=0):  # start one addition in the synaptic pipeline
            return [issue.eq(1), issue_kind.eq(kind), issue_count.eq(count), issue_index.eq(index),
                    issue_lane.eq(lane)]

        def next_channel():
            m.d.sync += [i.eq(i + 1), Cat(counts).eq(Cat(counts[1:]))]

        def next_source(j):  # go on scanning at j + 1, or start the neuron sweep after the last source
            with m.If(j == n_hid - 1):
                m.d.sync += n.eq(0)
                m.d.comb += neuron_reads(0)
                m.next = "N_START"
            with m.Else():
                m.d.sync += n.eq(j + 1)
                m.d.comb += scan(j + 1)
                m.next = "REC_TEST"

        clearing = Signal()
        m.d.comb += self.busy.eq(~idle)
        with m.If(~idle & ~clearing):  # only a step's cycles
            m.d.sync += cycles.eq(cycles + 1)
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += [idle.eq(~clear), clearing.eq(clear)]
                with m.If(clear):
                    m.d.sync += [n.eq(0), clear.eq(0)]
                    m.next = "CLEAR"
                with m.Elif(self.step):
                    m.d.sync += [parity.eq(~parity), i.eq(0), cycles.eq(0)]
                    m.next = "IN_CHAN"
            with m.State("CLEAR"):
                m.d.comb += clearing.eq(1)
                for region in (Region.ISYN, Region.ISYN2, Region.VMEM, Region.SPIKES):
                    wr = rams[region][0]
                    m.d.comb += [wr.addr.eq(n), wr.data.eq(0), wr.en.eq(1)]
                m.d.sync += [n.eq(n + 1), parity.eq(0)]
                with m.If(n == self.neurons - 1):
                    m.next = "IDLE"

            # 1. input channels ascending, each over every hidden neuron
            with m.State("IN_CHAN"):
                with m.If(i == n_in):
                    m.d.sync += [n.eq(0), ptr.eq(0)]
                    m.d.comb += scan(0)
                    m.next = "REC_TEST"
                with m.Elif(head != 0):
                    m.d.sync += n.eq(0)
                    m.next = "IN_STREAM"
                with m.Else():
                    next_channel()
            with m.State("IN_STREAM"):
                m.d.comb += [w_in.addr.eq(Cat(n[:p.hidden_bits], i[:p.input_bits])), *issue_addition(_INPUT, head, n)]
                m.d.sync += n.eq(n + 1)
                with m.If(n == n_hid - 1):
                    m.next = "IN_DRAIN"
            with m.State("IN_DRAIN"):
                with m.If(~pipe_busy):
                    next_channel()
                    m.next = "IN_CHAN"

            # 2-3. hidden sources ascending that spiked the step before: fan-out list, then readout weights
            with m.State("REC_TEST"):
                spiked = count_r.data[:5]
                with m.If(spiked != 0):
                    m.d.sync += [src_count.eq(spiked), entry.eq(ptr), remaining.eq(length), ptr.eq(ptr + length),
                                 o.eq(0)]
                    m.next = "REC_STREAM"
                    with m.If(length == 0):
                        m.next = "REC_OUT"
                with m.Else():
                    m.d.sync += ptr.eq(ptr + length)
                    next_source(n)
            with m.State("REC_STREAM"):
                m.d.comb += [fan.addr.eq(entry), misc.addr.eq(entry >> 2),
                             *issue_addition(_RECURRENT, src_count, lane=entry[:2])]
                m.d.sync += [entry.eq(entry + 1), remaining.eq(remaining - 1)]
                with m.If(remaining == 1):
                    m.next = "REC_OUT"
            with m.State("REC_OUT"):
                m.d.comb += [misc.addr.eq(p.misc_out_base + n * p.out_words + (o >> 1)),
                             *issue_addition(_READOUT, src_count, o)]
                m.d.sync += o.eq(o + 1)
                with m.If(o == n_out - 1):
                    m.next = "REC_DRAIN"
            with m.State("REC_DRAIN"):
                with m.If(~pipe_busy):
                    next_source(n)

            # 4-7. every neuron, hidden then readout: decay, membrane, spikes, alias push / output spike
            with m.State("N_START"):
                dash = rams[Region.DASH][1].data
                m.d.comb += [unit.start.eq(1), unit.i1.eq(isyn_r.data), unit.i2.eq(Mux(readout, 0, isyn2_r.data)),
                             unit.v.eq(rams[Region.VMEM][1].data), unit.dash_mem.eq(dash[0:4]),
                             unit.dash_syn.eq(dash[4:8]), unit.dash_syn_2.eq(dash[8:12]),
                             unit.threshold.eq(rams[Region.THRESHOLD][1].data),
                             unit.count.eq(Mux(readout, MAX_SPIKES - 1, pushed(count_r.data)))]
                if p.version == 2:
                    m.d.comb += unit.bias.eq(rams[Region.BIAS][1].data)
                m.d.sync += alias.eq(Mux(readout, 0, rams[Region.ALIAS][1].data))
                m.next = "N_WAIT"
            with m.State("N_WAIT"):
                with m.If(unit.done):
                    for region, value in ((Region.ISYN, unit.i1_out), (Region.ISYN2, unit.i2_out),
                                          (Region.VMEM, unit.v_out), (Region.SPIKES, Cat(unit.count_out, parity))):
                        wr = rams[region][0]
                        m.d.comb += [wr.addr.eq(n), wr.data.eq(value), wr.en.eq(1)]
                    m.next = "N_NEXT"
                    with m.If(alias[TARGET_BITS] & (unit.count_out != 0)):
                        m.d.comb += count_r.addr.eq(alias[:TARGET_BITS])
                        m.d.sync += push.eq(unit.count_out)
                        m.next = "N_PUSH"
                    with m.If(readout & (unit.count_out == MAX_SPIKES)):
                        m.next = "N_EMIT"
            with m.State("N_PUSH"):
                total = pushed(count_r.data) + push
                m.d.comb += [count_w.addr.eq(alias[:TARGET_BITS]), count_w.en.eq(1),
                             count_w.data.eq(Cat(Mux(total > MAX_SPIKES, MAX_SPIKES, total)[:5], parity))]
                m.next = "N_NEXT"
            with m.State("N_EMIT"):
                m.d.comb += [self.spikes.valid.eq(1), self.spikes.payload.neuron.eq(n - n_hid)]
                with m.If(self.spikes.ready):
                    m.next = "N_NEXT"
            with m.State("N_NEXT"):
                m.d.comb += neuron_reads(n + 1)
                m.d.sync += n.eq(n + 1)
                m.next = "N_START"
                with m.If(n == self.neurons - 1):
                    m.next = "FINISH"
            with m.State("FINISH"):
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m
