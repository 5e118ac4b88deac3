"""DYNAP-CNN hardware (Amaranth) against hand-computed cases and the depth-first model DynapcnnSim: output
events (order included) and read-back membranes."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest
from amaranth.sim import Simulator

from spikegate.hdl.dynapcnn import (CoreLimits, DynapcnnChip, DynapcnnCore, ReceptiveField, config_access,
                                    config_writes, decode_membranes, fitted_limits, membrane_addresses, reference,
                                    simulate)
from spikegate.hdl.dynapcnn import memory_map as mm
from spikegate.hdl.dynapcnn.layouts import CoreFields
from spikegate.sim.compare import assert_same
from spikegate.sim.dynapcnn import (INPUT_EVENT_DTYPE, OUTPUT_EVENT_DTYPE, ChipConfig, CoreConfig, Destination,
                                    DvsLayerConfig, Size)

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(300)

FIELDS = OUTPUT_EVENT_DTYPE.names


def events(rows) -> np.ndarray:
    """Input events from (x, y, p) rows; t is the row index."""
    out = np.zeros(len(rows), INPUT_EVENT_DTYPE)
    for i, (x, y, p) in enumerate(rows):
        out[i] = (x, y, i, p)
    return out


def random_events(rng, size, channels: int, n: int) -> np.ndarray:
    return events(list(zip(rng.integers(0, size[0], n), rng.integers(0, size[1], n), rng.integers(0, channels, n))))


def single(core: CoreConfig) -> ChipConfig:
    return ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], core.input_map))


def assert_equivalent(chip: ChipConfig, batch: np.ndarray, leak_ticks=(), **options):
    """simulate() against the model: every output event field in order, every membrane; returns the result."""
    result = simulate(chip, batch, leak_ticks=leak_ticks, **options)
    want, membranes = reference(chip, batch, leak_ticks)
    assert len(result.events) == len(want), f"{len(result.events)} output events from the hardware, {len(want)} " \
                                            f"from the model"
    assert_same({k: result.events[k][:, None] for k in FIELDS}, {k: want[k][:, None] for k in FIELDS},
                axes=("event", "-"), names=("hdl", "model"), context="output events")
    for i in chip.used_cores:
        assert_same({"V": result.membranes[i][None]}, {"V": membranes[i][None]}, axes=("-", "f", "x", "y"),
                    names=("hdl", "model"), context=f"core {i} membranes")
    return result


# ------------------------------------------------------------------------------------ hand-computed cases
def test_one_spike_per_update_and_subtract():
    core = CoreConfig.from_weights([[[[12]]]], (1, 1), threshold_high=5, threshold_low=-100, monitor_enable=True)
    result = simulate(single(core), events([(0, 0, 0)] * 3))
    # 12 >= 5: one spike, 7 stays above threshold without a second spike; 7 + 12 = 19 -> 14; 26 -> 21
    assert [(e["layer"], e["feature"], e["t"]) for e in result.events] == [(0, 0, 0), (0, 0, 1), (0, 0, 2)]
    assert result.membranes[0][0, 0, 0] == 21


def test_return_to_zero_clamp_and_saturation():
    rtz = CoreConfig.from_weights([[[[3]]]], (1, 1), threshold_high=5, threshold_low=-100, return_to_zero=True,
                                  monitor_enable=True)
    assert len(simulate(single(rtz), events([(0, 0, 0)] * 4)).events) == 2  # 3, 6 -> 0, 3, 6 -> 0
    clamp = CoreConfig.from_weights([[[[-100]]]], (1, 1), threshold_high=5, threshold_low=-150)
    assert simulate(single(clamp), events([(0, 0, 0)] * 2)).membranes[0][0, 0, 0] == -150
    top = CoreConfig.from_weights([[[[127]]]], (1, 1), threshold_high=32767, threshold_low=-32768,
                                  neurons_initial_value=[[[32700]]], monitor_enable=True)
    result = simulate(single(top), events([(0, 0, 0)]))  # 32827 saturates to 32767 = threshold: spike, then 0
    assert len(result.events) == 1 and result.membranes[0][0, 0, 0] == 0
    bottom = CoreConfig.from_weights([[[[-128]]]], (1, 1), threshold_high=10, threshold_low=-32768,
                                     neurons_initial_value=[[[-32700]]])
    assert simulate(single(bottom), events([(0, 0, 0)])).membranes[0][0, 0, 0] == -32768


def visited(core: CoreConfig, x: int, y: int) -> list[tuple[int, int, int]]:
    """The spec's receptive field of (x, y), visited f, then oy, then ox ascending (brute force)."""
    k, (width, height) = core.dimensions.kernel_size, core.neuron_map
    pad, stride = core.dimensions.padding, core.dimensions.stride
    return [(f, ox, oy) for f in range(core.features) for oy in range(height) for ox in range(width)
            if 0 <= x + pad.x - ox * stride.x < k and 0 <= y + pad.y - oy * stride.y < k]


