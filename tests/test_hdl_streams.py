"""The shared stream testbench helpers (spikegate.hdl.streams) on a FIFO between two named streams, and the
typed payload words of the core adapters (Amaranth's own ``Layout.const``/``from_bits``)."""

import pytest
from amaranth.hdl import Module
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from spikegate.fpga.dynapcnn_adapter import DynapcnnInput, DynapcnnOutput
from spikegate.fpga.engine import core_signature
from spikegate.fpga.xylo_adapter import XyloInput, input_word
from spikegate.hdl.dynapcnn.layouts import ChipInput, MonitorOut
from spikegate.hdl.streams import collect, receive, send, send_all

Pair = data.StructLayout({"a": 4, "b": 8})


class Queue(wiring.Component):
    """``i`` → 4-deep FIFO → ``o``, payload :data:`Pair`."""

    def __init__(self):
        super().__init__({"i": In(stream.Signature(Pair)), "o": Out(stream.Signature(Pair))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = queue = fifo.SyncFIFOBuffered(width=Pair.size, depth=4)
        wiring.connect(m, wiring.flipped(self.i), queue.w_stream)
        wiring.connect(m, queue.r_stream, wiring.flipped(self.o))
        return m


def run(bench, *background):
    """Simulate a :class:`Queue` with testbench ``bench(ctx, dut)`` and background testbenches."""
    dut = Queue()
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    for process, behind in ((bench, False), *((p, True) for p in background)):
        async def testbench(ctx, process=process):
            await process(ctx, dut)
        sim.add_testbench(testbench, background=behind)
    sim.run()


def test_send_receive_one_transfer_each():
    got = []

    async def bench(ctx, dut):
        await send(ctx, dut.i, {"a": 3, "b": 200})
        await send(ctx, dut.i, {"a": 15})
        got.extend([await receive(ctx, dut.o, within=4), await receive(ctx, dut.o)])
        assert not ctx.get(dut.o.valid) and ctx.get(dut.i.valid) == 0 and ctx.get(dut.o.ready) == 0

    run(bench)
    assert [(p.a, p.b) for p in got] == [(3, 200), (15, 0)]


def test_send_all_back_to_back_and_collect_with_back_pressure():
    got, cycles = [], []

    async def bench(ctx, dut):
        await send_all(ctx, dut.i, [{"a": k, "b": 2 * k} for k in range(12)], within=20)
        await ctx.tick().repeat(40)

    async def count(ctx, dut):
        async for _, _, valid, ready in ctx.tick().sample(dut.i.valid, dut.i.ready):
            cycles.append(bool(valid and ready))

    async def take(ctx, dut):
        await collect(ctx, dut.o, got, ready=lambda cycle: cycle % 3 == 0)

    run(bench, take, count)
    assert [(p.a, p.b) for p in got] == [(k & 15, 2 * k) for k in range(12)]
    assert cycles[:4] == [True] * 4  # back to back until the FIFO is full


def test_send_receive_wrong():
    async def never_ready(ctx, dut):
        ctx.set(dut.o.ready, 0)
        await send_all(ctx, dut.i, [{"a": 1}] * 8, within=10)

    with pytest.raises(TimeoutError, match=r"^i: no transfer within 10 cycles \(ready stayed low\)$"):
        run(never_ready)

    async def empty(ctx, dut):
        await receive(ctx, dut.o, within=5)

    with pytest.raises(TimeoutError, match=r"^o: no transfer within 5 cycles \(valid stayed low\)$"):
        run(empty)


def test_typed_words_are_amaranth_layouts():
    assert input_word(5, 13) == 5 << 8 | 13 == XyloInput.const({"channel": 5, "count": 13}).as_bits()
    item = {"x": 3, "y": 127, "p": 1023, "t": 0xFFFF_FFFF, "leak": 1, "core": 9}
    word = DynapcnnInput.const({"item": item}).as_bits()
    assert word == ChipInput.const(item).as_bits() < 1 << ChipInput.size
    assert {name: getattr(DynapcnnInput.from_bits(word).item, name) for name in item} == item
    record = {"layer": 9, "feature": 700, "x": 1, "y": 2, "t": 123456}
    word = MonitorOut.const(record).as_bits()
    assert {name: getattr(DynapcnnOutput.from_bits(word).record, name) for name in record} == record


def test_typed_words_wrong():
    with pytest.raises(ValueError, match=r"^events: payload shape is 61 bits wide; the engine's words are 64$"):
        core_signature(events=ChipInput)
    with pytest.raises(ValueError, match=r"^outputs: payload shape is 60 bits wide; the engine's words are 64$"):
        core_signature(outputs=MonitorOut)
    with pytest.raises(ValueError, match="does not fit in 61 bit"):
        ChipInput.from_bits(1 << 64)
