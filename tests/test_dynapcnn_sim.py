"""The event-driven DYNAP-CNN model: hand-computed cases, an independent per-neuron reference, order properties,
bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spikegate.sim.compare import assert_same
from spikegate.sim.dynapcnn import (DVS_LAYER, INPUT_EVENT_DTYPE, ORDERS, ChipConfig, CoreConfig, Destination,
                                    DvsLayerConfig, DynapcnnSim, Size, topological_order)

EVENT_FIELDS = ("layer", "feature", "x", "y", "t")


def events(*rows) -> np.ndarray:
    """Input events from (x, y, p[, t]) tuples; t defaults to the row index."""
    out = np.zeros(len(rows), INPUT_EVENT_DTYPE)
    for i, row in enumerate(rows):
        out[i] = (row[0], row[1], row[3] if len(row) > 3 else i, row[2])
    return out


def single(weights, input_size=(1, 1), **core) -> ChipConfig:
    """A chip with one monitored core 0 fed directly by the input."""
    config = CoreConfig.from_weights(np.asarray(weights), input_size, monitor_enable=True, **core)
    return ChipConfig(cores={0: config}, dvs_layer=DvsLayerConfig.direct([0], input_size))


def table(out: np.ndarray) -> list[tuple[int, ...]]:
    return [tuple(int(e[name]) for name in EVENT_FIELDS) for e in out]


# ----------------------------------------------------------------------------------- hand-computed cases
@pytest.mark.parametrize("order", ORDERS)
def test_subtract_and_one_spike_per_update(order):
    net = DynapcnnSim(single([[[[12]]]], threshold_high=5, threshold_low=-100), order)
    trace = []
    for _ in range(3):
        out = net(events((0, 0, 0)))
        trace.append((len(out), int(net.membranes(0)[0, 0, 0])))
    # 12 >= 5: one spike, 12 - 5 = 7 stays above threshold without a second spike; 7 + 12 = 19 -> 14; 26 -> 21
    assert trace == [(1, 7), (1, 14), (1, 21)]


def test_return_to_zero():
    net = DynapcnnSim(single([[[[3]]]], threshold_high=5, threshold_low=-100, return_to_zero=True))
    spikes = [len(net(events((0, 0, 0)))) for _ in range(4)]
    assert spikes == [0, 1, 0, 1] and net.membranes(0)[0, 0, 0] == 0  # 3, 6 -> 0, 3, 6 -> 0


def test_threshold_low_clamp():
    net = DynapcnnSim(single([[[[-4]]]], threshold_high=5, threshold_low=-6))
    values = []
    for _ in range(3):
        net(events((0, 0, 0)))
        values.append(int(net.membranes(0)[0, 0, 0]))
    assert values == [-4, -6, -6]  # -8 clamped to -6, -10 clamped to -6


def test_saturation():
    net = DynapcnnSim(single([[[[127]]]], threshold_high=32767, threshold_low=-32768,
                             neurons_initial_value=[[[32700]]]))
    assert len(net(events((0, 0, 0)))) == 1  # 32827 saturates to 32767 >= 32767: spike, 32767 - 32767 = 0
    assert net.membranes(0)[0, 0, 0] == 0
    net = DynapcnnSim(single([[[[-128]]]], threshold_high=100, threshold_low=-32768,
                             neurons_initial_value=[[[-32700]]]))
    net(events((0, 0, 0)))
    assert net.membranes(0)[0, 0, 0] == -32768  # -32828 saturates
    net = DynapcnnSim(single([[[[1]]]], threshold_high=-100, threshold_low=-32768,
                             neurons_initial_value=[[[32767]]]))
    net(events((0, 0, 0)))
    assert net.membranes(0)[0, 0, 0] == 32767  # the subtraction of a negative threshold saturates too


def test_padding_stride_and_axes():
    # kernel 3x3 with distinct weights w[kx][ky] = 10·kx + ky, input 5 wide x 4 high, padding 1, stride 2
    weights = (10 * np.arange(3)[:, None] + np.arange(3)[None, :])[None, None]
    config = single(weights, (5, 4), threshold_high=1000, threshold_low=-1000, stride=(2, 2), padding=(1, 1))
    assert config.cores[0].neuron_map == (3, 2)
    net = DynapcnnSim(config)
    net(events((0, 0, 0)))  # only (ox, oy) = (0, 0) with kx = ky = 1
    expected = np.zeros((1, 3, 2), int)
    expected[0, 0, 0] = 11
    np.testing.assert_array_equal(net.membranes(0), expected)
    net(events((3, 2, 0)))  # ax = 4: ox 1 (kx 2), ox 2 (kx 0); ay = 3: oy 1 (ky 1)
    expected[0, 1, 1] += 21
    expected[0, 2, 1] += 1
    np.testing.assert_array_equal(net.membranes(0), expected)
    assert net.counters["synops"][0] == 3 and net.counters["events_in"][0] == 2


def test_visiting_order_f_then_oy_then_ox():
    # a 2x2 kernel on a 3x3 input: the event at (1, 1) reaches all four neurons of both features, all fire
    config = single(np.full((2, 1, 2, 2), 9), (3, 3), threshold_high=5, threshold_low=0)
    out = DynapcnnSim(config)(events((1, 1, 0, 42)))
    assert table(out) == [(0, f, ox, oy, 42) for f in range(2) for oy in range(2) for ox in range(2)]


def pool_chain(shift: int) -> ChipConfig:
    """Core 0 (1 -> 2 features, 1x1 kernel, 5x5 map) sends to core 1 with pooling 2 and ``shift``."""
    first = CoreConfig.from_weights(np.full((2, 1, 1, 1), 10), (5, 5), threshold_high=10, threshold_low=-10,
                                    destinations=(Destination(1, True, 2, shift),))
    second = CoreConfig.from_weights(np.broadcast_to((np.arange(4) + 1)[None, :, None, None], (3, 4, 3, 3)),
                                     (2, 2), threshold_high=1000, threshold_low=-1000, padding=(1, 1),
                                     monitor_enable=True)
    return ChipConfig(cores={0: first, 1: second}, dvs_layer=DvsLayerConfig.direct([0], (5, 5)))


@pytest.mark.parametrize("order", ORDERS)
def test_pooling_feature_shift_and_edge_drop(order):
    net = DynapcnnSim(pool_chain(shift=2), order)
    net(events((3, 2, 0), (4, 1, 0)))
    # (3, 2) -> both features spike at (3, 2) -> core 1 at (1, 1), channels 2 and 3 (weights 3 and 4);
    # (4, 1) -> pooled (2, 0) lies beyond the 2x2 pooled map: dropped.
    assert list(net.counters["events_out"][:2]) == [4, 0]
    assert net.counters["events_in"][1] == 2
    # core 1: 3x3 kernel, padding 1 on a 2x2 map: the event at (1, 1) reaches all four neurons
    np.testing.assert_array_equal(net.membranes(1), np.full((3, 2, 2), 3 + 4))


def test_leak_tick_spec_example():
    config = single([[[[0]]]], threshold_high=1000, threshold_low=-1000, biases=[-13], neurons_initial_value=[[[127]]])
    assert config.cores[0].leak_enable
    net = DynapcnnSim(config)
    read_back = []
    for _ in range(11):
        assert len(net.leak_tick()) == 0
        read_back.append(int(net.membranes(0)[0, 0, 0]))
    # spec §7.2: bias -13 from 127, read back as 101, 88, 75, ..., -3, -16 (from the second tick on)
    assert read_back[1:] == [101, 88, 75, 62, 49, 36, 23, 10, -3, -16]
    assert net.counters["leak_updates"][0] == 11 and net.counters["synops"][0] == 0
    net.reset_states()
    assert net.membranes(0)[0, 0, 0] == 127


def test_leak_tick_fires_and_clamps():
    net = DynapcnnSim(single(np.zeros((2, 1, 1, 1)), threshold_high=20, threshold_low=-15, biases=[7, -9]))
    outs = [table(net.leak_tick(t=5 * i)) for i in range(3)]
    # feature 0: 7, 14, 21 -> spike, 1; feature 1: -9, -18 -> -15, -24 -> -15
    assert outs == [[], [], [(0, 0, 0, 0, 10)]]
    np.testing.assert_array_equal(net.membranes(0)[:, 0, 0], [1, -15])


def dvs_chip(monitor: bool) -> ChipConfig:
    dvs = DvsLayerConfig(merge=True, pooling=Size(2, 2), origin=Size(1, 2), cut=Size(5, 4), mirror_x=True,
                         mirror_diagonal=True, destinations=(Destination(0, True),), monitor_enable=monitor)
    assert dvs.output_map == (3, 5)  # crop 5 wide, 3 high, then swapped
    core = CoreConfig.from_weights([[[[1]]]], (3, 5), threshold_high=1, threshold_low=0, monitor_enable=True)
    return ChipConfig(cores={0: core}, dvs_layer=dvs)


@pytest.mark.parametrize("order", ORDERS)
def test_dvs_merge_pool_crop_flip_swap(order):
    net = DynapcnnSim(dvs_chip(monitor=True), order)
    out = net(events((4, 6, 1), (0, 6, 0), (11, 9, 0), (8, 4, 1)))
    # (4, 6) -> pooled (2, 3) -> cropped (1, 1) -> mirror x in a width of 5: (3, 1) -> swapped (1, 3)
    # (0, 6) -> pooled (0, 3): left of the origin, dropped
    # (11, 9) -> (5, 4) -> (4, 2) -> (0, 2) -> (2, 0); (8, 4) -> (4, 2) -> (3, 0) -> (1, 0) -> (0, 1)
    cores = [(0, 0, 1, 3, 0), (0, 0, 2, 0, 2), (0, 0, 0, 1, 3)]
    monitor = [(DVS_LAYER, 1, 4, 6, 0), (DVS_LAYER, 0, 0, 6, 1), (DVS_LAYER, 0, 11, 9, 2), (DVS_LAYER, 1, 8, 4, 3)]
    if order == "depth-first":
        assert table(out) == [monitor[0], cores[0], monitor[1], monitor[2], cores[1], monitor[3], cores[2]]
    else:
        assert table(out) == monitor + cores


# ------------------------------------------------------------------- independent reference, random networks
def _saturate(v: int) -> int:
    return min(max(v, -32768), 32767)


class Reference:
    """The spec's rules written literally: each neuron visited in f, oy, ox order over the whole map, each spike
    routed as soon as its neuron fires (depth-first) or queued (breadth-first). Slow; small networks only."""

    def __init__(self, chip: ChipConfig, order: str):
        self.chip, self.order = chip, order
        self.v = {i: chip.cores[i].neurons_initial_value.astype(int) for i in chip.used_cores}
        self.counters = {name: np.zeros(9, np.int64) for name in ("events_in", "synops", "events_out",
                                                                  "leak_updates")}
        self.out: list[tuple[int, ...]] = []
        self.queues: dict[int, list] = {}

    def threshold(self, i, f, ox, oy, v, t):
        core = self.chip.cores[i]
        fired = v >= core.threshold_high
        if fired:
            v = 0 if core.return_to_zero else _saturate(v - core.threshold_high)
        self.v[i][f, ox, oy] = max(v, core.threshold_low)
        if fired:
            self.counters["events_out"][i] += 1
            self.send(i, f, ox, oy, t)

    def event(self, i, x, y, c, t):
        core, dims = self.chip.cores[i], self.chip.cores[i].dimensions
        self.counters["events_in"][i] += 1
        width, height = core.neuron_map
        for f in range(core.features):
            for oy in range(height):
                for ox in range(width):
                    kx = x + dims.padding.x - ox * dims.stride.x
                    ky = y + dims.padding.y - oy * dims.stride.y
                    if 0 <= kx < dims.kernel_size and 0 <= ky < dims.kernel_size:
                        self.counters["synops"][i] += 1
                        v = _saturate(self.v[i][f, ox, oy] + int(core.weights[f, c, kx, ky]))
                        self.threshold(i, f, ox, oy, v, t)

    def tick(self, i, t):
        core = self.chip.cores[i]
        width, height = core.neuron_map
        for f in range(core.features):
            for oy in range(height):
                for ox in range(width):
                    self.counters["leak_updates"][i] += 1
                    self.threshold(i, f, ox, oy, _saturate(self.v[i][f, ox, oy] + int(core.biases[f])), t)

    def deliver(self, i, x, y, c, t):
        if self.order == "depth-first":
            self.event(i, x, y, c, t)
        else:
            self.queues.setdefault(i, []).append(("event", x, y, c, t))

    def send(self, i, f, ox, oy, t):
        core = self.chip.cores[i]
        if core.monitor_enable:
            self.out.append((i, f, ox, oy, t))
        self.route(core.destinations, ox, oy, f, t)

    def route(self, destinations, x, y, c, t):
        for d in destinations:
            if d.enable:
                target = self.chip.cores[d.layer]
                tx, ty = x // d.pooling, y // d.pooling
                if tx < target.input_map[0] and ty < target.input_map[1]:
                    self.deliver(d.layer, tx, ty, c + d.feature_shift, t)

    def drain(self):
        for i in topological_order(self.chip):
            for item in self.queues.pop(i, []):
                if item[0] == "event":
                    self.event(i, *item[1:])
                else:
                    self.tick(i, item[1])

    def __call__(self, events):
        dvs = self.chip.dvs_layer
        width, height = dvs.cut.x - dvs.origin.x + 1, dvs.cut.y - dvs.origin.y + 1
        for e in events:
            x, y, p, t = int(e["x"]), int(e["y"]), int(e["p"]), int(e["t"])
            if dvs.monitor_enable:
                self.out.append((DVS_LAYER, p, x, y, t))
            c = 0 if dvs.merge else p
            x, y = x // dvs.pooling.x - dvs.origin.x, y // dvs.pooling.y - dvs.origin.y
            if not (0 <= x < width and 0 <= y < height):
                continue
            y = height - 1 - y if dvs.mirror_y else y
            x = width - 1 - x if dvs.mirror_x else x
            if dvs.mirror_diagonal:
                x, y = y, x
            self.route(dvs.destinations, x, y, c, t)
        self.drain()

    def leak_tick(self, t):
        for i in topological_order(self.chip):
            if self.chip.cores[i].leak_enable:
                if self.order == "depth-first":
                    self.tick(i, t)
                else:
                    self.queues.setdefault(i, []).insert(0, ("tick", t))
        self.drain()


def random_core(rng, channels, size, destinations=(), geometry=None, **fixed):
    k, stride, padding = geometry or (int(rng.integers(1, 4)), int(rng.choice([1, 2])), int(rng.integers(0, 2)))
    k = min(k, min(size) + 2 * padding)
    features = int(rng.integers(1, 5))
    threshold = int(rng.integers(20, 60))
    core = dict(weights=rng.integers(-20, 50, (features, channels, k, k)), input_size=size,
                threshold_high=threshold, threshold_low=-int(rng.integers(0, 3 * threshold)),
                stride=(stride, stride), padding=(padding, padding),
                return_to_zero=bool(rng.integers(2)), destinations=destinations, monitor_enable=bool(rng.integers(2)),
                biases=rng.integers(-5, 8, features) * int(rng.integers(2)))
    core.update(fixed)
    config = CoreConfig.from_weights(core.pop("weights"), core.pop("input_size"), **core)
    initial = rng.integers(-threshold, threshold, config.neurons_initial_value.shape)
    return config.replace(neurons_initial_value=initial)


def pooled(core: CoreConfig, pooling: int) -> tuple[int, int]:
    return core.neuron_map[0] // pooling, core.neuron_map[1] // pooling


def random_chain(rng, n_cores: int) -> ChipConfig:
    """Cores in a random placement, each feeding the next (random pooling), the input fed directly."""
    placement = rng.permutation(9)[:n_cores]
    size = (int(rng.integers(4, 11)), int(rng.integers(4, 11)))
    channels = int(rng.integers(1, 3))
    cores, first_size = {}, size
    for n, index in enumerate(placement):
        core = random_core(rng, channels, size)
        if n + 1 < n_cores:
            pooling = int(rng.choice([1, 2])) if min(pooled(core, 2)) >= 1 else 1
            core = core.replace(destinations=(Destination(int(placement[n + 1]), True, pooling),))
            size, channels = pooled(core, pooling), core.features
        cores[int(index)] = core.replace(monitor_enable=True) if n + 1 == n_cores else core
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([int(placement[0])], first_size))


def random_graph(rng) -> ChipConfig:
    """Core a feeds b (destination 0) and c (destination 1); b and c merge into d with feature_shift; the DVS layer
    (random pooling, crop, mirrors) feeds a."""
    a_idx, b_idx, c_idx, d_idx = (int(i) for i in rng.permutation(9)[:4])
    pooling = Size(int(rng.choice([1, 2, 4])), int(rng.choice([1, 2, 4])))
    origin = Size(int(rng.integers(0, 4)), int(rng.integers(0, 4)))
    cut = Size(origin.x + int(rng.integers(3, 9)), origin.y + int(rng.integers(3, 9)))
    dvs = dict(merge=bool(rng.integers(2)), pooling=pooling, origin=origin, cut=cut, mirror_x=bool(rng.integers(2)),
               mirror_y=bool(rng.integers(2)), mirror_diagonal=bool(rng.integers(2)),
               monitor_enable=bool(rng.integers(2)), destinations=(Destination(a_idx, True),))
    dvs_map = DvsLayerConfig(**dvs).output_map
    a = random_core(rng, 1 if dvs["merge"] else 2, dvs_map)
    p = int(rng.choice([1, 2])) if min(pooled(a, 2)) >= 1 else 1
    size = pooled(a, p)
    geometry = (min(int(rng.integers(1, 4)), min(size)), 1, int(rng.integers(0, 2)))
    b = random_core(rng, a.features, size, geometry=geometry)
    c = random_core(rng, a.features, size, geometry=geometry)
    a = a.replace(destinations=(Destination(b_idx, True, p), Destination(c_idx, True, p)))
    d = random_core(rng, b.features + c.features, b.neuron_map, monitor_enable=True)
    b = b.replace(destinations=(Destination(d_idx, True, 1, 0),))
    c = c.replace(destinations=(Destination(d_idx, True, 1, b.features),))
    return ChipConfig(cores={a_idx: a, b_idx: b, c_idx: c, d_idx: d}, dvs_layer=DvsLayerConfig(**dvs))


def random_events(rng, chip: ChipConfig, n: int) -> np.ndarray:
    dvs = chip.dvs_layer
    beyond = 1 if dvs.is_direct else 2  # a cropping DVS layer drops events beyond its window; direct input refuses them
    out = np.zeros(n, INPUT_EVENT_DTYPE)
    out["x"] = rng.integers(0, min(128, (dvs.cut.x + beyond) * dvs.pooling.x), n)
    out["y"] = rng.integers(0, min(128, (dvs.cut.y + beyond) * dvs.pooling.y), n)
    channels = 2 if dvs.merge else chip.cores[dvs.destinations[0].layer].channels
    out["p"] = rng.integers(0, channels, n)
    out["t"] = np.sort(rng.integers(0, 10 ** 6, n))
    return out


def run_both(chip: ChipConfig, order: str, rng, n_events: int):
    """Runs the model and the reference on the same events and leak ticks; asserts every output event (order
    included), every membrane and every counter equal."""
    net, ref = DynapcnnSim(chip, order), Reference(chip, order)
    outputs = []
    for chunk in range(3):
        batch = random_events(rng, chip, n_events)
        outputs.append(net(batch))
        ref(batch)
        if any(chip.cores[i].leak_enable for i in chip.used_cores):
            outputs.append(net.leak_tick(t=chunk))
            ref.leak_tick(chunk)
    out = np.concatenate(outputs)
    got = {name: out[name].astype(np.int64) for name in EVENT_FIELDS}
    want = {name: np.array([row[k] for row in ref.out], np.int64).reshape(-1) for k, name in enumerate(EVENT_FIELDS)}
    assert_same(got, want, axes=("event",), names=("model", "reference"), context=f"{order} output events")
    for i in chip.used_cores:
        assert_same({"V": net.membranes(i)[None]}, {"V": ref.v[i][None]}, axes=("-", "f", "x", "y"),
                    names=("model", "reference"), context=f"{order} core {i} membranes")
    assert_same({k: v[None] for k, v in net.counters.items()}, {k: v[None] for k, v in ref.counters.items()},
                axes=("-", "core"), names=("model", "reference"), context=f"{order} counters")
    return net, out


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("order", ORDERS)
def test_chain_matches_reference(seed, order):
    rng = np.random.default_rng(seed)
    run_both(random_chain(rng, int(rng.integers(1, 5))), order, rng, 40)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("order", ORDERS)
def test_graph_matches_reference(seed, order):
    rng = np.random.default_rng(100 + seed)
    run_both(random_graph(rng), order, rng, 40)


def random_extreme_chip(rng) -> ChipConfig:
    """One or two chained cores with values anywhere in their registers' ranges: full int8 weights, any int16
    thresholds (negative threshold_high, threshold_low above threshold_high), states and biases near the
    saturation limits, independent x/y strides up to 8 and paddings up to 7."""
    size = (int(rng.integers(3, 11)), int(rng.integers(3, 11)))
    first = size
    cores, channels = {}, int(rng.integers(1, 3))
    placement = [int(i) for i in rng.permutation(9)[:int(rng.integers(1, 3))]]
    for n, index in enumerate(placement):
        padding = (int(rng.integers(0, 8)), int(rng.integers(0, 8)))
        k = int(rng.integers(1, min(size[0] + 2 * padding[0], size[1] + 2 * padding[1], 7) + 1))
        features = int(rng.integers(1, 4))
        low, high = sorted(int(v) for v in rng.integers(-32768, 32768, 2))
        threshold_high = int(rng.choice([int(rng.integers(-100, 200)), high, 32767]))
        core = CoreConfig.from_weights(
            rng.integers(-128, 128, (features, channels, k, k)), size, threshold_high=threshold_high,
            threshold_low=int(rng.choice([low, -32768, int(rng.integers(-100, 300))])),
            stride=(int(rng.choice([1, 2, 4, 8])), int(rng.choice([1, 2, 4, 8]))), padding=padding,
            return_to_zero=bool(rng.integers(2)), biases=rng.integers(-32768, 32768, features),
            monitor_enable=True)
        core = core.replace(neurons_initial_value=rng.choice([-32768, -32700, 0, 32700, 32767],
                                                             core.neurons_initial_value.shape))
        if n + 1 < len(placement):
            core = core.replace(destinations=(Destination(placement[n + 1], True),))
            size, channels = core.neuron_map, core.features
        cores[index] = core
    return ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([placement[0]], first))


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("order", ORDERS)
def test_extreme_values_match_reference(seed, order):
    rng = np.random.default_rng(2000 + seed)
    run_both(random_extreme_chip(rng), order, rng, 30)


@pytest.mark.parametrize("seed", range(40))
def test_depth_and_breadth_first_agree_on_chains(seed):
    rng = np.random.default_rng(1000 + seed)
    chip = random_chain(rng, int(rng.integers(2, 7)))
    chip = chip.replace(cores=[None if c is None else c.replace(leak_enable=False) for c in chip.cores])
    batch = random_events(rng, chip, 300)
    nets = {order: DynapcnnSim(chip, order) for order in ORDERS}
    outs = {order: net(batch) for order, net in nets.items()}
    depth, breadth = nets["depth-first"], nets["breadth-first"]
    assert_same({k: v[None] for k, v in depth.counters.items()}, {k: v[None] for k, v in breadth.counters.items()},
                axes=("-", "core"), names=("depth-first", "breadth-first"))
    for i in chip.used_cores:
        assert_same({"V": depth.membranes(i)[None]}, {"V": breadth.membranes(i)[None]}, axes=("-", "f", "x", "y"),
                    names=("depth-first", "breadth-first"), context=f"core {i}")
    key = lambda out: np.sort(out, order=["layer", "t", "feature", "y", "x"])  # noqa: E731 - same events, any order
    assert_same({k: key(outs["depth-first"])[k] for k in EVENT_FIELDS},
                {k: key(outs["breadth-first"])[k] for k in EVENT_FIELDS}, axes=("event",))


def test_membrane_read_back_and_reset():
    rng = np.random.default_rng(7)
    chip = random_chain(rng, 2)
    net = DynapcnnSim(chip)
    for i in chip.used_cores:
        np.testing.assert_array_equal(net.membranes(i), chip.cores[i].neurons_initial_value)
        assert net.membranes(i).dtype == np.int16
    net(random_events(rng, chip, 50))
    assert any(not np.array_equal(net.membranes(i), chip.cores[i].neurons_initial_value) for i in chip.used_cores)
    net.reset_states()
    for i in chip.used_cores:
        np.testing.assert_array_equal(net.membranes(i), chip.cores[i].neurons_initial_value)
    assert all(not v.any() for v in net.counters.values())


# ------------------------------------------------------------------------------------------ bad input
def test_bad_input_wrong():
    net = DynapcnnSim(pool_chain(shift=0))
    with pytest.raises(TypeError, match=r"events: expected a numpy structured array of dtype"):
        net(np.zeros((3, 4), np.uint32))
    with pytest.raises(TypeError, match=r"events: expected the fields \('x', 'y', 't', 'p'\)"):
        net(np.zeros(3, [("x", "u4"), ("y", "u4"), ("t", "u4")]))
    with pytest.raises(TypeError, match=r"events: field p must be an integer"):
        net(np.zeros(3, [("x", "u4"), ("y", "u4"), ("t", "u4"), ("p", "f4")]))
    bad = np.zeros(3, [("x", "i4"), ("y", "i4"), ("t", "i4"), ("p", "i4")])
    bad["y"][2] = -1
    with pytest.raises(ValueError, match=r"events: field y value -1 at event 2 is negative"):
        net(bad)
    with pytest.raises(ValueError, match=r"events: field x value 128 at event 1 is outside the DVS input map 0\.\.127"):
        net(events((0, 0, 0), (128, 0, 0)))
    with pytest.raises(ValueError, match=r"field p value 1 at event 0 is outside core 0's input channels 0\.\.0"):
        net(events((0, 0, 1)))
    with pytest.raises(ValueError, match=r"events: field p value 2 at event 1 is not a DVS polarity 0\.\.1"):
        DynapcnnSim(dvs_chip(monitor=False))(events((0, 0, 1), (0, 0, 2)))


def test_config_wrong():
    with pytest.raises(ValueError, match=r"order: value 'random' is not one of \('depth-first', 'breadth-first'\)"):
        DynapcnnSim(pool_chain(0), order="random")
    with pytest.raises(TypeError, match=r"chip_config: expected a ChipConfig, got dict"):
        DynapcnnSim({})
    core = CoreConfig.from_weights([[[[1]]]], (1, 1), threshold_high=1, threshold_low=0)
    loop = ChipConfig(cores={2: core.replace(destinations=(Destination(5, True),)),
                             5: core.replace(destinations=(Destination(2, True),))})
    with pytest.raises(ValueError, match=r"cores \[2, 5\] sit on or behind a routing loop"):
        DynapcnnSim(loop)
    net = DynapcnnSim(pool_chain(0))
    with pytest.raises(ValueError, match=r"cores: core 0 is not a used core with leak_enable \(those are \(\)\)"):
        net.leak_tick([0])
    with pytest.raises(ValueError, match=r"core: value 4 is not a used core \(0, 1\)"):
        net.membranes(4)


@pytest.mark.parametrize("order", ORDERS)
def test_empty_input(order):
    net = DynapcnnSim(pool_chain(0), order)
    assert len(net(np.zeros(0, INPUT_EVENT_DTYPE))) == 0 and len(net.leak_tick()) == 0
    assert all(not v.any() for v in net.counters.values())


@pytest.mark.parametrize("seed", range(3))
def test_matches_sinabs_one_event_per_step(seed):
    """sinabs' time-stepped DynapcnnNetwork forward equals the event-driven model with one input event per step
    when no update can reach 2·threshold (|weights| < threshold_high): then sinabs' multi-spike rule emits one
    spike at most, and nothing saturates."""
    from sinabs_support import import_sinabs
    found = import_sinabs()
    if found is None:
        pytest.skip("sinabs is not installed")
    sinabs, dynapcnn = found
    import torch
    from sinabs.layers import IAFSqueeze
    rng = np.random.default_rng(seed)
    weights = rng.integers(-127, 128, (4, 2, 3, 3))
    weights.flat[0] = 127  # sinabs' discretization then keeps the weights (scale 1)
    stride, padding = int(rng.choice([1, 2])), int(rng.integers(0, 3))
    chip = single(weights, (9, 7), threshold_high=200, threshold_low=-150, stride=(stride, stride),
                  padding=(padding, padding))
    batch = np.zeros(400, INPUT_EVENT_DTYPE)
    batch["x"], batch["y"], batch["p"] = rng.integers(0, 9, 400), rng.integers(0, 7, 400), rng.integers(0, 2, 400)
    batch["t"] = np.arange(len(batch))
    out = DynapcnnSim(chip)(batch)
    conv = torch.nn.Conv2d(2, 4, 3, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(weights.transpose(0, 1, 3, 2), dtype=torch.float32))
    network = dynapcnn.DynapcnnNetwork(torch.nn.Sequential(conv, IAFSqueeze(batch_size=1, spike_threshold=200.0,
                                                                            min_v_mem=-150.0)),
                                       input_shape=(2, 7, 9), discretize=True)
    raster = torch.zeros(len(batch), 2, 7, 9)
    raster[np.arange(len(batch)), batch["p"].astype(int), batch["y"].astype(int), batch["x"].astype(int)] = 1
    with torch.no_grad():
        expected = network(raster).numpy().astype(np.int64)
    got = np.zeros_like(expected)
    np.add.at(got, (out["t"].astype(int), out["feature"].astype(int), out["y"].astype(int), out["x"].astype(int)), 1)
    assert expected.sum() > 20
    assert_same({"spikes": got}, {"spikes": expected}, axes=("step", "f", "y", "x"), names=("model", "sinabs"))


def test_direct_input_outside_the_map_wrong():
    core = CoreConfig.from_weights(np.ones((1, 1, 1, 1)), (4, 3), threshold_high=1, threshold_low=-1)
    net = DynapcnnSim(ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (4, 3))))
    events = np.zeros(2, INPUT_EVENT_DTYPE)
    events["x"] = [1, 4]
    with pytest.raises(ValueError, match=r"field x value 4 at event 1 is outside the input map 0..3 of the cores fed"):
        net(events)
    events["x"], events["y"] = [0, 0], [0, 3]
    with pytest.raises(ValueError, match=r"field y value 3 at event 1 is outside the input map 0..2"):
        net(events)
