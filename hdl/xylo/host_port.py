"""The host's configuration and read-back port of the Xylo core: the address map of
:mod:`~spikegate.hdl.xylo.memory_map` decoded onto the memories and the CTRL registers."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from .memories import access_signature, neuron_layout
from .memory_map import (ADDRESS_BITS, CTRL_REGISTERS, DATA_BITS, OFFSET_BITS, READOUT_MEMORY, SINGLE_PORT_MEMORIES,
                         Ctrl, Region, XyloCoreParams)

#: The CTRL weight shifts (0..7 each), in the order of the kinds of synaptic addition.
Shifts = data.StructLayout({"input": 3, "recurrent": 3, "readout": 3})

#: What the step controller tells the host port, from the controller's side.
CoreStatus = wiring.Signature({
    "idle": Out(1),  # no step or state clear is running: the host may use the memories
    "parity": Out(1),  # the epoch bit stored with spike counts (the current step's parity)
    "cycles": Out(32),  # clock cycles of the last step
    "clear": In(1),  # CTRL CLEAR was written this cycle
})


def config_request() -> stream.Signature:
    """A configuration write: ``addr`` (21 bits: ``region << 16 | offset``), ``data`` (16 bits)."""
    return stream.Signature(data.StructLayout({"addr": ADDRESS_BITS, "data": DATA_BITS}))


def readback_request() -> stream.Signature:
    """A read-back address: ``addr`` (21 bits)."""
    return stream.Signature(data.StructLayout({"addr": ADDRESS_BITS}))


def readback_answer() -> stream.Signature:
    """A read-back word: ``data`` (16 bits)."""
    return stream.Signature(data.StructLayout({"data": DATA_BITS}))


class HostPort(wiring.Component):
    """Writes and reads every region of the address map while the core is idle.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.

    Members:
        config: In(stream) — payload ``addr`` (21 bits), ``data`` (16 bits): write one word. Accepted while
            ``core.idle`` and no read is pending; one write per cycle.
        readback_addr: In(stream) — payload ``addr`` (21 bits): read one word, while ``core.idle`` and no
            write is offered; one read per cycle while ``readback_data.ready`` stays high.
        readback_data: Out(stream) — payload ``data`` (16 bits): the word, 2 cycles after its address
            (a skid register holds one word while ``ready`` is low).
        core: In(:data:`CoreStatus`) — the controller's idle, parity and cycle count; ``clear`` pulses
            for the cycle CTRL CLEAR is written.
        shifts: Out(:data:`Shifts`) — the CTRL weight shift registers (0 after reset).
        memories: Out(:func:`~spikegate.hdl.xylo.memories.access_signature`) — the core's memories,
            driven only while ``core.idle``.

    Readout regions (``*_OUT``) address word ``n_hidden + offset`` of their hidden region's memory; a
    written spike count stores ``core.parity`` as its epoch bit and reads back without it.
    """

    def __init__(self, params: XyloCoreParams):
        if not isinstance(params, XyloCoreParams):
            raise TypeError(f"params: expected a XyloCoreParams, got {type(params).__name__}")
        self._params = params
        super().__init__({
            "config": In(config_request()),
            "readback_addr": In(readback_request()),
            "readback_data": Out(readback_answer()),
            "core": In(CoreStatus),
            "shifts": Out(Shifts),
            "memories": Out(access_signature(params)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, rb_in, rb_out, mem = self.config, self.readback_addr, self.readback_data, self.memories
        idle = self.core.idle
        rb_pending = Signal()  # a read was issued last cycle
        rb_region = Signal(ADDRESS_BITS - OFFSET_BITS)
        rb_offset = Signal(ceil_log2(len(CTRL_REGISTERS)))  # enough for a CTRL register; memories read already
        skid_valid = Signal()  # a read word the blocked output could not take yet
        skid = Signal(DATA_BITS)
        out_free = ~rb_out.valid | rb_out.ready
        m.d.comb += [
            cfg.ready.eq(idle & ~rb_pending),
            # accept a read only if its word will have a place: the output or the (empty) skid register
            rb_in.ready.eq(idle & ~cfg.valid & ~skid_valid & ~(rb_pending & ~out_free)),
        ]
        host_write = cfg.valid & cfg.ready
        host_read = rb_in.valid & rb_in.ready
        w_region, w_offset, w_data = cfg.payload.addr[OFFSET_BITS:], cfg.payload.addr[:OFFSET_BITS], cfg.payload.data
        r_region, r_offset = rb_in.payload.addr[OFFSET_BITS:], rb_in.payload.addr[:OFFSET_BITS]
        n_hid = self._params.n_hidden
        rams = {region: getattr(mem, region.name.lower()) for region in SINGLE_PORT_MEMORIES}
        # the neuron memories and the address-map regions each answers: its own and its readout region
        neuron_memories = {Region[name.upper()]: name for name, _ in neuron_layout(self._params.version)}
        regions_of = {region: [region] + [r for r, memory_region in READOUT_MEMORY.items() if memory_region == region]
                      for region in neuron_memories}

        def neuron_address(region, offset):  # readout regions live after the hidden neurons
            return Mux(Cat(region == r for r in READOUT_MEMORY).any(), offset + n_hid, offset)

        with m.If(idle):  # every memory's address is the host's
            m.d.comb += [mem.write_addr.eq(neuron_address(w_region, w_offset)),
                         mem.read_addr.eq(neuron_address(r_region, r_offset))]
            for ram in rams.values():
                m.d.comb += [ram.addr.eq(Mux(cfg.valid, w_offset, r_offset)), ram.wdata.eq(w_data)]
        with m.If(host_write):
            for region, name in neuron_memories.items():
                with m.If(Cat(w_region == r for r in regions_of[region]).any()):
                    m.d.comb += [mem.write_data[name].eq(Cat(w_data[:5], self.core.parity) if region == Region.SPIKES
                                                         else w_data),
                                 mem.write_en[name].eq(1)]
            for region, ram in rams.items():
                m.d.comb += ram.we.eq(w_region == region)
            with m.If(w_region == Region.CTRL):
                with m.Switch(w_offset):
                    for offset, shift in ((Ctrl.WSHIFT_IN, self.shifts.input), (Ctrl.WSHIFT_REC, self.shifts.recurrent),
                                          (Ctrl.WSHIFT_OUT, self.shifts.readout)):
                        with m.Case(offset):
                            m.d.sync += shift.eq(w_data)
                    with m.Case(Ctrl.CLEAR):
                        m.d.comb += self.core.clear.eq(1)

        m.d.sync += rb_pending.eq(host_read)
        with m.If(host_read):
            m.d.sync += [rb_region.eq(r_region), rb_offset.eq(r_offset)]
        value = Signal(DATA_BITS)  # the word of last cycle's read
        readable = {Ctrl.WSHIFT_IN: self.shifts.input, Ctrl.WSHIFT_REC: self.shifts.recurrent,
                    Ctrl.WSHIFT_OUT: self.shifts.readout, Ctrl.CYCLES_LO: self.core.cycles[:16],
                    Ctrl.CYCLES_HI: self.core.cycles[16:]}
        with m.If(rb_region == Region.CTRL):
            with m.Switch(rb_offset):
                for offset, register in readable.items():
                    with m.Case(offset):
                        m.d.comb += value.eq(register)
        for region, name in neuron_memories.items():
            with m.If(Cat(rb_region == r for r in regions_of[region]).any()):
                word = mem.read_data[name]
                m.d.comb += value.eq(word[:5] if region == Region.SPIKES else word)
        for region, ram in rams.items():
            with m.If(rb_region == region):
                m.d.comb += value.eq(ram.rdata)
        with m.If(out_free):
            m.d.sync += [rb_out.valid.eq(skid_valid | rb_pending), rb_out.payload.data.eq(Mux(skid_valid, skid, value)),
                         skid_valid.eq(skid_valid & rb_pending), skid.eq(value)]
        with m.Elif(rb_pending):
            m.d.sync += [skid_valid.eq(1), skid.eq(value)]
        return m
