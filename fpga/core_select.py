"""Several cores behind one host link: the protocol engine's core ports steered to the selected one."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .engine import core_signature
from .protocol import MAX_CORES

#: The engine's streams towards a core, and back.
_TO_CORE = ("config", "events", "read_addr")
_FROM_CORE = ("outputs", "read_data")


class CoreSelect(wiring.Component):
    """A multiplexer between the protocol engine's generic core ports and ``n`` cores.

    Parameters:
        n: cores behind it (2..16).

    Members:
        host: In(:func:`.engine.core_signature`), the engine's side (connect a :class:`.link.HostLink`'s
            ``core``).
        select: In(range(16)), index of the core the host talks to (the link's ``select``; the engine
            only changes it between commands, with no output pending).
        cores: Out(:func:`.engine.core_signature`) array of ``n``, one per core adapter.

    The selected core gets ``config``, ``events``, ``read_addr`` (its ``valid`` and the payload) and
    the ``step`` strobe; ``busy``, ``outputs`` and ``read_data`` come from it alone. Every other
    core sees no valid input and no step and keeps its output words (``ready`` low) until the host
    selects it again, so each core's state is its own. Purely combinational: no latency, no cycle
    lost; the paths through it are those of a single core plus one multiplexer level.
    """

    def __init__(self, n: int):
        if not 2 <= n <= MAX_CORES:
            raise ValueError(f"n: {n} cores; a core selector takes 2..{MAX_CORES}")
        self.n = n
        super().__init__({
            "host": In(core_signature()),
            "select": In(range(MAX_CORES)),
            "cores": Out(core_signature()).array(n),
        })

    def elaborate(self, platform):
        m = Module()
        for index, core in enumerate(self.cores):
            chosen = self.select == index
            for name in _TO_CORE:
                to, source = getattr(core, name), getattr(self.host, name)
                m.d.comb += [to.payload.eq(source.payload), to.valid.eq(source.valid & chosen)]
            m.d.comb += core.step.eq(self.host.step & chosen)
        with m.Switch(self.select):
            for index, core in enumerate(self.cores):
                with m.Case(index):
                    m.d.comb += self.host.busy.eq(core.busy)
                    for name in _TO_CORE:
                        m.d.comb += getattr(self.host, name).ready.eq(getattr(core, name).ready)
                    for name in _FROM_CORE:
                        source, to = getattr(core, name), getattr(self.host, name)
                        m.d.comb += [to.payload.eq(source.payload), to.valid.eq(source.valid),
                                     source.ready.eq(to.ready)]
        return m
