"""The parts of XyloCore one at a time (HostPort, SynapticPipeline, StepController, CoreMemories) in Amaranth's
simulator, and the address map's one table (memory_map.REGIONS, CTRL_REGISTERS)."""

import gc
import warnings

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.sim import Simulator
from test_single_source import definitions

from spikegate.hdl.streams import receive, send, send_all
from spikegate.hdl.xylo.controller import StepController
from spikegate.hdl.xylo.core import step_cycles
from spikegate.hdl.xylo.host_port import HostPort
from spikegate.hdl.xylo.memories import CLIENTS, CoreMemories, access_signature, neuron_layout
from spikegate.hdl.xylo.memory_map import (CTRL_REGISTERS, NEURON_MEMORIES, READOUT_MEMORY, REGIONS, Ctrl, Region,
                                           XyloCoreParams, address)
from spikegate.hdl.xylo.pipeline import DRAIN_CYCLES, Source, SynapticPipeline

PARAMS = XyloCoreParams(n_inputs=2, n_hidden=3, n_outputs=2, max_fanout=4, max_synapses=8)


def simulate_parts(bench, *parts, params=PARAMS):
    """Run ``bench(ctx, memories)`` on a :class:`CoreMemories` whose clients are ``parts`` (matched by type),
    the parts wired to one another as in XyloCore."""
    m = Module()
    m.submodules.memories = memories = CoreMemories(params)
    by_client = dict(zip(("host", "pipeline", "controller"), (HostPort, SynapticPipeline, StepController)))
    for part in parts:
        client = next(name for name, kind in by_client.items() if isinstance(part, kind))
        m.submodules[client] = part
        wiring.connect(m, part.memories, getattr(memories, client))
    pipeline = next((p for p in parts if isinstance(p, SynapticPipeline)), None)
    controller = next((p for p in parts if isinstance(p, StepController)), None)
    if pipeline and controller:
        wiring.connect(m, controller.issue, pipeline.issue)
        m.d.comb += controller.pipeline_busy.eq(pipeline.busy)
    sim = Simulator(m)
    sim.add_clock(1e-6)

    async def testbench(ctx):
        await bench(ctx, memories)

    sim.add_testbench(testbench)
    sim.run()


# ------------------------------------------------------------------ HostPort
def test_host_port_writes_every_kind_of_region():
    host = HostPort(PARAMS)

    async def bench(ctx, memories):
        ctx.set(host.core.idle, 1)
        ctx.set(host.core.parity, 1)
        await send_all(ctx, host.config, [
            {"addr": address(Region.CTRL, Ctrl.WSHIFT_REC), "data": 5, "write": 1},
            {"addr": address(Region.THRESHOLD, 2), "data": 0x8001, "write": 1},
            {"addr": address(Region.THRESHOLD_OUT, 1), "data": 1234, "write": 1},  # word n_hidden + 1
            {"addr": address(Region.SPIKES, 0), "data": 7, "write": 1},  # stored with the epoch bit
            {"addr": address(Region.FAN, 6), "data": 0xABCD, "write": 1},
        ], within=1)
        await ctx.tick()
        assert ctx.get(host.shifts.recurrent) == 5 and ctx.get(host.shifts.input) == 0
        threshold, spikes = memories.data[Region.THRESHOLD], memories.data[Region.SPIKES]
        assert [ctx.get(threshold[i]) for i in range(5)] == [0, 0, -0x7FFF, 0, 1234]
        assert ctx.get(spikes[0]) == 7 | 1 << 5
        assert ctx.get(memories.data[Region.FAN][6]) == 0xABCD

    simulate_parts(bench, host)


