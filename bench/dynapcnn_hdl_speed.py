"""Cycles per input event and synaptic operations per cycle of the DYNAP-CNN hardware, and the speed of its two
simulators (Amaranth's Python simulator against the compiled run of spikegate.fpga.compiled: the chip behind the
protocol engine, compiled with CXXRTL and g++, driven by DynapcnnBoard over byte streams), on the same events.

    python bench/dynapcnn_hdl_speed.py [build_dir]

Workloads: one core fed back to back straight into its event port (the pipeline's peak), one core inside the
chip (with the depth-first handshake), and the reduced seed MNIST network of tests/test_dynapcnn_hdl.py.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from amaranth.sim import Simulator

os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_dynapcnn_hdl import events, mnist_like, single  # noqa: E402

from spikegate.hdl.dynapcnn import CoreLimits, DynapcnnCore, reference, simulate  # noqa: E402
from spikegate.fpga.compiled import CompiledDynapcnn  # noqa: E402
from spikegate.sim.dynapcnn import CoreConfig  # noqa: E402


def core_alone(core: CoreConfig, batch) -> tuple[int, int]:
    """(cycles, synops) of a core taking ``batch`` back to back on its event port."""
    dut = DynapcnnCore(CoreLimits.fit(core), core)
    counts = {}

    async def bench(ctx):
        ctx.set(dut.spikes.ready, 1)
        cycles = 0
        for e in batch:
            ctx.set(dut.events.payload, {"x": int(e["x"]), "y": int(e["y"]), "channel": int(e["p"]), "leak": 0})
            ctx.set(dut.events.valid, 1)
            *_, ready = await ctx.tick().sample(dut.events.ready)
            cycles += 1
            while not ready:
                *_, ready = await ctx.tick().sample(dut.events.ready)
                cycles += 1
        ctx.set(dut.events.valid, 0)
        while ctx.get(dut.busy):
            await ctx.tick()
            cycles += 1
        counts["cycles"], counts["synops"] = cycles, ctx.get(dut.synops)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return counts["cycles"], counts["synops"]


def main(build_dir: Path) -> None:
    rng = np.random.default_rng(1)
    core = CoreConfig.from_weights(rng.integers(-20, 40, (8, 2, 5, 5)), (16, 16), threshold_high=400,
                                   threshold_low=-400, padding=(2, 2), monitor_enable=True)
    batch = events(list(zip(rng.integers(0, 16, 200), rng.integers(0, 16, 200), rng.integers(0, 2, 200))))
    cycles, synops = core_alone(core, batch)
    print(f"core alone, k5 8 features, 200 events back to back: {cycles / len(batch):.1f} cycles/event, "
          f"{synops / cycles:.3f} SOP/cycle")
    result = simulate(single(core), batch, read_membranes=False)
    print(f"same core in the chip (depth-first handshake): {result.cycles_per_item:.1f} cycles/event, "
          f"{result.synops_per_cycle:.3f} SOP/cycle, {len(result.events)} output events")

    chip = mnist_like(np.random.default_rng(0))
    rng = np.random.default_rng(2)
    short = events(list(zip(rng.integers(0, 28, 100), rng.integers(0, 28, 100), rng.integers(0, 2, 100))))
    start = time.perf_counter()
    python = simulate(chip, short, read_membranes=False)
    python_s = time.perf_counter() - start
    print(f"MNIST-like network, 100 events: {python.cycles_per_item:.1f} cycles/event, "
          f"{python.synops_per_cycle:.3f} SOP/cycle, {len(python.events)} output events")
    start = time.perf_counter()
    compiled = CompiledDynapcnn(chip, build_dir)
    print(f"CXXRTL model generated, compiled (or found in the cache) and configured in "
          f"{time.perf_counter() - start:.0f} s")
    try:
        start, before = time.perf_counter(), compiled.cycles
        native = compiled.run(short, read_membranes=False)
        native_s, native_cycles = time.perf_counter() - start, compiled.cycles - before
        assert (native.events == python.events).all()
        long = events(list(zip(rng.integers(0, 28, 5000), rng.integers(0, 28, 5000), rng.integers(0, 2, 5000))))
        start, before = time.perf_counter(), compiled.cycles
        sustained = compiled.run(long, read_membranes=False)
        long_s, long_cycles = time.perf_counter() - start, compiled.cycles - before
        assert (sustained.events == reference(chip, long)[0]).all()
    finally:
        compiled.close()
    # the compiled run simulates the protocol too (an EVENT is 9 bytes, a record 10): compare wall time per event
    print(f"Amaranth simulator: {python.cycles / python_s:,.0f} cycles/s, {len(short) / python_s:,.0f} events/s "
          f"({python_s:.2f} s for {python.cycles} cycles)")
    print(f"compiled -O1, same 100 events: {native_s:.3f} s ({python_s / native_s:.0f}x), {native_cycles} cycles "
          f"simulated ({native.busy_cycles} busy), {native_cycles / native_s:,.0f} cycles/s")
    print(f"compiled -O1, 5000 events: {long_s:.2f} s, {len(long) / long_s:,.0f} events/s "
          f"({len(long) / long_s / (len(short) / python_s):.0f}x the Amaranth simulator's events/s), "
          f"{long_cycles / long_s:,.0f} cycles/s ({long_cycles} cycles simulated, {sustained.busy_cycles} busy)")

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="dynapcnn-speed-")))
