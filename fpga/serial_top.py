"""Cores behind the UART host link: the design a bitstream holds and the tests simulate."""

from amaranth.hdl import Module
from amaranth.lib import wiring

from .core_select import CoreSelect
from .link import HostLink


class SerialTop(wiring.Component):
    """One or more cores, each behind its adapter (a component with the protocol engine's core
    ports, flipped: :mod:`.xylo_adapter`, :mod:`.dynapcnn_adapter`), behind a :class:`HostLink`;
    with several, a :class:`CoreSelect` steers the link to the one the host SELECTs.

    Parameters:
        cores: ``{kind: adapter}``, chip names of :func:`.protocol.core_kinds`, in SELECT index order
            (e.g. ``{"xylo": XyloAdapter(params), "dynapcnn": DynapcnnAdapter(limits)}``).
        divisor: clock cycles per UART bit; ``None``: byte streams in place of the UART
            (:class:`.link.HostLink`), the design :class:`.transport.CompiledSerial` runs cycle-exact
            with ``divisor=None``.

    Members:
        rx: In(1), UART line from the host (idle high).
        tx: Out(1), UART line to the host (idle high).
        rx_bytes, tx_bytes: the host link's byte streams, in place of ``rx`` and ``tx`` when
            ``divisor`` is None.
    """

    def __init__(self, cores: dict, divisor: int | None):
        if not cores:
            raise ValueError("cores: no core given; a design holds at least one")
        self.cores, self.divisor = dict(cores), divisor
        self.link = HostLink(divisor, self.kinds)
        super().__init__({name: member for name, member in self.link.signature.members.items()
                          if name in ("rx", "tx", "rx_bytes", "tx_bytes")})

    @property
    def kinds(self) -> tuple:
        """Kinds of the cores in SELECT index order (what the IDENT reply names)."""
        return tuple(self.cores)

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = link = self.link
        adapters = list(self.cores.values())
        for kind, adapter in self.cores.items():
            m.submodules[kind] = adapter
        if len(adapters) == 1:
            wiring.connect(m, link.core, adapters[0])
        else:
            m.submodules.select = select = CoreSelect(len(adapters))
            wiring.connect(m, link.core, select.host)
            m.d.comb += select.select.eq(link.select)
            for port, adapter in zip(select.cores, adapters):
                wiring.connect(m, port, adapter)
        if self.divisor is None:
            wiring.connect(m, wiring.flipped(self.rx_bytes), link.rx_bytes)
            wiring.connect(m, link.tx_bytes, wiring.flipped(self.tx_bytes))
        else:
            m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]
        return m
