"""``XyloCore``: the Xylo LIF array (``shared/spec/xylo-core.md``) as a time-multiplexed Amaranth core."""

from amaranth.hdl import Array, Cat, MemoryData, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .arith import STATE_BITS
from .memory_map import (ADDRESS_BITS, DATA_BITS, OFFSET_BITS, TARGET_BITS, Ctrl, Region,
                         XyloCoreParams)
from .neuron import MAX_SPIKES, NeuronUnit
from .spram import SinglePortRAM
from .synapse import SynapseUnit

#: Input events per channel and step that the chip counts (larger counts act as 15).
MAX_INPUT_COUNT = 15
#: Cycles the synaptic pipeline needs to empty after its last issue (issue → write is 4 cycles).
DRAIN_CYCLES = 5

# Kinds of synaptic addition in the pipeline.
_INPUT, _RECURRENT, _READOUT = 0, 1, 2


def step_cycles(params: XyloCoreParams, active_inputs: int, active_sources: int, fanout_entries: int,
                own_spikes: int, alias_pushes: int, output_spikes: int) -> int:
    """Clock cycles one time step keeps :class:`XyloCore` busy (``step`` to ``done``, inclusive of
    ``done``), when the readout spike stream is always ready.

    Args:
        active_inputs: input channels with a count > 0 this step (``A_in``).
        active_sources: hidden neurons that spiked the step before (``A_rec``).
        fanout_entries: recurrent fan-out entries of those neurons (``F``).
        own_spikes: hidden spikes emitted this step by the neurons themselves, before aliasing (``K``).
        alias_pushes: neurons with an alias target and a non-zero count this step (``P``).
        output_spikes: readout spikes this step (``Ko``).

    Version 1: ``Nin + 5 + 7·Nhid + 6·Nout + A_in·(Nhid + 5) + A_rec·(Nout + 5) + F + K + P + 2·Ko``;
    version 2 adds ``2·(Nhid + Nout)`` (two more membrane states per neuron). Each phase: input
    channels ``Nin + 1 + A_in·(Nhid + DRAIN)``; recurrent scan ``1 + Nhid + A_rec·(Nout + DRAIN) + F``;
    hidden neurons ``1 + Nhid·6 + K + P``; readout neurons ``1 + Nout·6 + 2·Ko``; the end 1.
    """
    p = params
    per_neuron = 6 + 2 * (p.version == 2)
    return (p.n_inputs + 1 + active_inputs * (p.n_hidden + DRAIN_CYCLES)
            + 1 + p.n_hidden + active_sources * (p.n_outputs + DRAIN_CYCLES) + fanout_entries
            + 1 + p.n_hidden * per_neuron + own_spikes + alias_pushes
            + 1 + p.n_outputs * per_neuron + 2 * output_spikes + 1)