def test_host_port_reads_back_two_cycles_after_the_address():
    host = HostPort(PARAMS)
    reads = {address(Region.CTRL, Ctrl.CYCLES_LO): 0x5678, address(Region.CTRL, Ctrl.CYCLES_HI): 0x1234,
             address(Region.CTRL, Ctrl.WSHIFT_OUT): 3, address(Region.CTRL, Ctrl.CLEAR): 0,
             address(Region.VMEM_OUT, 0): 0xFFFE, address(Region.SPIKES, 1): 9, address(Region.MISC, 2): 77}

    async def bench(ctx, memories):
        ctx.set(host.core.idle, 1)
        ctx.set(host.core.cycles, 0x12345678)
        ctx.set(memories.data[Region.VMEM][PARAMS.n_hidden], -2)
        ctx.set(memories.data[Region.SPIKES][1], 9 | 1 << 5)  # the epoch bit does not read back
        ctx.set(memories.data[Region.MISC][2], 77)
        await send(ctx, host.config, {"addr": address(Region.CTRL, Ctrl.WSHIFT_OUT), "data": 3, "write": 1})
        for addr, expected in reads.items():
            await send(ctx, host.config, {"addr": addr}, within=1)  # write = 0: a read
            assert await receive(ctx, host.readback, within=2) == expected, hex(addr)

    simulate_parts(bench, host)


def test_host_port_holds_reads_under_back_pressure():
    """A read is refused while its word would have no place: the output and the skid register both full."""
    host = HostPort(PARAMS)

    async def bench(ctx, memories):
        ctx.set(host.core.idle, 1)
        for n in range(3):
            ctx.set(memories.data[Region.THRESHOLD][n], 100 + n)
        await send_all(ctx, host.config, [{"addr": address(Region.THRESHOLD, n)} for n in range(2)], within=1)
        with pytest.raises(TimeoutError, match="config: no transfer within 3 cycles"):
            await send(ctx, host.config, {"addr": address(Region.THRESHOLD, 2)}, within=3)
        await send(ctx, host.config, {"addr": address(Region.THRESHOLD, 0), "data": 7, "write": 1}, within=1)
        assert [await receive(ctx, host.readback, within=1) for _ in range(2)] == [100, 101]
        await send(ctx, host.config, {"addr": address(Region.THRESHOLD, 0)}, within=1)
        assert await receive(ctx, host.readback, within=2) == 7

    simulate_parts(bench, host)


def test_host_port_pulses_clear():
    host = HostPort(PARAMS)

    async def bench(ctx, memories):
        ctx.set(host.core.idle, 1)
        ctx.set(host.config.payload, {"addr": address(Region.CTRL, Ctrl.CLEAR), "write": 1})
        ctx.set(host.config.valid, 1)
        assert ctx.get(host.core.clear)
        await ctx.tick()
        ctx.set(host.config.valid, 0)
        assert not ctx.get(host.core.clear)

    simulate_parts(bench, host)


def test_host_port_refuses_access_while_busy_wrong():
    host = HostPort(PARAMS)

    async def bench(ctx, memories):
        ctx.set(host.core.idle, 0)
        for write in (1, 0):
            with pytest.raises(TimeoutError, match=r"config: no transfer within 5 cycles \(ready stayed low\)"):
                await send(ctx, host.config, {"addr": address(Region.THRESHOLD, 0), "data": 1, "write": write},
                           within=5)
        assert ctx.get(memories.data[Region.THRESHOLD][0]) == 0

    simulate_parts(bench, host)


# ------------------------------------------------------------------ SynapticPipeline
async def issue(ctx, pipeline, memories, kind, count, index=0, lane=0, **weight_addr):
    """Issue one addition for one cycle, presenting its weight memory addresses as the controller does."""
    ctx.set(pipeline.issue.valid, 1)
    ctx.set(pipeline.issue.payload, {"kind": kind, "count": count, "index": index, "lane": lane})
    for ram, addr in weight_addr.items():
        ctx.set(getattr(memories.controller, ram).addr, addr)
    await ctx.tick()
    ctx.set(pipeline.issue.valid, 0)
    for ram in weight_addr:
        ctx.set(getattr(memories.controller, ram).addr, 0)


