"""``XyloCore``: the Xylo LIF array (``docs/xylo-core.md``) as a time-multiplexed Amaranth core."""

from amaranth.hdl import Module, Mux
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .controller import NEURON_CYCLES, StepController
from .host_port import HostPort
from .memories import CLIENTS, CoreMemories
from .memory_map import ADDRESS_BITS, DATA_BITS, XyloCoreParams
from .pipeline import DRAIN_CYCLES, SynapticPipeline


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

    ``config`` and ``readback_addr`` share the host port's one request stream (the configuration-bus
    convention of the DYNAP-CNN core: :data:`~spikegate.hdl.xylo.host_port.ConfigRequest` and a
    ``readback`` stream), a write first; they stay two streams here for the drivers built on them
    (the compiled simulator's, the cocotb and Verilog testbenches, the FPGA adapter).

    Parts, one file each: :class:`HostPort` (configuration and read-back, CTRL registers),
    :class:`StepController` (the FSM of a step, ``counts``, ``step``, ``spikes``; the
    :class:`NeuronUnit` sweep), :class:`SynapticPipeline` (one synaptic addition per cycle) and
    :class:`CoreMemories`, which they take turns on. Cycles of a step: :func:`step_cycles`.
    """

    def __init__(self, *args, **kwargs):
        """``XyloCore(params)`` with a :class:`XyloCoreParams`, or ``XyloCore(n_inputs, n_hidden, n_outputs,
        max_fanout, max_synapses, version)`` with its fields (positional or keywords; defaults: full size)."""
        if len(args) == 1 and not kwargs and isinstance(args[0], XyloCoreParams):
            params = args[0]
        else:
            params = XyloCoreParams(*args, **kwargs)
        self._params = params
        self._parts = {"memories": CoreMemories(params), "host": HostPort(params),
                       "pipeline": SynapticPipeline(params), "controller": StepController(params)}
        #: Memory (named by its region) -> its words, for simulation; see ``XyloCoreParams.locate``.
        self.memory_data = self._parts["memories"].data
        controller = self._parts["controller"].signature.members
        super().__init__({
            "counts": controller["counts"],
            "step": controller["step"],
            "busy": controller["busy"],
            "done": controller["done"],
            "spikes": controller["spikes"],
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
        m = Module()
        for name, part in self._parts.items():
            m.submodules[name] = part
        memories, host, pipeline, controller = self._parts.values()
        for client in CLIENTS:  # "host", "pipeline", "controller": each part's memories member
            wiring.connect(m, self._parts[client].memories, getattr(memories, client))
        wiring.connect(m, controller.host, host.core)
        wiring.connect(m, controller.issue, pipeline.issue)
        wiring.connect(m, wiring.flipped(self.counts), controller.counts)
        wiring.connect(m, controller.spikes, wiring.flipped(self.spikes))
        self._host_requests(m, host)
        m.d.comb += [pipeline.shifts.eq(host.shifts), controller.pipeline_busy.eq(pipeline.busy),
                     controller.step.eq(self.step), self.busy.eq(controller.busy), self.done.eq(controller.done),
                     self.cycles.eq(controller.host.cycles)]
        return m

    def _host_requests(self, m: Module, host: HostPort):
        """``config`` and ``readback_addr`` onto the host port's one request stream (a write first),
        its ``readback`` onto ``readback_data``."""
        writing = self.config.valid
        m.d.comb += [
            host.config.valid.eq(writing | self.readback_addr.valid),
            host.config.payload.write.eq(writing),
            host.config.payload.addr.eq(Mux(writing, self.config.payload.addr, self.readback_addr.payload.addr)),
            host.config.payload.data.eq(self.config.payload.data),
            self.config.ready.eq(host.config.ready),
            self.readback_addr.ready.eq(host.config.ready & ~writing),
            self.readback_data.valid.eq(host.readback.valid),
            self.readback_data.payload.data.eq(host.readback.payload),
            host.readback.ready.eq(self.readback_data.ready),
        ]
