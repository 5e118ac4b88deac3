"""Run :class:`XyloCore` in Amaranth's simulator with ``XyloSim.evolve``'s interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from amaranth.hdl import Shape
from amaranth.sim import Simulator

from spikegate.sim.xylo import XyloConfig
from spikegate.sim.xylo.model import check_raster as _check_raster

from ..streams import send, send_all
from .core import XyloCore
from .memory_map import (OFFSET_BITS, Ctrl, Region, XyloCoreParams, address, config_writes, decode_flat_state,
                         state_addresses)


async def write_words(ctx, core: XyloCore, writes) -> None:
    """Write ``(address, data)`` pairs through the configuration port, one per cycle."""
    await send_all(ctx, core.config, ({"addr": addr, "data": value} for addr, value in writes))


async def load_words(ctx, core: XyloCore, writes) -> None:
    """Put ``(address, data)`` pairs straight into the core's memories (simulation only, no clock
    cycles); the CTRL registers still go through the configuration port."""
    for addr, value in writes:
        region = Region(addr >> OFFSET_BITS)
        if region == Region.CTRL:
            await send(ctx, core.config, {"addr": addr, "data": value})
            continue
        memory_region, index = core.params.locate(region, addr & 0xFFFF)
        data = core.memory_data[memory_region]
        if Shape.cast(data.shape).signed:
            value -= (value & 0x8000) << 1
        ctx.set(data[index], value)


async def read_words(ctx, core: XyloCore, addresses) -> list[int]:
    """Read words through the read-back port (one per cycle)."""
    addresses = list(addresses)
    words: list[int] = []
    ctx.set(core.readback_data.ready, 1)
    issued = 0
    while len(words) < len(addresses):
        if issued < len(addresses):
            ctx.set(core.readback_addr.payload.addr, addresses[issued])
        ctx.set(core.readback_addr.valid, issued < len(addresses))
        accepted = issued < len(addresses) and ctx.get(core.readback_addr.ready)
        got = ctx.get(core.readback_data.valid)
        value = ctx.get(core.readback_data.payload.data)
        await ctx.tick()
        if got:
            words.append(value)
        issued += bool(accepted)
    ctx.set(core.readback_addr.valid, 0)
    return words


async def read_state(ctx, core: XyloCore) -> dict[str, np.ndarray]:
    """Every state register through the read-back port, named and shaped as ``XyloSim`` records it."""
    addresses = [a for addrs in state_addresses(core.params).values() for a in addrs]
    return decode_flat_state(core.params, await read_words(ctx, core, addresses))


async def run_step(ctx, core: XyloCore, counts) -> tuple[list[int], int]:
    """Send one step's input counts, run the step; return the readout neurons that spiked and the
    step's clock cycles."""
    for channel, count in enumerate(counts):
        if count:
            await send(ctx, core.counts, {"channel": channel, "count": int(count)})
    ctx.set(core.spikes.ready, 1)
    ctx.set(core.step, 1)
    await ctx.tick()
    ctx.set(core.step, 0)
    spiked = []
    while True:
        neuron, valid, done = await ctx.tick().sample(core.spikes.payload.neuron, core.spikes.valid,
                                                      core.done).until(core.spikes.valid | core.done)
        if valid:
            spiked.append(neuron)
        if done:
            return spiked, ctx.get(core.cycles)


def check_raster(config: XyloConfig, raster) -> np.ndarray:
    """Validate a (T, Nin) raster of input counts as ``XyloSim.evolve`` does; return it as int64."""
    return _check_raster(raster, config.n_inputs, batched=False).astype(np.int64)


def simulate(config: XyloConfig, raster, record: bool = True, vcd: str | Path | None = None,
             params: XyloCoreParams | None = None, load: str = "port"):
    """Load ``config`` into a :class:`XyloCore` through its configuration port and run ``raster``.

    Args:
        config: the network.
        raster: (T, Nin) input event counts per step (0..255; above 15 acts as 15).
        record: read every state register back after every step (else only after the last).
        vcd: write a waveform to this ``.vcd`` path (and a GTKWave save file beside it, ``.gtkw``).
        params: the core's size (default: the smallest that holds ``config``).
        load: ``"port"`` writes the config through the configuration port, one word per cycle;
            ``"direct"`` puts the same words straight into the memories (no cycles: a full-size
            config is about 64k words, half a minute in Amaranth's simulator).

    Returns:
        ``(out, state, rec, cycles)``: ``out``, ``state`` and ``rec`` as ``XyloSim(config).evolve(raster,
        record)`` returns them (int16; ``rec`` empty unless ``record``), and ``cycles`` (T,) int64,
        the clock cycles each step kept the core busy.

    For long or full-size runs, ``spikegate.fpga.compiled.simulate_xylo`` runs the same design compiled
    with CXXRTL and g++, driven by the board driver (the same results and cycles, several hundred times
    faster; no waveforms).
    """
    if not isinstance(config, XyloConfig):
        raise TypeError(f"config: expected a XyloConfig, got {type(config).__name__}")
    raster = check_raster(config, raster)
    params = params or XyloCoreParams.for_config(config)
    if load not in ("port", "direct"):
        raise ValueError(f"load: {load!r} is not one of ('port', 'direct')")
    writes = config_writes(config, params)
    core = XyloCore(params)
    n_steps = raster.shape[0]
    out = np.zeros((n_steps, config.n_outputs), np.int16)
    cycles = np.zeros(n_steps, np.int64)
    records: list[dict[str, np.ndarray]] = []
    final: dict[str, np.ndarray] = {}

    async def testbench(ctx):
        await (write_words if load == "port" else load_words)(ctx, core, writes)
        await write_words(ctx, core, [(address(Region.CTRL, Ctrl.CLEAR), 0)])
        await ctx.tick().until(~core.busy)
        for t in range(n_steps):
            spiked, cycles[t] = await run_step(ctx, core, raster[t])
            out[t, spiked] = 1
            if record or t == n_steps - 1:
                records.append(await read_state(ctx, core))
        if not records:
            records.append(await read_state(ctx, core))
        final.update(records[-1])

    sim = Simulator(core)
    sim.add_clock(1e-7)  # 10 MHz: the time axis of a waveform reads in cycles of 100 ns
    sim.add_testbench(testbench)
    if vcd is None:
        sim.run()
    else:
        vcd = Path(vcd)
        traces = [core.step, core.busy, core.done, core.spikes.valid, core.spikes.payload.neuron, core.cycles]
        with sim.write_vcd(str(vcd), str(vcd.with_suffix(".gtkw")), traces=traces):
            sim.run()
    rec = {}
    if record:
        rec = {name: np.stack([r[name] for r in records]) for name in ("Isyn", "Isyn2", "Vmem", "Spikes",
                                                                       "Isyn_out", "Vmem_out")}
    return out, final, rec, cycles
