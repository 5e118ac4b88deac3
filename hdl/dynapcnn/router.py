"""The event router of one core (or of the DVS layer): monitor copy, then destination 0, then 1."""

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import Event, Monitor, Route, RouteFields


class EventRouter(wiring.Component):
    """Sends each event of its source to the host and to up to two destination cores, depth-first.

    For an event (x, y, feature) it sends, in this order: the monitor copy (layer = ``layer``, un-pooled)
    when ``monitor_enable``; then for destination 0 and then 1, when enabled, the event
    (x // pooling, y // pooling, feature + feature_shift) to core ``layer`` of that destination. After
    handing an event to a destination it waits until ``target_busy`` is low — the target core, its output
    FIFO and its own router are all idle, so everything that event caused downstream has been processed —
    before it goes on. This handshake is what makes the chip depth-first: a source's next event leaves only
    after the previous one's whole tree is done (positions beyond the target's input map are dropped by the
    target core).

    Members:
        fields: In(RouteFields) — ``monitor_enable`` and the two destinations (enable, layer, pooling,
            feature_shift).
        events: In(stream(Event)) — the source's events; accepted only while the router is idle.
        monitor: Out(stream(Monitor)) — monitor copies.
        route: Out(stream(Route)) — events for a destination core; ``route.payload.target`` names the
            destination being served also while waiting (the chip looks ``target_busy`` up with it).
        target_busy: In(1) — the served destination's tree is busy.
        busy: Out(1) — an event is held.

    Cycles per event: 1 (accept) + 1 per monitor copy, + 2 per enabled destination plus the time the
    destination is busy, + 1 per disabled destination.
    """

    def __init__(self, layer: int):
        self._layer = layer
        super().__init__({
            "fields": In(RouteFields),
            "events": In(stream.Signature(Event)),
            "monitor": Out(stream.Signature(Monitor)),
            "route": Out(stream.Signature(Route)),
            "target_busy": In(1),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        held = Signal(Event)
        index = Signal()  # the destination being served
        destination = self.fields.destinations[index]
        shift = destination.pooling >> 1  # log2 of 1, 2 or 4
        m.d.comb += [
            self.monitor.p.layer.eq(self._layer),
            self.monitor.p.feature.eq(held.feature),
            self.monitor.p.x.eq(held.x),
            self.monitor.p.y.eq(held.y),
            self.route.p.target.eq(destination.layer),
            self.route.p.x.eq(held.x >> shift),
            self.route.p.y.eq(held.y >> shift),
            self.route.p.channel.eq(held.feature + destination.feature_shift),
        ]
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.events.ready.eq(1)
                with m.If(self.events.valid):
                    m.d.sync += [held.eq(self.events.payload), index.eq(0)]
                    with m.If(self.fields.monitor_enable):
                        m.next = "MONITOR"
                    with m.Else():
                        m.next = "SEND"
            with m.State("MONITOR"):
                m.d.comb += [self.busy.eq(1), self.monitor.valid.eq(1)]
                with m.If(self.monitor.ready):
                    m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += [self.busy.eq(1), self.route.valid.eq(destination.enable)]
                with m.If(~destination.enable):
                    m.d.sync += index.eq(1)
                    with m.If(index == 1):
                        m.next = "IDLE"
                with m.Elif(self.route.ready):
                    m.next = "WAIT"
            with m.State("WAIT"):
                m.d.comb += self.busy.eq(1)
                with m.If(~self.target_busy):
                    m.d.sync += index.eq(1)
                    with m.If(index == 1):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "SEND"
        return m