@pytest.mark.parametrize("k, stride, padding, size", [(3, (1, 1), (1, 1), (5, 4)), (5, (2, 1), (2, 0), (9, 7)),
                                                      (16, (8, 4), (7, 3), (24, 18)), (1, (4, 8), (0, 0), (13, 17))])
def test_receptive_field_order_and_addresses(k, stride, padding, size):
    core = CoreConfig.from_weights(np.zeros((2, 3, k, k), int), size, threshold_high=1, threshold_low=0,
                                   stride=stride, padding=padding)
    limits = CoreLimits.fit(core)
    dut = ReceptiveField(limits)
    kernel = mm.kernel_offsets(core)
    neuron = mm.neuron_offsets(core)
    probes = [(0, 0, 2), (size[0] - 1, size[1] - 1, 1), (size[0] // 2, 1, 0)]
    got = []

    async def bench(ctx):
        ctx.set(dut.fields, mm.field_init(core, CoreFields))
        await ctx.tick().repeat(2)
        for x, y, c in probes:
            ctx.set(dut.jobs.payload, {"x": x, "y": y, "channel": c, "leak": 0})
            ctx.set(dut.jobs.valid, 1)
            await ctx.tick().until(dut.jobs.ready)
        ctx.set(dut.jobs.valid, 0)
        await ctx.tick().repeat(400)

    async def collect(ctx):
        ctx.set(dut.ops.ready, 1)
        async for _, _, valid, op in ctx.tick().sample(dut.ops.valid, dut.ops.payload):
            if valid:
                got.append((op.feature, op.x, op.y, op.neuron_addr, op.kernel_addr))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(collect)
    sim.run()
    want = []
    for x, y, c in probes:
        for f, ox, oy in visited(core, x, y):
            kx, ky = x + padding[0] - ox * stride[0], y + padding[1] - oy * stride[1]
            want.append((f, ox, oy, neuron[f, ox, oy], kernel[f, c, kx, ky]))
    assert got == want


def test_core_back_to_back_events_forwarding():
    """Events streamed straight into one core (no chip handshake), so consecutive updates of one neuron meet
    in the pipeline: the interlock and forwarding must give the model's spikes and membranes."""
    rng = np.random.default_rng(7)
    for k, features, size in ((1, 1, (2, 2)), (2, 1, (3, 2)), (1, 2, (2, 1)), (2, 2, (3, 3))):
        core = CoreConfig.from_weights(rng.integers(-30, 60, (features, 2, k, k)), size, threshold_high=70,
                                       threshold_low=-90, monitor_enable=True)
        batch = random_events(rng, size, 2, 80)
        want, membranes = reference(single(core), batch)
        dut = DynapcnnCore(CoreLimits.fit(core), core)
        got, words = [], []

        async def bench(ctx):
            for e in batch:
                ctx.set(dut.events.payload, {"x": int(e["x"]), "y": int(e["y"]), "channel": int(e["p"]), "leak": 0})
                ctx.set(dut.events.valid, 1)
                await ctx.tick().until(dut.events.ready)
            ctx.set(dut.events.valid, 0)
            await ctx.tick().until(~dut.busy)
            words.extend([await config_access(ctx, dut, int(a), write=False) for a in membrane_addresses(core)])

        async def spikes(ctx):
            ctx.set(dut.spikes.ready, 1)
            async for _, _, valid, event in ctx.tick().sample(dut.spikes.valid, dut.spikes.payload):
                if valid:
                    got.append((event.feature, event.x, event.y))

        sim = Simulator(dut)
        sim.add_clock(1e-6)
        sim.add_testbench(bench)
        sim.add_process(spikes)
        sim.run()
        assert got == [(int(e["feature"]), int(e["x"]), int(e["y"])) for e in want]
        assert_same({"V": decode_membranes(core, words)[None]}, {"V": membranes[0][None]}, axes=("-", "f", "x", "y"),
                    names=("hdl", "model"))


# ---------------------------------------------------------------------------- seeded-random single cores
#: (kernel, stride, padding, pooling, return_to_zero, leak, feature_shift): every kernel class (1, 2-3,
#: 4-8, 9-16), stride 1/2/4/8, padding, pooling 1/2/4, both resets, leak, feature_shift.
CASES = [
    (1, 1, 0, 1, False, False, 0), (1, 2, 0, 2, True, True, 1), (2, 1, 1, 1, True, False, 0),
    (3, 1, 1, 2, False, True, 2), (3, 2, 2, 4, True, False, 0), (2, 4, 1, 1, False, False, 3),
    (4, 1, 3, 2, True, True, 0), (5, 2, 2, 1, False, False, 1), (7, 4, 3, 2, True, False, 0),
    (8, 8, 7, 1, False, True, 0), (8, 2, 0, 4, False, False, 2), (11, 4, 5, 1, True, True, 0),
    (13, 8, 6, 2, False, False, 1), (16, 8, 7, 1, True, False, 0), (16, 1, 0, 2, False, True, 0),
    (6, 1, 0, 1, True, False, 0),
]


def random_case(rng, k, stride, padding, pooling, rtz, leak, shift) -> tuple[ChipConfig, tuple[int, int]]:
    """Core 0 with the given geometry (small random maps), monitored, optionally routed through a pooled
    destination (with feature_shift) into a monitored 1x1 core 1."""
    out = (int(rng.integers(max(pooling, 2), 5)), int(rng.integers(max(pooling, 1), 5)))
    size = tuple(max(1, (o - 1) * stride + k - 2 * padding) + int(rng.integers(0, stride)) for o in out)
    channels, features = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    threshold = int(rng.integers(40, 120))
    core = CoreConfig.from_weights(
        rng.integers(-40, 90, (features, channels, k, k)), size, threshold_high=threshold,
        threshold_low=-int(rng.integers(0, 2 * threshold)), stride=(stride, stride), padding=(padding, padding),
        return_to_zero=rtz, leak_enable=leak, biases=rng.integers(-15, 25, features) if leak else None,
        monitor_enable=True)
    core = core.replace(neurons_initial_value=rng.integers(-threshold, threshold, core.neurons_initial_value.shape))
    cores = {0: core}
    if pooling > 1 or shift:
        pooled = (core.neuron_map[0] // pooling, core.neuron_map[1] // pooling)
        sink = CoreConfig.from_weights(rng.integers(-20, 60, (2, features + shift, 1, 1)), pooled,
                                       threshold_high=50, threshold_low=-50, monitor_enable=True)
        cores[1] = sink
        cores[0] = core.replace(destinations=(Destination(1, True, pooling, shift),))
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([0], size)), size


@pytest.mark.parametrize("case", range(len(CASES)))
def test_single_core_matches_model(case):
    rng = np.random.default_rng(500 + case)
    k, stride, padding, pooling, rtz, leak, shift = CASES[case]
    chip, size = random_case(rng, *CASES[case])
    core = chip.cores[0]
    assert core.dimensions.kernel_size == k and core.dimensions.stride.x == stride
    batch = random_events(rng, size, core.channels, 60)
    ticks = [(20, 1000), (45, 2000), (60, 3000)] if leak else []
    result = assert_equivalent(chip, batch, ticks)
    assert result.synops > 0


# ------------------------------------------------------------------------------------------- networks
def mnist_like(rng) -> ChipConfig:
    """A reduced version of the seed MNIST network on cores 0 -> 3 -> 5 -> 6 -> 1 (spec §8): conv k5 + pool 2,
    conv k3 + pool 2, conv k2 + pool 2, "linear" (k = map), linear; small maps and features."""
    specs = [(0, 1, 4, 5, 14, 2), (3, 4, 6, 3, 5, 1), (5, 6, 8, 2, 3, 1), (6, 8, 12, 2, 2, 1), (1, 12, 5, 1, 1, 1)]
    cores = {}
    for n, (index, channels, features, k, size, pooling) in enumerate(specs):
        core = CoreConfig.from_weights(rng.integers(-60, 60, (features, channels, k, k)), (size, size),
                                       threshold_high=int(rng.integers(100, 200)), threshold_low=-100,
                                       monitor_enable=n in (2, 4))
        if n + 1 < len(specs):
            core = core.replace(destinations=(Destination(specs[n + 1][0], True, pooling),))
        cores[index] = core
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig(
        merge=True, pooling=Size(2, 2), cut=Size(13, 13), monitor_enable=False,
        destinations=(Destination(0, True),)))


def test_mnist_like_network_matches_model():
    rng = np.random.default_rng(0)
    chip = mnist_like(rng)
    batch = events(list(zip(rng.integers(0, 28, 100), rng.integers(0, 28, 100), rng.integers(0, 2, 100))))
    result = assert_equivalent(chip, batch)
    assert {int(layer) for layer in result.events["layer"]} == {5, 1}


def merging_graph(rng) -> ChipConfig:
    """The DVS layer (pooling, crop, mirrors, swap, monitor) feeds core 4; 4 feeds 2 (dest 0) and 7 (dest 1);
    2 also feeds 7 with a feature_shift: depth-first and breadth-first orders differ at core 7."""
    dvs = DvsLayerConfig(merge=False, pooling=Size(2, 1), origin=Size(1, 2), cut=Size(6, 7), mirror_x=True,
                         mirror_y=False, mirror_diagonal=True, monitor_enable=True,
                         destinations=(Destination(4, True),))
    a = CoreConfig.from_weights(rng.integers(-10, 80, (3, 2, 3, 3)), dvs.output_map, threshold_high=60,
                                threshold_low=-60, padding=(1, 1), monitor_enable=True)
    b = CoreConfig.from_weights(rng.integers(-10, 80, (2, 3, 1, 1)), a.neuron_map, threshold_high=50,
                                threshold_low=-50, monitor_enable=True)
    c = CoreConfig.from_weights(rng.integers(-10, 80, (2, 5, 2, 2)), a.neuron_map, threshold_high=70,
                                threshold_low=-70, return_to_zero=True, monitor_enable=True)
    a = a.replace(destinations=(Destination(2, True), Destination(7, True)))
    b = b.replace(destinations=(Destination(7, True, 1, 3),))
    return ChipConfig(cores={4: a, 2: b, 7: c}, dvs_layer=dvs)


def test_merging_graph_depth_first_order():
    rng = np.random.default_rng(11)
    chip = merging_graph(rng)
    batch = events(list(zip(rng.integers(0, 16, 60), rng.integers(0, 10, 60), rng.integers(0, 2, 60))))
    result = assert_equivalent(chip, batch)
    assert {int(layer) for layer in result.events["layer"]} == {9, 4, 2, 7}


def test_dvs_merge_pool_crop_mirror_y_and_two_destinations():
    """The DVS layer merging polarities, pooling 4 x 2, cropping, flipping y, feeding two cores (the second one
    pooled by 2, with a feature_shift)."""
    rng = np.random.default_rng(12)
    dvs = DvsLayerConfig(merge=True, pooling=Size(4, 2), origin=Size(2, 1), cut=Size(9, 6), mirror_y=True,
                         destinations=(Destination(0, True), Destination(8, True, 2, 1)))
    first = CoreConfig.from_weights(rng.integers(0, 60, (2, 1, 2, 2)), dvs.output_map, threshold_high=70,
                                    threshold_low=-20, monitor_enable=True)
    second = CoreConfig.from_weights(rng.integers(0, 60, (2, 2, 1, 1)), (4, 3), threshold_high=50,
                                     threshold_low=-20, monitor_enable=True)
    chip = ChipConfig(cores={0: first, 8: second}, dvs_layer=dvs)
    batch = events(list(zip(rng.integers(0, 48, 80), rng.integers(0, 16, 80), rng.integers(0, 2, 80))))
    result = assert_equivalent(chip, batch)
    assert {int(layer) for layer in result.events["layer"]} == {0, 8}


def test_back_pressure_loses_no_event():
    """Tiny FIFOs and a host that takes a monitor record only now and then (with long pauses): the input FIFO
    and the monitor FIFO fill, the chip stalls, and still every event arrives, in the model's order."""
    rng = np.random.default_rng(11)
    chip = merging_graph(rng)
    batch = events(list(zip(rng.integers(0, 16, 40), rng.integers(0, 10, 40), rng.integers(0, 2, 40))))
    stalled = lambda cycle: cycle % 5 == 0 and not 200 <= cycle % 1000 < 600  # noqa: E731
    result = assert_equivalent(chip, batch, monitor_ready=stalled, input_depth=2, fifo_depth=2, monitor_depth=2)
    free = simulate(chip, batch, input_depth=2, fifo_depth=2, monitor_depth=2, read_membranes=False)
    assert result.input_stalls > 0 and result.monitor_stalls > 0 and free.monitor_stalls == 0
    assert result.cycles > free.cycles


# ------------------------------------------------------------------------------------ configuration port
def test_port_load_equals_built_in_and_reads_back():
    rng = np.random.default_rng(5)
    chip = merging_graph(rng)
    batch = events(list(zip(rng.integers(0, 16, 30), rng.integers(0, 10, 30), rng.integers(0, 2, 30))))
    assert_equivalent(chip, batch, load="port")
    limits = fitted_limits(chip)
    writes = mm.chip_writes(chip, limits)
    dut = DynapcnnChip(limits)
    words = []

    async def bench(ctx):
        for a, d in writes:
            await config_access(ctx, dut, a, d)
        words.extend([await config_access(ctx, dut, a, write=False) for a, _ in writes])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert words == [d for _, d in writes]


def test_memory_map_layout():
    core = CoreConfig.from_weights(np.arange(2 * 3 * 9).reshape(2, 3, 3, 3) - 27, (6, 5), threshold_high=9,
                                   threshold_low=-9, leak_enable=True, biases=[-3, 4])
    writes = dict(config_writes(core, CoreLimits.fit(core), slot=2))
    base = 2 << 18
    assert writes[base + 0] == 6 and writes[base + 1] == 5 and writes[base + 12] == (-9) & 0xFFFF
    assert writes[base | 1 << 16 | 1] == 4  # biases[1]
    # kernel: c << (kb + fb) | f << kb | kx*k + ky with kb = 4, fb = 1: weights[1][2][0][2] at 2<<5 | 1<<4 | 2
    assert writes[base | 2 << 16 | (2 << 5 | 1 << 4 | 2)] == int(core.weights[1, 2, 0, 2]) & 0xFFFF
    # neurons (4x3 map): f << (xb + yb) | y << xb | x with xb = yb = 2
    assert membrane_addresses(core, slot=2)[1 * 12 + 3 * 3 + 2] == base | 3 << 16 | (1 << 4 | 2 << 2 | 3)
    assert mm.field_name(mm.CORE_REGISTERS[19][0]) == "destinations[0].feature_shift"


# ----------------------------------------------------------------------------------------- bad input
def test_simulate_wrong():
    core = CoreConfig.from_weights(np.ones((1, 1, 3, 3), int), (8, 8), threshold_high=5, threshold_low=-5)
    chip = single(core)
    with pytest.raises(ValueError, match=r"load: value 'flash' is not one of"):
        simulate(chip, events([(0, 0, 0)]), load="flash")
    with pytest.raises(ValueError, match=r"cores\[0\]: neuron memory of 64 entries is over this hardware core's "
                                         r"depth of 16 \(by 48\)"):
        simulate(chip, events([(0, 0, 0)]), limits=[CoreLimits(neuron=16)] + [None] * 8)
    with pytest.raises(ValueError, match=r"limits\[0\]: the config uses core 0"):
        simulate(chip, events([(0, 0, 0)]), limits=[None] * 9)
    with pytest.raises(ValueError, match=r"limits: 2 entries given"):
        simulate(chip, events([(0, 0, 0)]), limits=[None] * 2)
    with pytest.raises(ValueError, match=r"events: field x value 200 at event 0"):
        simulate(chip, events([(200, 0, 0)]))
    with pytest.raises(ValueError, match=r"leak_ticks\[0\]: position 5 is outside 0..1"):
        simulate(chip, events([(0, 0, 0)]), leak_ticks=[(5, 0)])
    with pytest.raises(TypeError, match=r"chip_config: expected a ChipConfig"):
        simulate(core, events([(0, 0, 0)]))


def test_limits_and_decoder_wrong():
    with pytest.raises(ValueError, match=r"kernel: depth 0 is outside 1..65536"):
        CoreLimits(kernel=0)
    core = CoreConfig.from_weights(np.ones((1, 1, 1, 1), int), (2, 2), threshold_high=5, threshold_low=-5)
    with pytest.raises(ValueError, match=r"words: 3 values given; the core has 4 neurons"):
        decode_membranes(core, [0, 0, 0])
    with warnings.catch_warnings():  # the refused chip is never elaborated: no UnusedElaboratable warning
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"cores\[1\]: the config uses core 1, which this chip does not have"):
            DynapcnnChip([CoreLimits()] + [None] * 8, ChipConfig(cores={1: core},
                                                                  dvs_layer=DvsLayerConfig.direct([1], (2, 2))))
        gc.collect()
    assert CoreLimits.for_shape(features=4, channels=2, neuron_map=8, kernel_size=3) == \
        CoreLimits(kernel=2 << 6, neuron=4 << 6, bias=4)
    assert CoreLimits.of_chip(5).kernel == 64 * 1024


