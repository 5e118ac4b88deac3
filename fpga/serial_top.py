"""A core behind the UART host link: the design a bitstream holds and the tests simulate."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .link import HostLink


class SerialTop(wiring.Component):
    """``adapter`` (a core with the protocol engine's core ports, flipped: :mod:`.xylo_adapter`,
    :mod:`.dynapcnn_adapter`) behind a :class:`HostLink`.

    Parameters:
        adapter: the core and its adapter.
        divisor: clock cycles per UART bit.
        ident: the IDENT word (:func:`.protocol.ident_word`).

    Members:
        rx: In(1), UART line from the host (idle high).
        tx: Out(1), UART line to the host (idle high).
    """

    def __init__(self, adapter, divisor: int, ident: int):
        self.adapter, self.divisor, self.ident = adapter, divisor, ident
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = link = HostLink(self.divisor, self.ident)
        m.submodules.adapter = self.adapter
        wiring.connect(m, link.core, self.adapter)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]
        return m
