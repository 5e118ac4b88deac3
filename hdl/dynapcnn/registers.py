"""A file of configuration registers laid out by a :class:`~amaranth.lib.data.StructLayout`."""

from amaranth.hdl import Module
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .memory_map import DATA_BITS, get_field, register_table


class RegisterFile(wiring.Component):
    """One register per field of ``layout``, at consecutive addresses in :func:`register_table` order.

    Members:
        fields: Out(layout) — the register contents; after reset ``init`` (see :func:`field_init`).
        addr: In(range(n)) — register number for ``write`` and ``read_data``.
        write: In(1) — write ``data`` to register ``addr`` at the clock edge.
        data: In(16) — the word to write (its low bits, two's complement for signed fields).
        read_data: Out(16) — register ``addr``, zero/sign-extended (combinational).

    Latency: a write is visible on ``fields`` the cycle after; reads are combinational.
    """

    def __init__(self, layout: data.StructLayout, init=None):
        self._table = register_table(layout)
        super().__init__({
            "fields": Out(layout, init=init),
            "addr": In(range(len(self._table))),
            "write": In(1),
            "data": In(DATA_BITS),
            "read_data": Out(DATA_BITS),
        })

    @property
    def count(self) -> int:
        """Number of registers."""
        return len(self._table)

    def elaborate(self, platform):
        m = Module()
        with m.Switch(self.addr):
            for i, (path, shape) in enumerate(self._table):
                with m.Case(i):
                    field = get_field(self.fields, path)
                    m.d.comb += self.read_data.eq(field)
                    with m.If(self.write):
                        m.d.sync += field.eq(self.data[:shape.width])
        return m
