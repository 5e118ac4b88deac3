"""The DYNAP-CNN chip: up to nine cores, the DVS input layer, routers with FIFOs, monitor output."""

from __future__ import annotations

from collections.abc import Sequence

from amaranth.hdl import Module, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from spikegate.sim.dynapcnn.config import N_CORES, ChipConfig

from .core import DynapcnnCore
from .dvs import DvsLayer
from ..streams import config_request
from .layouts import ChipInput, DvsFields, Event, MonitorOut
from .limits import CoreLimits
from .memory_map import ADDRESS_BITS, DATA_BITS, DVS_SLOT, LOCAL_BITS, field_init
from .registers import RegisterFile
from .router import EventRouter

#: A configuration access of the chip: ``addr`` = slot << 18 | local address (see memory_map).
ChipConfigRequest = config_request(ADDRESS_BITS, DATA_BITS)


def _fifo(layout, depth: int) -> fifo.SyncFIFOBuffered:
    return fifo.SyncFIFOBuffered(width=layout.size, depth=depth)


class DynapcnnChip(wiring.Component):
    """Up to nine :class:`DynapcnnCore` s, the :class:`DvsLayer` and one :class:`EventRouter` per core.

    Data path: ``events`` → input FIFO → DVS layer → (router crossbar) → core → spike FIFO → core's router
    → crossbar → … ; every router's and the DVS layer's monitor copies → monitor FIFO → ``monitor``.

    **Ordering (depth-first, from the hardware).** A router hands an event to a destination core and then
    waits until that core's *tree* is idle (the core, its spike FIFO and its router), so the event and
    everything it caused downstream are finished before the router serves the next destination or takes
    the source's next event; the DVS layer takes the next input item only when its own router is idle. A
    core keeps updating while its router waits (its later spikes queue in its spike FIFO and stall the
    core when it is full), which cannot change the result: routing is acyclic, so nothing downstream
    touches the sending core. Hence the monitor stream equals the depth-first order of
    :class:`~spikegate.sim.dynapcnn.DynapcnnSim` exactly, order included, for any FIFO depth and any
    back-pressure on ``monitor``; at most one event is in flight between two cores at any time.

    Parameters:
        limits: nine entries, :class:`CoreLimits` of each core or None for an absent core.
        config: optional :class:`~spikegate.sim.dynapcnn.config.ChipConfig` built in (registers and memories
            after reset); its used cores must be present.
        input_depth, fifo_depth, monitor_depth: depths of the input FIFO, of each core's spike FIFO and
            of the monitor FIFO.

    Members:
        events: In(stream(ChipInput)) — input items: events (x, y, p, t) or leak ticks (leak, core, t).
        monitor: Out(stream(MonitorOut)) — monitor records (layer, feature, x, y, t of the causing item).
        config: In(stream(ChipConfigRequest)) — configuration accesses (addr: 22, data: 16, write: 1);
            a core accepts them only while idle; accesses to an absent slot are dropped (reads unanswered).
        readback: Out(stream(unsigned(16))) — answers to configuration reads, in order.
        busy: Out(1) — an input item is queued or in process, or a monitor record is queued.
        synops: Out(32) — synaptic operations of all cores since reset.
    """

    def __init__(self, limits: Sequence[CoreLimits | None], config: ChipConfig | None = None, *,
                 input_depth: int = 16, fifo_depth: int = 4, monitor_depth: int = 16):
        limits = tuple(limits)
        if len(limits) != N_CORES:
            raise ValueError(f"limits: {len(limits)} entries given; the chip has exactly {N_CORES} cores")
        if config is not None:
            for i in config.used_cores:
                if limits[i] is None:
                    raise ValueError(f"cores[{i}]: the config uses core {i}, which this chip does not have")
        self._limits = limits
        self._config = config
        self._depths = {"input": input_depth, "fifo": fifo_depth, "monitor": monitor_depth}
        super().__init__({
            "events": In(stream.Signature(ChipInput)),
            "monitor": Out(stream.Signature(MonitorOut)),
            "config": In(stream.Signature(ChipConfigRequest)),
            "readback": Out(stream.Signature(DATA_BITS)),
            "busy": Out(1),
            "synops": Out(32),
        })

    @property
    def present(self) -> tuple[int, ...]:
        """Indices of the cores this chip has."""
        return tuple(i for i, limit in enumerate(self._limits) if limit is not None)

    def elaborate(self, platform):
        m = Module()
        config = self._config
        dvs_init = None if config is None else field_init(config.dvs_layer, DvsFields)
        m.submodules.dvs_registers = dvs_registers = RegisterFile(DvsFields, dvs_init)
        m.submodules.dvs = dvs = DvsLayer()
        m.submodules.input_fifo = input_fifo = _fifo(ChipInput, self._depths["input"])
        m.submodules.monitor_fifo = monitor_fifo = _fifo(MonitorOut, self._depths["monitor"])
        m.d.comb += dvs.fields.eq(dvs_registers.fields)
        wiring.connect(m, wiring.flipped(self.events), input_fifo.w_stream)
        wiring.connect(m, input_fifo.r_stream, dvs.items)

        cores, routers = {}, {}
        tree_busy = Signal(16)
        core_ready = Signal(16, init=(1 << 16) - 1)
        for i in self.present:
            core_config = None if config is None else config.cores[i]
            m.submodules[f"core{i}"] = core = cores[i] = DynapcnnCore(self._limits[i], core_config)
            m.submodules[f"spikes{i}"] = spikes = _fifo(Event, self._depths["fifo"])
            m.submodules[f"router{i}"] = router = routers[i] = EventRouter(i)
            wiring.connect(m, core.spikes, spikes.w_stream)
            wiring.connect(m, spikes.r_stream, router.events)
            m.d.comb += [
                router.fields.monitor_enable.eq(core.fields.monitor_enable),
                router.fields.destinations.eq(core.fields.destinations),
                tree_busy[i].eq(core.busy | (spikes.level != 0) | router.busy),
                core_ready[i].eq(core.events.ready),
            ]

        # crossbar: at most one route is valid at a time (see the class docstring)
        sources = [dvs.route] + [routers[i].route for i in self.present]
        for route in sources:
            m.d.comb += [route.ready.eq(core_ready.bit_select(route.p.target, 1))]
        for src in (dvs, *routers.values()):
            m.d.comb += src.target_busy.eq(tree_busy.bit_select(src.route.p.target, 1))
        for i, core in cores.items():
            for route in reversed(sources):
                with m.If(route.valid & (route.p.target == i)):
                    m.d.comb += [core.events.valid.eq(1), core.events.p.x.eq(route.p.x),
                                 core.events.p.y.eq(route.p.y), core.events.p.channel.eq(route.p.channel),
                                 core.events.p.leak.eq(route.p.leak)]

        # monitor: merge the copies (one at a time), stamp with the input item's t, queue
        stamped = stream.Signature(MonitorOut).create()
        wiring.connect(m, stamped, monitor_fifo.w_stream)
        wiring.connect(m, monitor_fifo.r_stream, wiring.flipped(self.monitor))
        m.d.comb += stamped.p.t.eq(dvs.t)
        for source in reversed([dvs.monitor] + [routers[i].monitor for i in self.present]):
            m.d.comb += source.ready.eq(stamped.ready)
            with m.If(source.valid):
                m.d.comb += [stamped.valid.eq(1), stamped.p.layer.eq(source.p.layer),
                             stamped.p.feature.eq(source.p.feature), stamped.p.x.eq(source.p.x),
                             stamped.p.y.eq(source.p.y)]

        m.d.comb += [
            self.busy.eq((input_fifo.level != 0) | dvs.busy | tree_busy.any() | (monitor_fifo.level != 0)),
            self.synops.eq(sum((core.synops for core in cores.values()), start=0)),
        ]
        self._elaborate_config(m, cores, dvs_registers)
        return m

    def _elaborate_config(self, m, cores, dvs_registers):
        """Configuration accesses go to the slot's core or to the DVS registers; answers come back in order."""
        request = self.config.payload
        slot = request.addr[LOCAL_BITS:]
        dvs_pending = Signal()
        dvs_data = Signal(DATA_BITS)
        to_dvs = self.config.valid & (slot == DVS_SLOT)
        m.d.comb += self.config.ready.eq(1)  # writes to an absent slot are dropped
        m.d.comb += [
            dvs_registers.addr.eq(request.addr[:LOCAL_BITS]),
            dvs_registers.data.eq(request.data),
            dvs_registers.write.eq(to_dvs & ~dvs_pending & request.write),
        ]
        with m.If(slot == DVS_SLOT):
            m.d.comb += self.config.ready.eq(~dvs_pending)
        with m.If(to_dvs & ~dvs_pending & ~request.write):
            m.d.sync += [dvs_pending.eq(1), dvs_data.eq(dvs_registers.read_data)]
        with m.If(dvs_pending):
            m.d.comb += [self.readback.valid.eq(1), self.readback.payload.eq(dvs_data)]
            with m.If(self.readback.ready):
                m.d.sync += dvs_pending.eq(0)
        for i, core in cores.items():
            m.d.comb += [core.config.payload.addr.eq(request.addr[:LOCAL_BITS]),
                         core.config.payload.data.eq(request.data),
                         core.config.payload.write.eq(request.write),
                         core.config.valid.eq(self.config.valid & (slot == i)),
                         core.readback.ready.eq(self.readback.ready)]
            with m.If(slot == i):
                m.d.comb += self.config.ready.eq(core.config.ready)
            with m.If(core.readback.valid):
                m.d.comb += [self.readback.valid.eq(1), self.readback.payload.eq(core.readback.payload)]
