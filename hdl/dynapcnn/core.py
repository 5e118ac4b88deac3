"""One DYNAP-CNN core: convolution, integrate-and-fire neurons and their memories."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from spikegate.sim.dynapcnn.config import CoreConfig

from ..streams import config_request
from .layouts import STATE, WEIGHT, CoreFields, CoreInput, Event
from .limits import CoreLimits
from .memory_map import (BIASES, DATA_BITS, KERNEL, LOCAL_BITS, NEURONS, OFFSET_BITS, REGISTERS, field_init,
                         memory_images)
from .receptive_field import ReceptiveField
from .registers import RegisterFile
from .update import UpdatePipeline

#: A configuration access: word address (within a core: region << 16 | offset, see memory_map), data, and
#: whether it is a write (else a read, answered on ``readback``).
ConfigRequest = config_request(LOCAL_BITS, DATA_BITS)


class DynapcnnCore(wiring.Component):
    """A DYNAP-CNN core: receptive-field address generator → update pipeline, with its registers and the
    kernel (int8), neuron (int16) and bias (int16) memories.

    Parameters:
        limits: memory depths (:class:`CoreLimits`).
        config: optional :class:`~spikegate.sim.dynapcnn.config.CoreConfig` whose registers and memory
            contents the core holds after reset (a configuration built into the design); otherwise all zero
            and the configuration is written through ``config``.

    Members:
        events: In(stream(CoreInput)) — input events (x: 7, y: 7, channel: 10) and leak ticks (leak: 1).
        spikes: Out(stream(Event)) — output events (x = ox: 7, y = oy: 7, feature = f: 10), un-pooled, in
            the order of the updates that cause them.
        config: In(stream(ConfigRequest)) — register and memory accesses (addr: 18, data: 16, write: 1);
            accepted only while the core is idle (``busy`` low) and no read answer is pending.
        readback: Out(stream(unsigned(16))) — the answer to each read, one cycle after it is accepted.
        fields: Out(CoreFields) — the registers, for the router (destinations, monitor).
        busy: Out(1) — an event or leak tick is in the core (generator or pipeline).
        synops: Out(32) — synaptic operations done since reset (event updates, not leak updates).

    Throughput: one synaptic operation per cycle, consecutive events back to back (at most one event
    accepted per two cycles); an output event waiting for ``spikes.ready`` stalls the pipeline. Latency: the
    write-back and output event of an event's first update happen in the 6th cycle after it is accepted.
    """

    def __init__(self, limits: CoreLimits, config: CoreConfig | None = None):
        self._limits = limits
        self._config = config
        self._images = memory_images(config, limits) if config is not None else None
        super().__init__({
            "events": In(stream.Signature(CoreInput)),
            "spikes": Out(stream.Signature(Event)),
            "config": In(stream.Signature(ConfigRequest)),
            "readback": Out(stream.Signature(DATA_BITS)),
            "fields": Out(CoreFields),
            "busy": Out(1),
            "synops": Out(32),
        })

    @property
    def limits(self) -> CoreLimits:
        return self._limits

    def _memory(self, kind: str, shape) -> memory.Memory:
        init = [] if self._images is None else [int(v) for v in self._images[kind]]
        return memory.Memory(shape=shape, depth=self._limits.depths[kind], init=init)

    def elaborate(self, platform):
        m = Module()
        init = None if self._config is None else field_init(self._config, CoreFields)
        m.submodules.registers = registers = RegisterFile(CoreFields, init)
        m.submodules.receptive_field = rf = ReceptiveField(self._limits)
        m.submodules.update = update = UpdatePipeline(self._limits)
        m.submodules.kernel = kernel = self._memory("kernel", WEIGHT)
        m.submodules.neuron = neuron = self._memory("neuron", STATE)
        m.submodules.bias = bias = self._memory("bias", STATE)

        fields = registers.fields
        m.d.comb += [
            self.fields.eq(fields),
            rf.fields.eq(fields),
            update.threshold_high.eq(fields.threshold_high),
            update.threshold_low.eq(fields.threshold_low),
            update.return_to_zero.eq(fields.return_to_zero),
            self.busy.eq(rf.busy | update.busy),
            self.synops.eq(update.synops),
        ]
        wiring.connect(m, rf.ops, update.ops)
        wiring.connect(m, wiring.flipped(self.spikes), update.spikes)

        # configuration: accepted only while idle, one read answer outstanding at most
        request = self.config.payload
        region, offset = request.addr[OFFSET_BITS:], request.addr[:OFFSET_BITS]
        pending, pending_region = Signal(), Signal(2)
        register_data = Signal(DATA_BITS)
        accept = Signal()
        m.d.comb += [
            self.config.ready.eq(~self.busy & ~pending),
            accept.eq(self.config.valid & self.config.ready),
            self.events.ready.eq(rf.jobs.ready & ~pending),
            rf.jobs.valid.eq(self.events.valid & ~pending),
            rf.jobs.payload.eq(self.events.payload),
            registers.addr.eq(offset),
            registers.data.eq(request.data),
            registers.write.eq(accept & request.write & (region == REGISTERS)),
        ]

        # memory ports: the pipeline's while busy, the configuration's while idle
        reads = {BIASES: (bias, update.bias_read), KERNEL: (kernel, update.kernel_read),
                 NEURONS: (neuron, update.neuron_read)}
        read_data = {}
        for number, (mem, pipe) in reads.items():
            port = mem.read_port()
            m.d.comb += [
                port.addr.eq(Mux(self.busy, pipe.addr, offset)),
                port.en.eq(Mux(self.busy, pipe.en, accept & ~request.write)),
                pipe.data.eq(port.data),
            ]
            read_data[number] = port.data
        for number, mem in ((BIASES, bias), (KERNEL, kernel), (NEURONS, neuron)):
            port = mem.write_port()
            config_write = accept & request.write & (region == number)
            if number == NEURONS:
                m.d.comb += [
                    port.addr.eq(Mux(config_write, offset, update.neuron_write.addr)),
                    port.data.eq(Mux(config_write, request.data, update.neuron_write.data)),
                    port.en.eq(config_write | update.neuron_write.en),
                ]
            else:
                m.d.comb += [port.addr.eq(offset), port.data.eq(request.data), port.en.eq(config_write)]

        with m.If(accept & ~request.write):
            m.d.sync += [pending.eq(1), pending_region.eq(region), register_data.eq(registers.read_data)]
        with m.If(self.readback.valid & self.readback.ready):
            m.d.sync += pending.eq(0)
        answers = {REGISTERS: register_data, **read_data}
        m.d.comb += [
            self.readback.valid.eq(pending),
            self.readback.payload.eq(Mux(pending_region[1],
                                         Mux(pending_region[0], answers[NEURONS], answers[KERNEL]),
                                         Mux(pending_region[0], answers[BIASES], answers[REGISTERS]))),
        ]
        return m
