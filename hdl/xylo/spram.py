"""A single-port RAM that becomes iCE40 UltraPlus SPRAM on the UP5K and a plain ``Memory`` elsewhere."""

from amaranth.hdl import ClockSignal, Instance, MemoryData, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

#: Words of one ``SB_SPRAM256KA`` (16 bits each).
SPRAM_DEPTH = 16384
SPRAM_WIDTH = 16


def is_ultraplus(platform) -> bool:
    """Whether ``platform`` is an iCE40 UltraPlus device (the only family with ``SB_SPRAM256KA``)."""
    return (str(getattr(platform, "family", "")).lower() == "ice40"
            and str(getattr(platform, "device", "")).startswith("iCE40UP"))


def ram_signature(depth: int) -> wiring.Signature:
    """The members of a :class:`SinglePortRAM` of ``depth`` words, from the RAM's side (a user's side is
    ``In(ram_signature(depth))``)."""
    return wiring.Signature({
        "addr": In(max(1, ceil_log2(depth))),
        "we": In(1),
        "wdata": In(SPRAM_WIDTH),
        "rdata": Out(SPRAM_WIDTH),
    })


class SinglePortRAM(wiring.Component):
    """``depth`` words of 16 bits behind one shared address, as iCE40 UltraPlus SPRAM requires.

    Members:
        addr: In(ceil(log2(depth))) — word address, for the write or the read of this cycle.
        we: In(1) — write ``wdata`` at ``addr`` this cycle (no read happens in a write cycle).
        wdata: In(16) — data to write.
        rdata: Out(16) — the word read at the previous cycle's ``addr``; undefined in the cycle
            after a write (SPRAM drives X there), so users never read in a write cycle.

    Latency one cycle, one access (read or write) per cycle. On an iCE40 UltraPlus platform the
    memory is ``ceil(depth / 16384)`` ``SB_SPRAM256KA`` instances selected by the high address bits
    (contents start undefined); elsewhere (simulation included) it is an ``amaranth.lib.memory.Memory``
    with one write port and a read port enabled by ``~we`` on the same address, which Yosys maps to
    SPRAM (``-spram``) or block RAM.
    """

    def __init__(self, depth: int):
        if depth < 1:
            raise ValueError(f"depth: {depth} must be at least 1")
        self._depth = depth
        #: The words, for simulation (a testbench may read or set ``data[addr]`` directly).
        self.data = MemoryData(shape=SPRAM_WIDTH, depth=depth, init=[])
        super().__init__(ram_signature(depth))

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def banks(self) -> int:
        """``SB_SPRAM256KA`` instances used on an UltraPlus."""
        return -(-self._depth // SPRAM_DEPTH)

    def elaborate(self, platform):
        m = Module()
        if is_ultraplus(platform):
            self._spram(m)
        else:
            m.submodules.mem = mem = memory.Memory(data=self.data)
            wr = mem.write_port()
            rd = mem.read_port()
            m.d.comb += [wr.addr.eq(self.addr), wr.data.eq(self.wdata), wr.en.eq(self.we),
                         rd.addr.eq(self.addr), rd.en.eq(~self.we), self.rdata.eq(rd.data)]
        return m

    def _spram(self, m: Module) -> None:
        bank = Signal(range(self.banks))
        low = Signal(14)  # SB_SPRAM256KA's ADDRESS width
        m.d.comb += low.eq(self.addr[:14])
        if self.banks > 1:
            m.d.comb += bank.eq(self.addr[14:])
        bank_read = Signal.like(bank)  # bank of the read whose data is on the outputs
        m.d.sync += bank_read.eq(bank)
        outputs = []
        for k in range(self.banks):
            dataout = Signal(SPRAM_WIDTH, name=f"dataout{k}")
            m.submodules[f"spram{k}"] = Instance(
                "SB_SPRAM256KA",
                i_ADDRESS=low, i_DATAIN=self.wdata, i_MASKWREN=0b1111, i_WREN=self.we & (bank == k),
                i_CHIPSELECT=1, i_CLOCK=ClockSignal(), i_STANDBY=0, i_SLEEP=0,
                i_POWEROFF=1, o_DATAOUT=dataout)
            outputs.append(dataout)
        rdata = outputs[0]
        for k in range(1, self.banks):
            rdata = Mux(bank_read == k, outputs[k], rdata)
        m.d.comb += self.rdata.eq(rdata)

