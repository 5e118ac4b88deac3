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
#: ``write``): the configuration-bus convention the DYNAP-CNN core shares
#: (:func:`~spikegate.hdl.streams.config_request`).
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
            "memories": Out(access_signature(params, "host")),
        })

    def elaborate(self, platform):
        m = Module()
        request, mem = self.config.payload, self.memories
        region, offset = request.addr[OFFSET_BITS:], request.addr[:OFFSET_BITS]
        rb_pending = Signal()  # a read was accepted last cycle
        rb_blocked = Signal()  # the word of a read accepted now would have no place
        m.d.comb += self.config.ready.eq(self.core.idle & Mux(request.write, ~rb_pending, ~rb_blocked))
        accept = self.config.valid & self.config.ready
        with m.If(self.core.idle):  # every memory's address is the host's
            # readout regions live after the hidden neurons
            neuron = Mux(Cat(region == r for r in READOUT_MEMORY).any(), offset + self._params.n_hidden, offset)
            m.d.comb += [mem.write_addr.eq(neuron), mem.read_addr.eq(neuron)]
            for ram in self._rams().values():
                m.d.comb += [ram.addr.eq(offset), ram.wdata.eq(request.data)]
        with m.If(accept & request.write):
            self._write(m, region, offset, request.data)
        m.d.sync += rb_pending.eq(accept & ~request.write)
        self._read_back(m, accept & ~request.write, region, offset, rb_pending, rb_blocked)
        return m

    def _rams(self) -> dict:
        """Single-port memory region -> its ports in :attr:`memories`."""
        return {memory: getattr(self.memories, memory.name.lower()) for memory in SINGLE_PORT_MEMORIES}

    def _neuron_memories(self) -> dict:
        """Per-neuron memory (named by its hidden region) -> (its :func:`neuron_layout` field, the regions
        it answers: its own and its readout region)."""
        memories = {}
        for name, _ in neuron_layout(self._params.version):
            memory = Region[name.upper()]
            memories[memory] = name, [memory] + [r for r, held_in in READOUT_MEMORY.items() if held_in == memory]
        return memories

    def _write(self, m: Module, region, offset, word):
        """Write ``word`` at ``offset`` of ``region`` this cycle."""
        mem = self.memories
        for memory, (name, regions) in self._neuron_memories().items():
            with m.If(Cat(region == r for r in regions).any()):
                m.d.comb += [mem.write_data[name].eq(Cat(word[:5], self.core.parity) if memory == Region.SPIKES
                                                     else word),
                             mem.write_en[name].eq(1)]
        for memory, ram in self._rams().items():
            m.d.comb += ram.we.eq(region == memory)
        with m.If(region == Region.CTRL):
            with m.Switch(offset):
                for register, shift in ((Ctrl.WSHIFT_IN, self.shifts.input), (Ctrl.WSHIFT_REC, self.shifts.recurrent),
                                        (Ctrl.WSHIFT_OUT, self.shifts.readout)):
                    with m.Case(register):
                        m.d.sync += shift.eq(word)
                with m.Case(Ctrl.CLEAR):
                    m.d.comb += self.core.clear.eq(1)

    def _read_back(self, m: Module, read, region, offset, pending, blocked):
        """Answer a ``read`` of ``region``/``offset`` on :attr:`readback` (``pending`` the cycle after);
        ``blocked``: a read now would find the output and the skid register full."""
        out = self.readback
        rb_region = Signal(ADDRESS_BITS - OFFSET_BITS)
        rb_offset = Signal(ceil_log2(len(CTRL_REGISTERS)))  # enough for a CTRL register; memories read already
        skid_valid = Signal()  # a read word the blocked output could not take yet
        skid = Signal(DATA_BITS)
        out_free = ~out.valid | out.ready
        m.d.comb += blocked.eq(skid_valid | (pending & ~out_free))
        with m.If(read):
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
        for memory, (name, regions) in self._neuron_memories().items():
            with m.If(Cat(rb_region == r for r in regions).any()):
                word = self.memories.read_data[name]
                m.d.comb += value.eq(word[:5] if memory == Region.SPIKES else word)
        for memory, ram in self._rams().items():
            with m.If(rb_region == memory):
                m.d.comb += value.eq(ram.rdata)
        with m.If(out_free):
            m.d.sync += [out.valid.eq(skid_valid | pending), out.payload.eq(Mux(skid_valid, skid, value)),
                         skid_valid.eq(skid_valid & pending), skid.eq(value)]
        with m.Elif(pending):
            m.d.sync += [skid_valid.eq(1), skid.eq(value)]