def test_pipeline_adds_each_kind_of_source():
    pipeline = SynapticPipeline(PARAMS)
    p = PARAMS
    fan_entry, target, readout = 5, 2, 1  # fan-out entry 5: synapse 2 of hidden neuron 2

    async def bench(ctx, memories):
        ctx.set(pipeline.shifts, {"input": 1, "recurrent": 2, "readout": 0})
        ctx.set(memories.data[Region.W_IN][1 << p.hidden_bits | 1], (-3 & 0xFF) << 8 | 10)  # channel 1, neuron 1
        ctx.set(memories.data[Region.FAN][fan_entry], target << 8 | 20)
        ctx.set(memories.data[Region.MISC][fan_entry >> 2], (1 << 2) << 3 * (fan_entry & 3))  # syn 2, target[9:8] 0
        ctx.set(memories.data[Region.MISC][p.misc_out_base + 0 * p.out_words], (-7 & 0xFF) << 8 * readout)
        ctx.set(memories.data[Region.ISYN][1], 100)
        await issue(ctx, pipeline, memories, Source.INPUT, 3, index=1, w_in=1 << p.hidden_bits | 1)
        await issue(ctx, pipeline, memories, Source.RECURRENT, 2, lane=fan_entry & 3, fan=fan_entry,
                    misc=fan_entry >> 2)
        await issue(ctx, pipeline, memories, Source.READOUT, 4, index=readout, misc=p.misc_out_base)
        busy = 0
        while ctx.get(pipeline.busy):
            busy += 1
            await ctx.tick()
        assert busy == DRAIN_CYCLES - 1  # the cycles after the last issue, the last one writing back
        isyn, isyn2 = memories.data[Region.ISYN], memories.data[Region.ISYN2]
        assert ctx.get(isyn[1]) == 100 + 3 * (10 << 1) and ctx.get(isyn2[1]) == 3 * (-3 << 1)
        assert ctx.get(isyn2[target]) == 2 * (20 << 2) and ctx.get(isyn[target]) == 0
        assert ctx.get(isyn[p.n_hidden + readout]) == 4 * -7

    simulate_parts(bench, pipeline)


def test_pipeline_saturates_one_addition_per_cycle():
    pipeline = SynapticPipeline(PARAMS)

    async def bench(ctx, memories):
        ctx.set(pipeline.shifts, {"input": 7, "recurrent": 0, "readout": 0})
        for n in range(PARAMS.n_hidden):
            ctx.set(memories.data[Region.W_IN][n], (-128 & 0xFF) << 8 | 127)
        for n in range(PARAMS.n_hidden):  # back to back: distinct targets
            await issue(ctx, pipeline, memories, Source.INPUT, 15, index=n, w_in=n)
        await ctx.tick().until(~pipeline.busy)
        assert [ctx.get(memories.data[Region.ISYN][n]) for n in range(3)] == [32767] * 3
        assert [ctx.get(memories.data[Region.ISYN2][n]) for n in range(3)] == [-32768] * 3

    simulate_parts(bench, pipeline)


# ------------------------------------------------------------------ StepController
@pytest.mark.parametrize("version", [1, 2])
def test_controller_step_takes_the_formula_cycles(version):
    params = XyloCoreParams(2, 3, 2, 4, 8, version=version)
    controller, pipeline = StepController(params), SynapticPipeline(params)
    seen = {}

    async def bench(ctx, memories):
        for n in range(5):
            ctx.set(memories.data[Region.THRESHOLD][n], 30000)  # no spikes
        await send(ctx, controller.counts, {"channel": 1, "count": 200}, within=1)  # acts as 15
        ctx.set(controller.step, 1)
        await ctx.tick()
        ctx.set(controller.step, 0)
        cycles = 0
        while not ctx.get(controller.done):
            assert ctx.get(controller.busy) and not ctx.get(controller.counts.ready)
            cycles += 1
            await ctx.tick()
        await ctx.tick()
        seen["cycles"], seen["register"] = cycles + 1, ctx.get(controller.host.cycles)
        assert not ctx.get(controller.busy) and ctx.get(controller.host.idle)

    simulate_parts(bench, controller, pipeline, params=params)
    assert seen["cycles"] == seen["register"] == step_cycles(params, 1, 0, 0, 0, 0, 0)