# ----------------------------------------------------------------------------------------- compiled path
def assert_compiled_equals_model(result, chip: ChipConfig, batch: np.ndarray, leak_ticks=()):
    """A CompiledResult against the model: every output event field in order, every membrane."""
    want, membranes = reference(chip, batch, leak_ticks)
    assert len(result.events) == len(want), f"{len(result.events)} output events compiled, {len(want)} from the model"
    assert_same({k: result.events[k][:, None] for k in FIELDS}, {k: want[k][:, None] for k in FIELDS},
                axes=("event", "-"), names=("compiled", "model"), context="output events")
    assert sorted(result.membranes) == sorted(chip.used_cores)
    for i in chip.used_cores:
        assert_same({"V": result.membranes[i][None]}, {"V": membranes[i][None]}, axes=("-", "f", "x", "y"),
                    names=("compiled", "model"), context=f"core {i} membranes")


def test_compiled_chip_two_batches_from_the_loaded_state(tmp_path):
    """CompiledDynapcnn (the chip behind the protocol engine, compiled, run by DynapcnnBoard over byte
    streams): two leaky, pooled cores with random initial membranes; two batches on one build, each from
    the loaded state; events and membranes equal the model's and simulate()'s."""
    from spikegate.fpga.compiled import CompiledDynapcnn

    rng = np.random.default_rng(503)
    chip, size = random_case(rng, *CASES[3])  # k3, pooling 2 into core 1, leak, feature shift 2
    first = random_events(rng, size, chip.cores[0].channels, 60)
    second = random_events(rng, size, chip.cores[0].channels, 40)
    ticks = [(20, 1000), (60, 2000)]
    with CompiledDynapcnn(chip, tmp_path) as compiled:
        result = compiled.run(first, ticks)
        assert_compiled_equals_model(result, chip, first, ticks)
        hdl = simulate(chip, first, leak_ticks=ticks)
        assert (result.events == hdl.events).all() and result.items == hdl.items == 60 + 2
        assert 0 < result.busy_cycles < compiled.cycles
        again = compiled.run(second, [(0, 3000)])
        assert_compiled_equals_model(again, chip, second, [(0, 3000)])
        assert compiled.run(second[:0], read_membranes=False).membranes == {}
        with pytest.raises(ValueError, match=r"^leak_ticks\[0\]: position 5 is outside 0..4 \(the number of events\)$"):
            compiled.run(second[:4], [(5, 0)])
        assert_compiled_equals_model(compiled.run(second), chip, second)  # the refused run sent nothing


