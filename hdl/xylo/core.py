"""``XyloCore``: the Xylo LIF array (``docs/xylo-core.md``) as a time-multiplexed Amaranth core."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .controller import NEURON_CYCLES, StepController
from .host_port import HostPort, config_request, readback_answer, readback_request
from .memories import CLIENTS, CoreMemories
from .memory_map import XyloCoreParams
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

    Parts, one file each: :class:`HostPort` (``config``, read-back, CTRL registers),
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
            "config": In(config_request()),
            "readback_addr": In(readback_request()),
            "readback_data": Out(readback_answer()),
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
        for outer, inner in ((self.config, host.config), (self.readback_addr, host.readback_addr),
                             (self.counts, controller.counts)):
            wiring.connect(m, wiring.flipped(outer), inner)
        for inner, outer in ((host.readback_data, self.readback_data), (controller.spikes, self.spikes)):
            wiring.connect(m, inner, wiring.flipped(outer))
        m.d.comb += [pipeline.shifts.eq(host.shifts), controller.pipeline_busy.eq(pipeline.busy),
                     controller.step.eq(self.step), self.busy.eq(controller.busy), self.done.eq(controller.done),
                     self.cycles.eq(controller.host.cycles)]
        return m