class XyloCore(wiring.Component):
    """One Xylo LIF array: input weights, recurrent fan-out lists, readout weights, per-neuron
    parameters and all state in memories, updated one synapse or one neuron at a time.

    Parameters are those of :class:`~spikegate.hdl.xylo.memory_map.XyloCoreParams` (up to 16/1000/8
    with 64 fan-out entries per neuron and 32,000 in total; ``version`` 2 adds the biases and the
    Xylo Audio 2 membrane rule). The address map of ``config``/``readback_addr`` is documented in
    :mod:`spikegate.hdl.xylo.memory_map`; :func:`~spikegate.hdl.xylo.memory_map.config_writes` encodes
    a :class:`~spikegate.sim.xylo.XyloConfig`.

    Members:
        counts: In(stream) — payload ``channel`` (input bits), ``count`` (8 bits): this step's events
            of one input channel (counts above 15 act as 15; a channel not sent counts 0). Accepted
            while idle; the counts are cleared when a step ends.
        step: In(1) — start one time step (while idle).
        busy: Out(1) — a step (or a state clear) is running.
        done: Out(1) — one cycle at the end of a step.
        spikes: Out(stream) — payload ``neuron`` (output bits): one transfer per readout neuron that
            spikes, in ascending order, during the step (the step waits for ``ready``).
        config: In(stream) — payload ``addr`` (21 bits), ``data`` (16 bits): write one word of the
            address map. Accepted while idle (the core never runs while the host writes; this is
            what lets every large memory be a single-port SPRAM).
        readback_addr: In(stream) — payload ``addr`` (21 bits): read one word of the address map,
            while idle.
        readback_data: Out(stream) — payload ``data`` (16 bits): the word read, 2 cycles later.
        cycles: Out(32) — clock cycles of the last step (also at CTRL ``CYCLES_LO``/``CYCLES_HI``).

    Cycles per step: :func:`step_cycles` (one synaptic addition per cycle, one threshold subtraction
    per cycle, a fixed number of cycles per neuron).

    Memories: input weights (``n_inputs << hidden_bits`` × 16: syn2|syn1 int8), fan-out list
    (``max_synapses`` × 16) and MISC (fan-out high bits, readout weights, list lengths) are
    :class:`SinglePortRAM` (SPRAM on the UP5K); state (Isyn, Isyn2, Vmem, spike counts) and
    per-neuron parameters are simple dual-port block RAMs.
    """

    def __init__(self, params: XyloCoreParams | None = None, **kwargs):
        if params is None:
            params = XyloCoreParams(**kwargs)
        elif kwargs:
            raise TypeError("give either params or size keywords, not both")
        self._params = params
        word = signed(STATE_BITS)
        n_hid, n_out = params.n_hidden, params.n_outputs
        shapes = {Region.ISYN: (word, n_hid), Region.ISYN2: (word, n_hid), Region.VMEM: (word, n_hid),
                  Region.SPIKES: (6, n_hid), Region.THRESHOLD: (word, n_hid), Region.DASH: (12, n_hid),
                  Region.ALIAS: (TARGET_BITS + 1, n_hid), Region.ISYN_OUT: (word, n_out),
                  Region.VMEM_OUT: (word, n_out), Region.THRESHOLD_OUT: (word, n_out), Region.DASH_OUT: (8, n_out)}
        if params.version == 2:
            shapes |= {Region.BIAS: (word, n_hid), Region.BIAS_OUT: (word, n_out)}
        self.w_in = SinglePortRAM(params.w_in_depth)
        self.fan = SinglePortRAM(params.max_synapses)
        self.misc = SinglePortRAM(params.misc_depth)
        #: Region -> contents of its memory (block RAMs and :class:`SinglePortRAM`), for simulation.
        self.memory_data = {region: MemoryData(shape=shape, depth=depth, init=[])
                            for region, (shape, depth) in shapes.items()}
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

    def elaborate(self, platform):
        p = self._params
        m = Module()
        n_hid, n_out, n_in = p.n_hidden, p.n_outputs, p.n_inputs

        # ------------------------------------------------------------ memories
        def ram(region):
            m.submodules[region.name.lower()] = mem = memory.Memory(data=self.memory_data[region])
            return mem.write_port(), mem.read_port()

        hidden = {region: ram(region) for region in (Region.ISYN, Region.ISYN2, Region.VMEM, Region.SPIKES,
                                                      Region.THRESHOLD, Region.DASH, Region.ALIAS)}
        readout = {region: ram(region) for region in (Region.ISYN_OUT, Region.VMEM_OUT, Region.THRESHOLD_OUT,
                                                       Region.DASH_OUT)}
        if p.version == 2:
            hidden[Region.BIAS] = ram(Region.BIAS)
            readout[Region.BIAS_OUT] = ram(Region.BIAS_OUT)
        rams = hidden | readout
        m.submodules.w_in, m.submodules.fan, m.submodules.misc = w_in, fan, misc = self.w_in, self.fan, self.misc
        singles = {Region.W_IN: w_in, Region.FAN: fan, Region.MISC: misc}
        isyn_w, isyn_r = hidden[Region.ISYN]
        isyn2_w, isyn2_r = hidden[Region.ISYN2]
        count_w, count_r = hidden[Region.SPIKES]
        io_w, io_r = readout[Region.ISYN_OUT]

        # ----------------------------------------------------------- registers
        shift_in, shift_rec, shift_out = (Signal(3, name=n) for n in ("shift_in", "shift_rec", "shift_out"))
        counts = Array(Signal(4, name=f"count{i}") for i in range(n_in))
        parity = Signal()  # epoch of this step's spike counts: a count word is "pushed this step" iff it matches
        cycles = Signal(32)
        m.d.comb += self.cycles.eq(cycles)

        # ---------------------------------------------------------- host ports
        idle = Signal()
        rb_pending = Signal()  # a read-back read was issued last cycle
        rb_region = Signal(5)
        rb_offset = Signal(OFFSET_BITS)
        cfg, rb_in, rb_out = self.config, self.readback_addr, self.readback_data
        m.d.comb += [
            cfg.ready.eq(idle & ~rb_pending),
            rb_in.ready.eq(idle & ~rb_pending & ~cfg.valid & (~rb_out.valid | rb_out.ready)),
            self.counts.ready.eq(idle),
        ]
        host_write = cfg.valid & cfg.ready
        host_read = rb_in.valid & rb_in.ready
        w_region, w_offset, w_data = cfg.payload.addr[OFFSET_BITS:], cfg.payload.addr[:OFFSET_BITS], cfg.payload.data
        host_offset = Mux(cfg.valid, w_offset, rb_in.payload.addr[:OFFSET_BITS])
        with m.If(self.counts.valid & self.counts.ready):
            for i in range(n_in):
                with m.If(self.counts.payload.channel == i):
                    c = self.counts.payload.count
                    m.d.sync += counts[i].eq(Mux(c > MAX_INPUT_COUNT, MAX_INPUT_COUNT, c))
        with m.If(idle):  # default addresses of every memory: the host's
            for wr, rd in rams.values():
                m.d.comb += [wr.addr.eq(w_offset), rd.addr.eq(host_offset)]
            for ram_ in singles.values():
                m.d.comb += [ram_.addr.eq(host_offset), ram_.wdata.eq(w_data)]
        with m.If(host_write):
            for region, (wr, _) in rams.items():
                value = Cat(w_data[:5], parity) if region == Region.SPIKES else w_data
                with m.If(w_region == region):
                    m.d.comb += [wr.data.eq(value), wr.en.eq(1)]
            for region, ram_ in singles.items():
                m.d.comb += ram_.we.eq(w_region == region)
            with m.If(w_region == Region.CTRL):
                with m.Switch(w_offset):
                    for offset, reg in ((Ctrl.WSHIFT_IN, shift_in), (Ctrl.WSHIFT_REC, shift_rec),
                                        (Ctrl.WSHIFT_OUT, shift_out)):
                        with m.Case(offset):
                            m.d.sync += reg.eq(w_data)
        m.d.sync += rb_pending.eq(host_read)
        with m.If(host_read):
            m.d.sync += [rb_region.eq(rb_in.payload.addr[OFFSET_BITS:]), rb_offset.eq(rb_in.payload.addr)]
        with m.If(rb_out.ready):
            m.d.sync += rb_out.valid.eq(0)
        with m.If(rb_pending):
            ctrl = Array([shift_in, shift_rec, shift_out, 0, cycles[:16], cycles[16:], 0, 0])
            value = Signal(DATA_BITS)
            m.d.comb += value.eq(Mux(rb_region == Region.CTRL, ctrl[rb_offset[:3]], 0))
            for region, (_, rd) in rams.items():
                with m.If(rb_region == region):
                    m.d.comb += value.eq(rd.data[:5] if region == Region.SPIKES else rd.data)
            for region, ram_ in singles.items():
                with m.If(rb_region == region):
                    m.d.comb += value.eq(ram_.rdata)
            m.d.sync += [rb_out.payload.data.eq(value), rb_out.valid.eq(1)]

        # ------------------------------------------------- synaptic pipeline
        # stage 1: weight memories answer; decode and read the target's state
        v1, kind1, count1, index1, lane1 = Signal(), Signal(2), Signal(5), Signal(TARGET_BITS), Signal(2)
        # stage 2: state memories answer; feed the two synapse units (Isyn / Isyn_out, and Isyn2)
        v2, out2, target2, count2, shift2 = Signal(), Signal(), Signal(TARGET_BITS), Signal(5), Signal(3)
        w1_2, w2_2, we1_2, we2_2 = Signal(signed(8)), Signal(signed(8)), Signal(), Signal()
        # stages 3-4: inside the synapse units; write back at stage 4
        v3, out3, target3, we1_3, we2_3 = Signal(), Signal(), Signal(TARGET_BITS), Signal(), Signal()
        v4, out4, target4, we1_4, we2_4 = Signal(), Signal(), Signal(TARGET_BITS), Signal(), Signal()
        pipe_busy = v1 | v2 | v3 | v4
        issue = Signal()
        issue_kind, issue_count, issue_index, issue_lane = Signal(2), Signal(5), Signal(TARGET_BITS), Signal(2)
        m.d.sync += [v1.eq(issue), kind1.eq(issue_kind), count1.eq(issue_count), index1.eq(issue_index),
                     lane1.eq(issue_lane)]

        fan_high = Signal(3)
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
                m.d.comb += [target1.eq(index1), weight1.eq(misc.rdata.word_select(index1[0], 8))]
        with m.If(v1):
            m.d.comb += [isyn_r.addr.eq(target1), isyn2_r.addr.eq(target1), io_r.addr.eq(target1)]
        m.d.sync += [
            v2.eq(v1), out2.eq(kind1 == _READOUT), target2.eq(target1), count2.eq(count1),
            shift2.eq(Array([shift_in, shift_rec, shift_out, 0])[kind1]),
            w1_2.eq(weight1), w2_2.eq(Mux(kind1 == _INPUT, w_in.rdata[8:], weight1)),
            we1_2.eq((kind1 != _RECURRENT) | ~syn1), we2_2.eq((kind1 == _INPUT) | ((kind1 == _RECURRENT) & syn1)),
            v3.eq(v2), out3.eq(out2), target3.eq(target2), we1_3.eq(we1_2), we2_3.eq(we2_2),
            v4.eq(v3), out4.eq(out3), target4.eq(target3), we1_4.eq(we1_3), we2_4.eq(we2_3),
        ]
        m.submodules.lane1 = lane_1 = SynapseUnit()
        m.submodules.lane2 = lane_2 = SynapseUnit()
        m.d.comb += [
            lane_1.valid.eq(v2), lane_1.count.eq(count2), lane_1.weight.eq(w1_2), lane_1.shift.eq(shift2),
            lane_1.acc.eq(Mux(out2, io_r.data, isyn_r.data)),
            lane_2.valid.eq(v2), lane_2.count.eq(count2), lane_2.weight.eq(w2_2), lane_2.shift.eq(shift2),
            lane_2.acc.eq(isyn2_r.data),
        ]
        with m.If(v4 & out4):
            m.d.comb += [io_w.addr.eq(target4), io_w.data.eq(lane_1.out), io_w.en.eq(we1_4)]
        with m.If(v4 & ~out4):
            m.d.comb += [isyn_w.addr.eq(target4), isyn_w.data.eq(lane_1.out), isyn_w.en.eq(we1_4),
                         isyn2_w.addr.eq(target4), isyn2_w.data.eq(lane_2.out), isyn2_w.en.eq(we2_4)]

        # ------------------------------------------------------ neuron unit
        m.submodules.neuron = unit = NeuronUnit(p.version)
        alias = Signal(TARGET_BITS + 1)
        push = Signal(5)

        def pushed(word_):  # a count word's value for this step: 0 unless written this step
            return Mux(word_[5] == parity, word_[:5], 0)

        # ---------------------------------------------------------- controller
        i = Signal(range(n_in + 1))
        n = Signal(range(n_hid + 1))  # input pass neuron, recurrent source j, or updated neuron
        o = Signal(range(n_out + 1))
        src_count = Signal(5)
        entry = Signal(p.synapse_bits + 1)
        end = Signal(p.synapse_bits + 1)
        ptr = Signal(p.synapse_bits + 1)
        clear_index = Signal(range(max(n_hid, n_out) + 1))
        length = misc.rdata[:p.length_bits]

        def state_reads(index):
            return [rd.addr.eq(index) for region, (_, rd) in hidden.items()]

        def scan(index):  # read source ``index``'s spike count and fan-out length
            return [count_r.addr.eq(index), misc.addr.eq(p.misc_len_base + index)]

        def next_source(j):  # go on scanning at j + 1, or start the neuron updates after the last source
            with m.If(j == n_hid - 1):
                m.d.sync += n.eq(0)
                m.next = "N_ADDR"
            with m.Else():
                m.d.sync += n.eq(j + 1)
                m.d.comb += scan(j + 1)
                m.next = "REC_TEST"

        m.d.comb += self.busy.eq(~idle)
        with m.If(~idle):
            m.d.sync += cycles.eq(cycles + 1)
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += idle.eq(1)
                with m.If(self.step):
                    m.d.sync += [parity.eq(~parity), i.eq(0), cycles.eq(0)]
                    m.next = "IN_CHAN"
                with m.Elif(host_write & (w_region == Region.CTRL) & (w_offset == Ctrl.CLEAR)):
                    m.d.sync += clear_index.eq(0)
                    m.next = "CLEAR"
            with m.State("CLEAR"):
                for wr, _ in (hidden[r] for r in (Region.ISYN, Region.ISYN2, Region.VMEM, Region.SPIKES)):
                    m.d.comb += [wr.addr.eq(clear_index), wr.data.eq(0), wr.en.eq(clear_index < n_hid)]
                for wr, _ in (readout[r] for r in (Region.ISYN_OUT, Region.VMEM_OUT)):
                    m.d.comb += [wr.addr.eq(clear_index), wr.data.eq(0), wr.en.eq(clear_index < n_out)]
                m.d.sync += [clear_index.eq(clear_index + 1), parity.eq(0)]
                with m.If(clear_index == max(n_hid, n_out) - 1):
                    m.next = "IDLE"

            # 1. input channels ascending, each over every hidden neuron
            with m.State("IN_CHAN"):
                with m.If(i == n_in):
                    m.d.sync += [n.eq(0), ptr.eq(0)]
                    m.next = "REC_ADDR"
                with m.Elif(counts[i] != 0):
                    m.d.sync += n.eq(0)
                    m.next = "IN_STREAM"
                with m.Else():
                    m.d.sync += i.eq(i + 1)
            with m.State("IN_STREAM"):
                m.d.comb += [w_in.addr.eq(Cat(n[:p.hidden_bits], i[:p.input_bits])), issue.eq(1),
                             issue_kind.eq(_INPUT), issue_count.eq(counts[i]), issue_index.eq(n)]
                m.d.sync += n.eq(n + 1)
                with m.If(n == n_hid - 1):
                    m.next = "IN_DRAIN"
            with m.State("IN_DRAIN"):
                with m.If(~pipe_busy):
                    m.d.sync += i.eq(i + 1)
                    m.next = "IN_CHAN"

            # 2-3. hidden sources ascending that spiked the step before: fan-out list, then readout weights
            with m.State("REC_ADDR"):
                m.d.comb += scan(n)
                m.next = "REC_TEST"
            with m.State("REC_TEST"):
                spiked = count_r.data[:5]
                with m.If(spiked != 0):
                    m.d.sync += [src_count.eq(spiked), entry.eq(ptr), end.eq(ptr + length), o.eq(0)]
                    m.next = "REC_STREAM"
                    with m.If(length == 0):
                        m.next = "REC_OUT"
                with m.Else():
                    m.d.sync += ptr.eq(ptr + length)
                    next_source(n)
            with m.State("REC_STREAM"):
                m.d.comb += [fan.addr.eq(entry), misc.addr.eq(entry >> 2), issue.eq(1),
                             issue_kind.eq(_RECURRENT), issue_count.eq(src_count), issue_lane.eq(entry[:2])]
                m.d.sync += entry.eq(entry + 1)
                with m.If(entry + 1 == end):
                    m.next = "REC_OUT"
            with m.State("REC_OUT"):
                m.d.comb += [misc.addr.eq(p.misc_out_base + n * p.out_words + (o >> 1)), issue.eq(1),
                             issue_kind.eq(_READOUT), issue_count.eq(src_count), issue_index.eq(o)]
                m.d.sync += o.eq(o + 1)
                with m.If(o == n_out - 1):
                    m.next = "REC_DRAIN"
            with m.State("REC_DRAIN"):
                with m.If(~pipe_busy):
                    m.d.sync += ptr.eq(end)
                    next_source(n)

            # 4-6. hidden neurons ascending: decay, membrane, spikes, alias push
            with m.State("N_ADDR"):
                m.d.comb += state_reads(n)
                m.next = "N_START"
            with m.State("N_START"):
                dash = hidden[Region.DASH][1].data
                m.d.comb += [unit.start.eq(1), unit.i1.eq(isyn_r.data), unit.i2.eq(isyn2_r.data),
                             unit.v.eq(hidden[Region.VMEM][1].data), unit.dash_mem.eq(dash[0:4]),
                             unit.dash_syn.eq(dash[4:8]), unit.dash_syn_2.eq(dash[8:12]),
                             unit.threshold.eq(hidden[Region.THRESHOLD][1].data), unit.count.eq(pushed(count_r.data))]
                if p.version == 2:
                    m.d.comb += unit.bias.eq(hidden[Region.BIAS][1].data)
                m.d.sync += alias.eq(hidden[Region.ALIAS][1].data)
                m.next = "N_WAIT"
            with m.State("N_WAIT"):
                with m.If(unit.done):
                    for region, value in ((Region.ISYN, unit.i1_out), (Region.ISYN2, unit.i2_out),
                                          (Region.VMEM, unit.v_out), (Region.SPIKES, Cat(unit.count_out, parity))):
                        wr = hidden[region][0]
                        m.d.comb += [wr.addr.eq(n), wr.data.eq(value), wr.en.eq(1)]
                    with m.If(alias[TARGET_BITS] & (unit.count_out != 0)):
                        m.d.comb += count_r.addr.eq(alias[:TARGET_BITS])
                        m.d.sync += push.eq(unit.count_out)
                        m.next = "N_PUSH"
                    with m.Else():
                        m.next = "N_NEXT"
            with m.State("N_PUSH"):
                total = pushed(count_r.data) + push
                m.d.comb += [count_w.addr.eq(alias[:TARGET_BITS]), count_w.en.eq(1),
                             count_w.data.eq(Cat(Mux(total > MAX_SPIKES, MAX_SPIKES, total)[:5], parity))]
                m.next = "N_NEXT"
            with m.State("N_NEXT"):
                m.d.comb += state_reads(n + 1)
                m.d.sync += n.eq(n + 1)
                m.next = "N_START"
                with m.If(n == n_hid - 1):
                    m.d.sync += o.eq(0)
                    m.next = "O_ADDR"

            # 4-5, 7. readout neurons: the neuron unit with Isyn2 = 0 and the counter at 30 (one spike)
            with m.State("O_ADDR"):
                m.d.comb += [rd.addr.eq(o) for _, rd in readout.values()]
                m.next = "O_START"
            with m.State("O_START"):
                dash = readout[Region.DASH_OUT][1].data
                m.d.comb += [unit.start.eq(1), unit.i1.eq(io_r.data), unit.i2.eq(0),
                             unit.v.eq(readout[Region.VMEM_OUT][1].data), unit.dash_mem.eq(dash[0:4]),
                             unit.dash_syn.eq(dash[4:8]), unit.threshold.eq(readout[Region.THRESHOLD_OUT][1].data),
                             unit.count.eq(MAX_SPIKES - 1)]
                if p.version == 2:
                    m.d.comb += unit.bias.eq(readout[Region.BIAS_OUT][1].data)
                m.next = "O_WAIT"
            with m.State("O_WAIT"):
                with m.If(unit.done):
                    for region, value in ((Region.ISYN_OUT, unit.i1_out), (Region.VMEM_OUT, unit.v_out)):
                        wr = readout[region][0]
                        m.d.comb += [wr.addr.eq(o), wr.data.eq(value), wr.en.eq(1)]
                    m.next = "O_NEXT"
                    with m.If(unit.count_out == MAX_SPIKES):
                        m.next = "O_EMIT"
            with m.State("O_EMIT"):
                m.d.comb += [self.spikes.valid.eq(1), self.spikes.payload.neuron.eq(o)]
                with m.If(self.spikes.ready):
                    m.next = "O_NEXT"
            with m.State("O_NEXT"):
                m.d.comb += [rd.addr.eq(o + 1) for _, rd in readout.values()]
                m.d.sync += o.eq(o + 1)
                m.next = "O_START"
                with m.If(o == n_out - 1):
                    m.next = "FINISH"
            with m.State("FINISH"):
                m.d.comb += self.done.eq(1)
                m.d.sync += [c.eq(0) for c in counts]
                m.next = "IDLE"
        return m