def test_compiled_chip_wrong():
    from spikegate.fpga.compiled import CompiledDynapcnn

    with pytest.raises(TypeError, match=r"^chip_config: expected a ChipConfig, got dict$"):
        CompiledDynapcnn({})


@pytest.mark.slow
def test_compiled_chip_matches_model_on_long_runs(tmp_path):
    """The compiled chip (a few minutes of g++) on the MNIST-like network: 3000 events with leak ticks,
    output events and membranes equal to the model; a prefix's events equal Amaranth's simulator's."""
    from spikegate.fpga.compiled import CompiledDynapcnn

    rng = np.random.default_rng(8)
    chip = mnist_like(rng)
    leaky = [None if c is None else c.replace(leak_enable=True, biases=rng.integers(-3, 4, c.features))
             for c in chip.cores]
    chip = chip.replace(cores=leaky)
    batch = events(list(zip(rng.integers(0, 28, 3000), rng.integers(0, 28, 3000), rng.integers(0, 2, 3000))))
    ticks = [(i, 10_000 + i) for i in range(0, 3000, 500)]
    with CompiledDynapcnn(chip, tmp_path) as compiled:
        assert_compiled_equals_model(compiled.run(batch, ticks), chip, batch, ticks)
        prefix = simulate(chip, batch[:40], leak_ticks=[(0, 10_000)])
        result = compiled.run(batch[:40], [(0, 10_000)])
    assert (result.events == prefix.events).all() and result.items == prefix.items
    for i in chip.used_cores:
        assert (result.membranes[i] == prefix.membranes[i]).all()
