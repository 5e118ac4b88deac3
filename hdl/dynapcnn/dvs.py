"""The chip's input stage: the DVS layer (merge, pool, crop, mirror, swap) and leak-tick dispatch."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import COORD, TIMESTAMP, ChipInput, DvsFields, Monitor, Route
from .memory_map import DVS_SLOT
from .router import EventRouter


class DvsLayer(wiring.Component):
    """Takes the chip's input items one at a time and holds each until everything it caused is done.

    An event (x, y, p): its monitor copy (layer 9, as received) when ``monitor_enable``; then merge
    (channel 0) → sum pool (x // pooling.x, y // pooling.y) → crop to origin..cut → flip y, flip x within
    the crop → swap x and y; an event inside the crop goes to the DVS layer's :class:`EventRouter`
    (destinations with their pooling and feature_shift, depth-first). A leak item: one leak tick sent to
    core ``core``. The next item is taken only when the router (or the ticked core) is idle again, so the
    chip processes exactly one input item at a time and ``t`` stamps all the output it causes.

    Members:
        fields: In(DvsFields) — the DVS layer's registers.
        items: In(stream(ChipInput)) — input events and leak ticks.
        monitor: Out(stream(Monitor)) — monitor copies of input events.
        route: Out(stream(Route)) — events and leak ticks for the cores.
        target_busy: In(1) — the core named by ``route.payload.target`` (and its tree) is busy.
        t: Out(32) — timestamp of the item being processed.
        busy: Out(1) — an item is being processed.

    Cycles per item: 2 (accept, route) + 1 for a monitor copy + the router's cycles.
    """

    def __init__(self):
        super().__init__({
            "fields": In(DvsFields),
            "items": In(stream.Signature(ChipInput)),
            "monitor": Out(stream.Signature(Monitor)),
            "route": Out(stream.Signature(Route)),
            "target_busy": In(1),
            "t": Out(TIMESTAMP),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.router = router = EventRouter(DVS_SLOT)
        dvs = self.fields
        item = Signal(ChipInput)
        m.d.comb += [
            self.t.eq(item.t),
            router.fields.destinations.eq(dvs.destinations),
            self.monitor.p.layer.eq(DVS_SLOT),
            self.monitor.p.feature.eq(item.p),
            self.monitor.p.x.eq(item.x),
            self.monitor.p.y.eq(item.y),
        ]

        # merge, pool, crop, mirror, swap
        px, py = Signal(COORD), Signal(COORD)
        m.d.comb += [px.eq(item.x >> (dvs.pooling.x >> 1)), py.eq(item.y >> (dvs.pooling.y >> 1))]
        inside = (px >= dvs.origin.x) & (px <= dvs.cut.x) & (py >= dvs.origin.y) & (py <= dvs.cut.y)
        cx, cy = Signal(COORD), Signal(COORD)
        m.d.comb += [
            cx.eq(Mux(dvs.mirror_x, dvs.cut.x - px, px - dvs.origin.x)),
            cy.eq(Mux(dvs.mirror_y, dvs.cut.y - py, py - dvs.origin.y)),
            router.events.p.x.eq(Mux(dvs.mirror_diagonal, cy, cx)),
            router.events.p.y.eq(Mux(dvs.mirror_diagonal, cx, cy)),
            router.events.p.feature.eq(Mux(dvs.merge, 0, item.p)),
        ]

        # the route goes to the router's output, or carries a leak tick
        with m.If(router.busy):
            m.d.comb += [self.route.payload.eq(router.route.payload), self.route.valid.eq(router.route.valid),
                         router.route.ready.eq(self.route.ready)]
        with m.Else():
            m.d.comb += [self.route.p.target.eq(item.core), self.route.p.leak.eq(1)]
        m.d.comb += router.target_busy.eq(self.target_busy)

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.items.ready.eq(1)
                with m.If(self.items.valid):
                    m.d.sync += item.eq(self.items.payload)
                    with m.If(self.items.p.leak):
                        m.next = "LEAK"
                    with m.Elif(dvs.monitor_enable):
                        m.next = "MONITOR"
                    with m.Else():
                        m.next = "ROUTE"
            with m.State("MONITOR"):
                m.d.comb += [self.busy.eq(1), self.monitor.valid.eq(1)]
                with m.If(self.monitor.ready):
                    m.next = "ROUTE"
            with m.State("ROUTE"):
                m.d.comb += [self.busy.eq(1), router.events.valid.eq(inside)]
                with m.If(~inside):
                    m.next = "IDLE"
                with m.Elif(router.events.ready):
                    m.next = "WAIT"
            with m.State("WAIT"):
                m.d.comb += self.busy.eq(1)
                with m.If(~router.busy):
                    m.next = "IDLE"
            with m.State("LEAK"):
                m.d.comb += [self.busy.eq(1), self.route.valid.eq(1)]
                with m.If(self.route.ready):
                    m.next = "LEAK_WAIT"
            with m.State("LEAK_WAIT"):
                m.d.comb += self.busy.eq(1)
                with m.If(~self.target_busy):
                    m.next = "IDLE"
        return m
