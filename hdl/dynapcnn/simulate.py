"""Run a :class:`DynapcnnChip` in Amaranth's simulator on numpy events, and the model the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from amaranth.sim import Simulator

from spikegate.sim.dynapcnn.config import N_CORES, ChipConfig
from spikegate.sim.dynapcnn.model import OUTPUT_EVENT_DTYPE, DynapcnnSim, checked_events, topological_order

from ..streams import receive, send
from .chip import DynapcnnChip
from .limits import CoreLimits
from .memory_map import chip_writes, decode_membranes, membrane_addresses

LOADS = ("init", "port")


@dataclass(frozen=True)
class SimResult:
    """What :func:`simulate` observed.

    Attributes:
        events: output events (``OUTPUT_EVENT_DTYPE``) in the order the monitor stream delivered them.
        membranes: per used core, int16 ``[f][x][y]`` read back through the configuration port.
        cycles: clock cycles from the first input item offered to the chip being idle again.
        items: input items run (events plus one per core per leak tick).
        synops: synaptic operations counted by the cores' hardware counters.
        input_stalls: cycles in which the chip refused an offered input item (input FIFO full).
        monitor_stalls: cycles in which a monitor record waited for the host.
    """

    events: np.ndarray
    membranes: dict[int, np.ndarray]
    cycles: int
    items: int
    synops: int
    input_stalls: int = 0
    monitor_stalls: int = 0

    @property
    def cycles_per_item(self) -> float:
        return self.cycles / max(self.items, 1)

    @property
    def synops_per_cycle(self) -> float:
        return self.synops / max(self.cycles, 1)


def _leak_ticks(leak_ticks, n_events: int) -> list[tuple[int, int]]:
    ticks = []
    for i, tick in enumerate(leak_ticks):
        before, t = (int(v) for v in tick)
        if not 0 <= before <= n_events:
            raise ValueError(f"leak_ticks[{i}]: position {before} is outside 0..{n_events} (the number of events)")
        ticks.append((before, t))
    return sorted(ticks, key=lambda tick: tick[0])


def input_items(chip_config: ChipConfig, events: np.ndarray, leak_ticks=()) -> list[dict]:
    """The chip's input items (``ChipInput`` payloads): the events in order, and before event ``i`` of each
    ``(i, t)`` in ``leak_ticks`` one leak tick of every core with ``leak_enable``, in topological order."""
    x, y, t, p = checked_events(events)
    if len(p) and p.max() >= 1024:
        index = int(np.argmax(p >= 1024))
        raise ValueError(f"events: field p value {int(p[index])} at event {index} is outside the channel range 0..1023")
    leaky = [i for i in topological_order(chip_config) if chip_config.cores[i].leak_enable]
    ticks = _leak_ticks(leak_ticks, len(x))
    items, k = [], 0
    for i in range(len(x) + 1):
        while k < len(ticks) and ticks[k][0] == i:
            items += [{"x": 0, "y": 0, "p": 0, "t": ticks[k][1], "leak": 1, "core": core} for core in leaky]
            k += 1
        if i < len(x):
            items.append({"x": int(x[i]), "y": int(y[i]), "p": int(p[i]), "t": int(t[i]), "leak": 0, "core": 0})
    return items


def reference(chip_config: ChipConfig, events: np.ndarray, leak_ticks=()) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """:class:`~spikegate.sim.dynapcnn.DynapcnnSim` (depth-first) run exactly as :func:`simulate` runs the
    hardware: output events and final membranes per used core."""
    net = DynapcnnSim(chip_config)
    ticks = _leak_ticks(leak_ticks, len(events))
    out, start = [], 0
    for before, t in ticks:
        out += [net(events[start:before]), net.leak_tick(t=t)]
        start = before
    out.append(net(events[start:]))
    return np.concatenate(out), {i: net.membranes(i) for i in chip_config.used_cores}


def fitted_limits(chip_config: ChipConfig) -> tuple[CoreLimits | None, ...]:
    """The smallest hardware core for each used core of ``chip_config`` (None for unused ones)."""
    return tuple(None if core is None else CoreLimits.fit(core) for core in chip_config.cores)


async def config_access(ctx, dut, addr: int, data: int = 0, write: bool = True) -> int | None:
    """One configuration access of a :class:`DynapcnnCore` or :class:`DynapcnnChip` (``dut``) from an Amaranth
    testbench: a write of ``data``, or a read whose answer (16-bit word) is returned."""
    await send(ctx, dut.config, {"addr": addr, "data": data, "write": int(write)})
    return None if write else int(await receive(ctx, dut.readback))


def simulate(chip_config: ChipConfig, events: np.ndarray, *, leak_ticks: Sequence[tuple[int, int]] = (),
             load: str = "init", limits: Sequence[CoreLimits | None] | None = None,
             monitor_ready: Callable[[int], bool] | None = None, read_membranes: bool = True,
             **depths) -> SimResult:
    """Run ``events`` (``INPUT_EVENT_DTYPE``) through a :class:`DynapcnnChip` configured by ``chip_config``
    in Amaranth's simulator; the result should equal :func:`reference` (the depth-first model).

    ``leak_ticks``: (i, t) pairs, a leak tick of every leak-enabled core before event i (see
    :func:`input_items`). ``load``: "init" builds the configuration into the design (fast), "port" writes it
    through the configuration port (:func:`~spikegate.hdl.dynapcnn.memory_map.chip_writes`). ``limits``:
    per-core memory depths (default: :func:`fitted_limits`). ``monitor_ready(cycle)``: the host's ready on
    the monitor stream per cycle (default always), to exercise back-pressure. ``depths``: FIFO depths for
    :class:`DynapcnnChip` (``input_depth``, ``fifo_depth``, ``monitor_depth``).
    """
    if not isinstance(chip_config, ChipConfig):
        raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
    if load not in LOADS:
        raise ValueError(f"load: value {load!r} is not one of {LOADS}")
    limits = fitted_limits(chip_config) if limits is None else tuple(limits)
    if len(limits) != N_CORES:
        raise ValueError(f"limits: {len(limits)} entries given; the chip has exactly {N_CORES} cores")
    for i in chip_config.used_cores:
        if limits[i] is None:
            raise ValueError(f"limits[{i}]: the config uses core {i}, so it needs a hardware core")
        limits[i].check(chip_config.cores[i], f"cores[{i}]")
    items = input_items(chip_config, events, leak_ticks)
    writes = chip_writes(chip_config, limits) if load == "port" else []
    chip = DynapcnnChip(limits, chip_config if load == "init" else None, **depths)
    ready = monitor_ready or (lambda cycle: True)
    records, membranes, counts = [], {}, {"input_stalls": 0, "monitor_stalls": 0}

    async def bench(ctx):
        for addr, data in writes:
            await config_access(ctx, chip, addr, data)
        n, cycle = 0, 0
        while True:
            if n < len(items):
                ctx.set(chip.events.payload, items[n])
            ctx.set(chip.events.valid, n < len(items))
            taking, settled = bool(ready(cycle)), n == len(items)
            ctx.set(chip.monitor.ready, taking)
            *_, accepted, valid, record, busy = await ctx.tick().sample(
                chip.events.ready, chip.monitor.valid, chip.monitor.payload, chip.busy)
            cycle += 1
            counts["input_stalls"] += not settled and not accepted
            counts["monitor_stalls"] += bool(valid and not taking)
            n += bool(accepted and not settled)
            if valid and taking:
                records.append((record.layer, record.feature, record.x, record.y, record.t))
            if settled and not busy:
                break
        ctx.set(chip.events.valid, 0)
        counts["cycles"], counts["synops"] = cycle, ctx.get(chip.synops)
        if read_membranes:
            for i in chip_config.used_cores:
                core = chip_config.cores[i]
                words = [await config_access(ctx, chip, int(a), write=False)
                         for a in membrane_addresses(core, slot=i)]
                membranes[i] = decode_membranes(core, words)

    sim = Simulator(chip)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    out = np.zeros(len(records), OUTPUT_EVENT_DTYPE)
    for i, (layer, feature, x, y, t) in enumerate(records):
        out[i] = (x, y, t, feature, layer, feature)
    return SimResult(events=out, membranes=membranes, items=len(items), **counts)
