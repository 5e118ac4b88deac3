"""The step controller of the Xylo core: the FSM that sequences one time step (spec §3) over the
synaptic pipeline and the neuron unit."""

from dataclasses import dataclass

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from spikegate.sim.xylo.config import MAX_INPUT_COUNT, MAX_SPIKES

from .host_port import CoreStatus
from .memories import access_signature
from .memory_map import TARGET_BITS, XyloCoreParams
from .neuron import NeuronUnit
from .pipeline import Addition, Source

@dataclass
class _Registers:
    """The controller's registers that several phases of a step use."""

    counts: list  # this step's count (4 bits) per input channel, shifted down as channels are done
    i: Signal  # input channel
    n: Signal  # input pass neuron, recurrent source, or updated neuron
    ptr: Signal  # first fan-out entry of the next recurrent source
    parity: Signal  # this step's epoch: a spike-count word is of this step iff its bit 5 matches


#: Cycles of the neuron sweep per neuron without spikes or pushes, per version (``N_START``, the
#: :class:`NeuronUnit`'s 5 or 7 cycles, ``N_NEXT``).
NEURON_CYCLES = {1: 7, 2: 9}


class StepController(wiring.Component):
    """Runs one time step when ``step`` is raised, and the state clear the host asks for.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.

    Members:
        counts: In(stream) — payload ``channel`` (``input_bits``), ``count`` (8 bits): this step's events on
            one input channel (above 15 acts as 15). Accepted while idle; cleared when a step ends.
        step: In(1) — start one time step (while idle).
        busy: Out(1) — a step or a state clear is running.
        done: Out(1) — high for the last cycle of a step.
        spikes: Out(stream) — payload ``neuron`` (``output_bits``): one transfer per readout neuron that
            spikes, ascending, during the step (the step waits for ``ready``).
        host: Out(:data:`~spikegate.hdl.xylo.host_port.CoreStatus`) — idle, parity and the cycle count
            of the last step (32 bits) for the host port; ``clear`` starts a state clear (taken while idle).
        issue: Out(stream(:data:`~spikegate.hdl.xylo.pipeline.Addition`), always ready) — additions for
            the synaptic pipeline, whose weight memory address is presented in the same cycle.
        pipeline_busy: In(1) — the pipeline still has additions in flight.
        memories: Out(:func:`~spikegate.hdl.xylo.memories.access_signature`).

    A step (cycles: :func:`~spikegate.hdl.xylo.core.step_cycles`): (1) each input channel with a
    count streams every hidden neuron through the pipeline; (2) a scan over the hidden neurons' last
    spike counts streams each spiking neuron's fan-out list, then its readout weights; (3) one sweep over
    the hidden then the readout neurons (:class:`NeuronUnit`) decays, integrates, spikes and pushes alias
    counts. The pipeline is drained between sources, so every accumulator sees its sources in the spec's
    order. A state clear zeroes Isyn, Isyn2, Vmem and the spike counts, one neuron per cycle. Spike-count
    words carry the step's parity as an epoch bit, so the next step's counts need no clearing pass.
    """

    def __init__(self, params: XyloCoreParams):
        if not isinstance(params, XyloCoreParams):
            raise TypeError(f"params: expected a XyloCoreParams, got {type(params).__name__}")
        self._params = params
        super().__init__({
            "counts": In(stream.Signature(data.StructLayout({"channel": params.input_bits, "count": 8}))),
            "step": In(1),
            "busy": Out(1),
            "done": Out(1),
            "spikes": Out(stream.Signature(data.StructLayout({"neuron": params.output_bits}))),
            "host": Out(CoreStatus),
            "issue": Out(stream.Signature(Addition, always_ready=True)),
            "pipeline_busy": In(1),
            "memories": Out(access_signature(params, "controller")),
        })

    def elaborate(self, platform):
        m = Module()
        p, mem = self._params, self.memories
        neurons = p.n_hidden + p.n_outputs
        r = _Registers(counts=[Signal(4, name=f"count{i}") for i in range(p.n_inputs)], i=Signal(range(p.n_inputs + 1)),
                       n=Signal(range(neurons)), ptr=Signal(p.synapse_bits + 1), parity=Signal())
        m.submodules.neuron = unit = NeuronUnit(p.version)
        idle = Signal()
        clearing = Signal()
        clear = Signal()  # the host wrote CTRL CLEAR; registered to keep the address decode out of the FSM
        cycles = Signal(32)
        m.d.comb += [self.host.idle.eq(idle), self.host.parity.eq(r.parity), self.host.cycles.eq(cycles),
                     self.busy.eq(~idle), self.counts.ready.eq(idle)]
        with m.If(self.host.clear):
            m.d.sync += clear.eq(1)
        with m.If(self.counts.valid & self.counts.ready):
            for i, count in enumerate(r.counts):
                with m.If(self.counts.payload.channel == i):
                    c = self.counts.payload.count
                    m.d.sync += count.eq(Mux(c > MAX_INPUT_COUNT, MAX_INPUT_COUNT, c))
        with m.If(~idle & ~clearing):  # only a step's cycles
            m.d.sync += cycles.eq(cycles + 1)
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += [idle.eq(~clear), clearing.eq(clear)]
                with m.If(clear):
                    m.d.sync += [r.n.eq(0), clear.eq(0)]
                    m.next = "CLEAR"
                with m.Elif(self.step):
                    m.d.sync += [r.parity.eq(~r.parity), r.i.eq(0), cycles.eq(0)]
                    m.next = "IN_CHAN"
            with m.State("CLEAR"):
                m.d.comb += [clearing.eq(1), mem.write_addr.eq(r.n)]
                for name in ("isyn", "isyn2", "vmem", "spikes"):
                    m.d.comb += [mem.write_data[name].eq(0), mem.write_en[name].eq(1)]
                m.d.sync += [r.n.eq(r.n + 1), r.parity.eq(0)]
                with m.If(r.n == neurons - 1):
                    m.next = "IDLE"
            self._input_phase(m, r)
            self._recurrent_phase(m, r)
            self._neuron_sweep(m, r, unit)
            with m.State("FINISH"):
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m

    # The phases add their states to the FSM of :meth:`elaborate` (``m`` is its module).
    def _issue(self, m: Module, kind: Source, count, index=0, lane=0):
        """Start one addition in the synaptic pipeline."""
        m.d.comb += [self.issue.valid.eq(1), self.issue.payload.kind.eq(kind),
                           self.issue.payload.count.eq(count), self.issue.payload.index.eq(index),
                           self.issue.payload.lane.eq(lane)]

    def _scan(self, m: Module, j):
        """Read source ``j``'s last spike count and fan-out length."""
        m.d.comb += [self.memories.read_addr.eq(j), self.memories.misc.addr.eq(self._params.misc_len_base + j)]

    def _input_phase(self, m: Module, r: _Registers):
        """1. Input channels ascending, each over every hidden neuron."""
        p, mem, i, n = self._params, self.memories, r.i, r.n
        head = r.counts[0]  # during the input phase, the count of channel i

        def next_channel():
            m.d.sync += [i.eq(i + 1), Cat(r.counts).eq(Cat(r.counts[1:]))]

        with m.State("IN_CHAN"):
            with m.If(i == p.n_inputs):
                m.d.sync += [n.eq(0), r.ptr.eq(0)]
                self._scan(m, 0)
                m.next = "REC_TEST"
            with m.Elif(head != 0):
                m.d.sync += n.eq(0)
                m.next = "IN_STREAM"
            with m.Else():
                next_channel()
        with m.State("IN_STREAM"):
            m.d.comb += mem.w_in.addr.eq(Cat(n[:p.hidden_bits], i[:p.input_bits]))
            self._issue(m, Source.INPUT, head, n)
            m.d.sync += n.eq(n + 1)
            with m.If(n == p.n_hidden - 1):
                m.next = "IN_DRAIN"
        with m.State("IN_DRAIN"):
            with m.If(~self.pipeline_busy):
                next_channel()
                m.next = "IN_CHAN"

    def _recurrent_phase(self, m: Module, r: _Registers):
        """2-3. Hidden sources ascending that spiked the step before: fan-out list, then readout weights."""
        p, mem, n = self._params, self.memories, r.n
        o = Signal(range(p.n_outputs))
        src_count = Signal(5)
        entry = Signal(p.synapse_bits + 1)
        ptr = r.ptr
        remaining = Signal(p.length_bits)  # fan-out entries of the source still to issue
        length = mem.misc.rdata[:p.length_bits]

        def next_source(j):  # go on scanning at j + 1, or start the neuron sweep after the last source
            with m.If(j == p.n_hidden - 1):
                m.d.sync += n.eq(0)
                m.d.comb += mem.read_addr.eq(0)
                m.next = "N_START"
            with m.Else():
                m.d.sync += n.eq(j + 1)
                self._scan(m, j + 1)
                m.next = "REC_TEST"

        with m.State("REC_TEST"):
            spiked = mem.read_data.spikes[:5]
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
            m.d.comb += [mem.fan.addr.eq(entry), mem.misc.addr.eq(entry >> 2)]
            self._issue(m, Source.RECURRENT, src_count, lane=entry[:2])
            m.d.sync += [entry.eq(entry + 1), remaining.eq(remaining - 1)]
            with m.If(remaining == 1):
                m.next = "REC_OUT"
        with m.State("REC_OUT"):
            m.d.comb += mem.misc.addr.eq(p.misc_out_base + n * p.out_words + (o >> 1))
            self._issue(m, Source.READOUT, src_count, o)
            m.d.sync += o.eq(o + 1)
            with m.If(o == p.n_outputs - 1):
                m.next = "REC_DRAIN"
        with m.State("REC_DRAIN"):
            with m.If(~self.pipeline_busy):
                next_source(n)

    def _neuron_sweep(self, m: Module, r: _Registers, unit: NeuronUnit):
        """4-7. Every neuron, hidden then readout: decay, membrane, spikes, alias push or output spike."""
        p, mem, n, parity = self._params, self.memories, r.n, r.parity
        word = mem.read_data
        readout = Signal()  # the sweep is at a readout neuron
        alias = Signal(TARGET_BITS + 1, name="alias_word")
        push = Signal(5)
        m.d.comb += readout.eq(n >= p.n_hidden)

        def pushed(count_word):  # a spike-count word's count for this step: 0 unless written this step
            return Mux(count_word[5] == parity, count_word[:5], 0)

        with m.State("N_START"):
            m.d.comb += [unit.start.eq(1), unit.i1.eq(word.isyn), unit.i2.eq(Mux(readout, 0, word.isyn2)),
                         unit.v.eq(word.vmem), unit.dash_mem.eq(word.dash[0:4]), unit.dash_syn.eq(word.dash[4:8]),
                         unit.dash_syn_2.eq(word.dash[8:12]), unit.threshold.eq(word.threshold),
                         unit.count.eq(Mux(readout, MAX_SPIKES - 1, pushed(word.spikes)))]
            if p.version == 2:
                m.d.comb += unit.bias.eq(word.bias)
            m.d.sync += alias.eq(Mux(readout, 0, word.alias))
            m.next = "N_WAIT"
        with m.State("N_WAIT"):
            with m.If(unit.done):
                m.d.comb += mem.write_addr.eq(n)
                for name, value in (("isyn", unit.i1_out), ("isyn2", unit.i2_out), ("vmem", unit.v_out),
                                    ("spikes", Cat(unit.count_out, parity))):
                    m.d.comb += [mem.write_data[name].eq(value), mem.write_en[name].eq(1)]
                m.next = "N_NEXT"
                with m.If(alias[TARGET_BITS] & (unit.count_out != 0)):
                    m.d.comb += mem.read_addr.eq(alias[:TARGET_BITS])
                    m.d.sync += push.eq(unit.count_out)
                    m.next = "N_PUSH"
                with m.If(readout & (unit.count_out == MAX_SPIKES)):
                    m.next = "N_EMIT"
        with m.State("N_PUSH"):
            total = pushed(word.spikes) + push
            m.d.comb += [mem.write_addr.eq(alias[:TARGET_BITS]), mem.write_en.spikes.eq(1),
                         mem.write_data.spikes.eq(Cat(Mux(total > MAX_SPIKES, MAX_SPIKES, total)[:5], parity))]
            m.next = "N_NEXT"
        with m.State("N_EMIT"):
            m.d.comb += [self.spikes.valid.eq(1), self.spikes.payload.neuron.eq(n - p.n_hidden)]
            with m.If(self.spikes.ready):
                m.next = "N_NEXT"
        with m.State("N_NEXT"):
            m.d.comb += mem.read_addr.eq(n + 1)
            m.d.sync += n.eq(n + 1)
            m.next = "N_START"
            with m.If(n == p.n_hidden + p.n_outputs - 1):
                m.next = "FINISH"