def test_controller_clears_the_state():
    controller, pipeline = StepController(PARAMS), SynapticPipeline(PARAMS)
    neurons = PARAMS.n_hidden + PARAMS.n_outputs

    async def bench(ctx, memories):
        for region in (Region.ISYN, Region.ISYN2, Region.VMEM, Region.SPIKES, Region.THRESHOLD):
            for n in range(neurons):
                ctx.set(memories.data[region][n], 11)
        ctx.set(controller.host.clear, 1)
        await ctx.tick()
        ctx.set(controller.host.clear, 0)
        busy = 0
        while ctx.get(controller.busy):
            busy += 1
            await ctx.tick()
        assert busy == neurons + 1 and ctx.get(controller.host.cycles) == 0  # a clear is not a step
        for region, value in ((Region.ISYN, 0), (Region.ISYN2, 0), (Region.VMEM, 0), (Region.SPIKES, 0),
                              (Region.THRESHOLD, 11)):
            assert [ctx.get(memories.data[region][n]) for n in range(neurons)] == [value] * neurons, region

    simulate_parts(bench, controller, pipeline)


# ------------------------------------------------------------------ CoreMemories
def test_memories_take_turns_and_broadcast_reads():
    async def bench(ctx, memories):
        host, controller = memories.host, memories.controller
        ctx.set(host.write_addr, 4)
        ctx.set(host.write_en.threshold, 1)
        ctx.set(host.write_data.threshold, -5)
        ctx.set(host.w_in.addr, 3)
        ctx.set(host.w_in.we, 1)
        ctx.set(host.w_in.wdata, 0x1234)
        await ctx.tick()
        for signal in (host.write_addr, host.write_en.threshold, host.write_data.threshold, host.w_in.addr,
                       host.w_in.we, host.w_in.wdata):
            ctx.set(signal, 0)
        ctx.set(controller.read_addr, 4)
        ctx.set(controller.w_in.addr, 3)
        await ctx.tick()
        for client in CLIENTS:
            assert ctx.get(getattr(memories, client).read_data.threshold) == -5
            assert ctx.get(getattr(memories, client).w_in.rdata) == 0x1234

    simulate_parts(bench)


@pytest.mark.parametrize("part", [HostPort, SynapticPipeline, StepController, CoreMemories])
def test_part_params_wrong(part):
    with warnings.catch_warnings():  # the refused part is never elaborated: no UnusedElaboratable warning
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="params: expected a XyloCoreParams, got dict"):
            part({"n_inputs": 2})
        gc.collect()


def test_access_signature_wrong():
    with pytest.raises(ValueError, match=r"client: 'router' is not one of \('host', 'pipeline', 'controller'\)"):
        access_signature(PARAMS, "router")


# ------------------------------------------------------------------ the address map's one table
def test_address_map_derives_from_one_table():
    assert [(r.name, int(r)) for r in Region] == [(spec.name, spec.id) for spec in REGIONS]
    assert [(c.name, int(c)) for c in Ctrl] == [(spec.name, spec.offset) for spec in CTRL_REGISTERS]
    for params in (PARAMS, XyloCoreParams(version=2), XyloCoreParams(profile="imu")):
        for spec in REGIONS:
            expected = getattr(params, spec.words) if params.version >= spec.version else 0
            assert params.region_depth(Region[spec.name]) == expected, (params, spec.name)
    assert PARAMS.region_depth(Region.CTRL) == len(Ctrl) == 6
    assert PARAMS.region_depth(Region.BIAS_OUT) == 0 and XyloCoreParams(version=2).region_depth(Region.BIAS_OUT) == 8
    assert READOUT_MEMORY == {Region.THRESHOLD_OUT: Region.THRESHOLD, Region.DASH_OUT: Region.DASH,
                              Region.BIAS_OUT: Region.BIAS, Region.ISYN_OUT: Region.ISYN, Region.VMEM_OUT: Region.VMEM}
    assert {name for name, _ in neuron_layout(2)} == {region.name.lower() for region in NEURON_MEMORIES}
    assert {name for name, _ in neuron_layout(1)} == {region.name.lower() for region in NEURON_MEMORIES} - {"bias"}


def test_address_map_written_once():
    """Each region's number is written in memory_map.REGIONS only (no second enum, table or Array)."""
    for spec in REGIONS:
        found = definitions(rf"\b{spec.name}\b\W{{1,3}}{spec.id}\b", ("hdl", "fpga"))
        assert len(found) == 1 and found[0].startswith("hdl/xylo/memory_map.py:"), (spec.name, found)


def test_region_depth_wrong():
    with pytest.raises(ValueError, match="11 is not a valid Region"):
        PARAMS.region_depth(11)
