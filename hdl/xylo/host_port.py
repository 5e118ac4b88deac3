"""The host's configuration and read-back port of the Xylo core: the address map of
:mod:`~spikegate.hdl.xylo.memory_map` decoded onto the memories and the CTRL registers."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..streams import config_request
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


#: A configuration access of the Xylo core (``addr``: ``region << 16 | offset``, 21 bits; ``data``: 16 bits;
#: ``write``), the configuration-bus convention the DYNAP-CNN core shares (:func:`~spikegate.hdl.streams.config_request`).
ConfigRequest = config_request(ADDRESS_BITS, DATA_BITS)


class HostPort(wiring.Component):
    """Writes and reads every region of the address map while the core is idle.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.

    Members:
        config: In(stream(:data:`ConfigRequest`)) — write ``data`` at ``addr``, or (``write`` = 0) read
            ``addr``. Accepted while ``core.idle``: a write when no read is pending, a read when its word
            will have a place (the output or the skid register); one access per cycle.
        readback: Out(stream(unsigned(16))) — the word of each read, in order, 2 cycles after it is
            accepted (a skid register holds one word while ``ready`` is low).
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
            "config": In(stream.Signature(ConfigRequest)),
            "readback": Out(stream.Signature(DATA_BITS)),
            "core": In(CoreStatus),
            "shifts": Out(Shifts),
            "memories": Out(access_signature(params)),
        })

    def elaborate(self, platform):
        m = Module()
        request, rb_out, mem = self.config.payload, self.readback, self.memories
        idle = self.core.idle
        rb_pending = Signal()  # a read was accepted last cycle
        rb_region = Signal(ADDRESS_BITS - OFFSET_BITS)
        rb_offset = Signal(ceil_log2(len(CTRL_REGISTERS)))  # enough for a CTRL register; memories read already
        skid_valid = Signal()  # a read word the blocked output could not take yet
        skid = Signal(DATA_BITS)
        out_free = ~rb_out.valid | rb_out.ready
        # a read only if its word will have a place: the output or the (empty) skid register
        m.d.comb += self.config.ready.eq(idle & Mux(request.write, ~rb_pending,
                                                    ~skid_valid & ~(rb_pending & ~out_free)))
        accept = self.config.valid & self.config.ready
        host_write, host_read = accept & request.write, accept & ~request.write
        region, offset, w_data = request.addr[OFFSET_BITS:], request.addr[:OFFSET_BITS], request.data
        n_hid = self._params.n_hidden
        rams = {memory: getattr(mem, memory.name.lower()) for memory in SINGLE_PORT_MEMORIES}
        # the neuron memories and the address-map regions each answers: its own and its readout region
        neuron_memories = {Region[name.upper()]: name for name, _ in neuron_layout(self._params.version)}
        regions_of = {memory: [memory] + [r for r, held_in in READOUT_MEMORY.items() if held_in == memory]
                      for memory in neuron_memories}
        # readout regions live after the hidden neurons
        neuron_address = Mux(Cat(region == r for r in READOUT_MEMORY).any(), offset + n_hid, offset)

        with m.If(idle):  # every memory's address is the host's
            m.d.comb += [mem.write_addr.eq(neuron_address), mem.read_addr.eq(neuron_address)]
            for ram in rams.values():
                m.d.comb += [ram.addr.eq(offset), ram.wdata.eq(w_data)]
        with m.If(host_write):
            for memory, name in neuron_memories.items():
                with m.If(Cat(region == r for r in regions_of[memory]).any()):
                    m.d.comb += [mem.write_data[name].eq(Cat(w_data[:5], self.core.parity) if memory == Region.SPIKES
                                                         else w_data),
                                 mem.write_en[name].eq(1)]
            for memory, ram in rams.items():
                m.d.comb += ram.we.eq(region == memory)
            with m.If(region == Region.CTRL):
                with m.Switch(offset):
                    for register, shift in ((Ctrl.WSHIFT_IN, self.shifts.input),
                                            (Ctrl.WSHIFT_REC, self.shifts.recurrent),
                                            (Ctrl.WSHIFT_OUT, self.shifts.readout)):
                        with m.Case(register):
                            m.d.sync += shift.eq(w_data)
                    with m.Case(Ctrl.CLEAR):
                        m.d.comb += self.core.clear.eq(1)

        m.d.sync += rb_pending.eq(host_read)
        with m.If(host_read):
            m.d.sync += [rb_region.eq(region), rb_offset.eq(offset)]
        value = Signal(DATA_BITS)  # the word of last cycle's read
        readable = {Ctrl.WSHIFT_IN: self.shifts.input, Ctrl.WSHIFT_REC: self.shifts.recurrent,
                    Ctrl.WSHIFT_OUT: self.shifts.readout, Ctrl.CYCLES_LO: self.core.cycles[:16],
                    Ctrl.CYCLES_HI: self.core.cycles[16:]}
        with m.If(rb_region == Region.CTRL):
            with m.Switch(rb_offset):
                for register, contents in readable.items():
                    with m.Case(register):
                        m.d.comb += value.eq(contents)
        for memory, name in neuron_memories.items():
            with m.If(Cat(rb_region == r for r in regions_of[memory]).any()):
                word = mem.read_data[name]
                m.d.comb += value.eq(word[:5] if memory == Region.SPIKES else word)
        for memory, ram in rams.items():
            with m.If(rb_region == memory):
                m.d.comb += value.eq(ram.rdata)
        with m.If(out_free):
            m.d.sync += [rb_out.valid.eq(skid_valid | rb_pending), rb_out.payload.eq(Mux(skid_valid, skid, value)),
                         skid_valid.eq(skid_valid & rb_pending), skid.eq(value)]
        with m.Elif(rb_pending):
            m.d.sync += [skid_valid.eq(1), skid.eq(value)]
        return m
