"""The time-stepped batch model (spikegate.sim.dynapcnn.timestepped): spec §7.1.

Hand-computed single-neuron and routing cases; the DVS layer's raster transform against the event-driven
model on networks where every input event causes exactly one spike (both models must then agree); and,
where sinabs can be imported, sinabs' DynapcnnNetwork forward on the seed network and seeded random
networks: identical spike counts per layer and step, and identical final membranes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional

from sinabs_support import import_sinabs
from sinabs_support.fixtures import one_torch_thread  # noqa: F401 (autouse fixture)
from sinabs_support.networks import random_model, sinabs_random_pairs, sinabs_seed_pair
from spikegate.converter.dynapcnn import from_torch
from spikegate.sim.compare import assert_same
from spikegate.sim.dynapcnn import (INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, Destination, DvsLayerConfig,
                                    DynapcnnSim, Size)
from spikegate.sim.dynapcnn import timestepped
from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

SINABS = import_sinabs()
needs_sinabs = pytest.mark.skipif(SINABS is None, reason="sinabs is not installed")
N_RANDOM = 20  #: random networks compared with sinabs' forward


def single_neuron(weight: int, threshold: int = 5, low: int = -10, bias: int = 0, zero: bool = False) -> ChipConfig:
    core = CoreConfig.from_weights([[[[weight]]]], (1, 1), threshold_high=threshold, threshold_low=low,
                                   biases=[bias], return_to_zero=zero, monitor_enable=True)
    return ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (1, 1)), layer_to_core={0: 0})


def run_counts(config: ChipConfig, counts) -> tuple[list, list]:
    """Spikes per step and final membrane of core 0 for a one-pixel input of ``counts`` per step."""
    raster = torch.tensor(counts, dtype=torch.float32).reshape(1, -1, 1, 1, 1)
    result = DynapcnnTimeStepped(config, device="cpu")(raster)
    return result.spikes[0].ravel().tolist(), result.membranes[0].ravel().tolist()


# ----------------------------------------------------------------------------------------- hand cases
def test_several_spikes_per_step_and_subtract():
    """w = 3, θ = 5: V = 3, 6 → 1 spike (V 1), 4, 13 → 2 spikes (V 3)."""
    assert run_counts(single_neuron(3), [1, 1, 1, 3]) == ([0, 1, 0, 2], [3])


def test_return_to_zero():
    # V = 3, 6 → spike, 0, 3, 12 → 2 spikes, 0
    assert run_counts(single_neuron(3, zero=True), [1, 1, 1, 3]) == ([0, 1, 0, 2], [0])


def test_threshold_low_clamps():
    """w = −3, θ_low = −4: V = −3, −6 → −4, −10 → −4; then +3·3 = 5 → 1 spike, V 0."""
    assert run_counts(single_neuron(-3, low=-4), [1, 1, 2, 0]) == ([0, 0, 0, 0], [-4])
    config = ChipConfig(cores={0: single_neuron(-3, low=-4).cores[0].replace(weights=np.array([[[[3]]]]))},
                        dvs_layer=DvsLayerConfig.direct([0], (1, 1)), layer_to_core={0: 0})
    assert run_counts(config, [0, 3]) == ([0, 1], [4])


def test_bias_is_added_every_step():
    """leak_enable with bias 2, θ = 5, no input: V = 2, 4, 6 → spike (1), 3, 5 → spike (0)."""
    config = single_neuron(0, bias=2)
    assert config.cores[0].leak_enable
    assert run_counts(config, [0, 0, 0, 0, 0]) == ([0, 0, 1, 0, 1], [0])


def identity_core(size: tuple[int, int], channels: int = 1, features: int | None = None, threshold: int = 1,
                  **kwargs) -> CoreConfig:
    """A 1x1 convolution passing channel c to feature c with weight = threshold: one spike per input event."""
    features = channels if features is None else features
    weights = np.zeros((features, channels, 1, 1), np.int64)
    for c in range(min(channels, features)):
        weights[c, c] = threshold
    return CoreConfig.from_weights(weights, size, threshold_high=threshold, threshold_low=-threshold, **kwargs)


def test_pooling_feature_shift_and_merge():
    """DVS → cores 0 and 1 (identity), core 0 → core 2 pooled by 2, core 1 → core 2 pooled by 2 with
    feature_shift 1: core 2 (2 channels, identity) sees the pooled input on both of its features."""
    cores = {0: identity_core((4, 4), destinations=[Destination(layer=2, enable=True, pooling=2)]),
             1: identity_core((4, 4), destinations=[Destination(layer=2, enable=True, pooling=2, feature_shift=1)]),
             2: identity_core((2, 2), channels=2, monitor_enable=True)}
    config = ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([0, 1], (4, 4)), layer_to_core={0: 0, 1: 1, 2: 2})
    rng = np.random.default_rng(0)
    raster = torch.from_numpy(rng.integers(0, 3, (2, 3, 1, 4, 4)).astype(np.float32))
    result = DynapcnnTimeStepped(config, device="cpu")(raster)
    pooled = functional.avg_pool2d(raster.reshape(6, 1, 4, 4), 2, divisor_override=1).reshape(2, 3, 1, 2, 2)
    assert torch.equal(result.spikes[0], raster) and torch.equal(result.spikes[1], raster)
    assert torch.equal(result.spikes[2], torch.cat([pooled, pooled], 2))


def test_two_sources_into_one_channel_add():
    cores = {0: identity_core((3, 3), destinations=[Destination(layer=2, enable=True)]),
             1: identity_core((3, 3), destinations=[Destination(layer=2, enable=True)]),
             2: identity_core((3, 3), threshold=2, monitor_enable=True)}
    config = ChipConfig(cores=cores, dvs_layer=DvsLayerConfig.direct([0, 1], (3, 3)), layer_to_core={0: 0, 1: 1, 2: 2})
    raster = torch.ones((1, 2, 1, 3, 3))
    # core 2: weight 2, θ 2 on an input of 1 + 1 per step: 2 spikes per step
    assert torch.equal(DynapcnnTimeStepped(config, device="cpu")(raster).spikes[2], 2 * raster)


def test_stride_padding_equal_a_plain_convolution():
    rng = np.random.default_rng(2)
    weights = rng.integers(-20, 21, (3, 2, 3, 3))
    core = CoreConfig.from_weights(weights, (7, 6), threshold_high=10 ** 4, threshold_low=-(10 ** 4), stride=(2, 1),
                                   padding=(1, 2), monitor_enable=True)
    config = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (7, 6)), layer_to_core={0: 0})
    raster = torch.from_numpy(rng.integers(0, 3, (1, 1, 2, 6, 7)).astype(np.float32))
    expected = functional.conv2d(raster[:, 0], torch.from_numpy(weights.transpose(0, 1, 3, 2)).float(),
                                 stride=(1, 2), padding=(2, 1))
    result = DynapcnnTimeStepped(config, device="cpu")(raster)
    assert torch.equal(result.membranes[0], expected)
    assert torch.equal(DynapcnnTimeStepped(config, device="cpu", dtype=torch.float64)(raster).membranes[0],
                       expected.double())


def test_torch_modules_equal_the_model_on_integer_networks():
    """spikegate's IAF / SumPool2d torch modules, run as an nn.Sequential on a (T, C, H, W) raster, equal the
    time-stepped model of the same network converted without discretization (integer weights)."""
    from torch import nn

    from spikegate.converter.dynapcnn import IAF, SumPool2d

    total = 0
    for seed in range(6):
        model, shape = random_model(seed, "spikegate")
        for module in model:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                with torch.no_grad():
                    module.weight.copy_(torch.round(module.weight * 20))
                    if module.bias is not None:
                        module.bias.copy_(torch.round(module.bias * 5))
            if isinstance(module, IAF):
                module.spike_threshold = float(round(module.spike_threshold * 20))
                module.min_v_mem = None if module.min_v_mem is None else float(round(module.min_v_mem * 20))
        model = nn.Sequential(*[m for m in model if not isinstance(m, nn.BatchNorm2d)])
        while isinstance(model[-1], (nn.AvgPool2d, SumPool2d)):  # the chip's exit has no pooling
            model = nn.Sequential(*list(model)[:-1])
        model = nn.Sequential(*[SumPool2d(m.kernel_size) if isinstance(m, nn.AvgPool2d) else m for m in model])
        raster = torch.randint(0, 3, (6, *shape), generator=torch.Generator().manual_seed(seed)).float()
        with torch.no_grad():
            expected = model(raster)
        config = from_torch(model, shape, discretize=False)
        result = DynapcnnTimeStepped(config, device="cpu")(raster[None])
        exit_core = config.layer_to_core[max(config.layer_to_core)]
        assert torch.equal(result.spikes[exit_core][0].reshape(expected.shape), expected), seed
        total += int(expected.sum())
    assert total > 100


# ------------------------------------------------------------------- against the event-driven model
def raster_events(raster: np.ndarray, step_us: int = 1000) -> np.ndarray:
    """One event per count of a (T, C, H, W) raster, in (t, c, y, x) order, t = step · step_us."""
    t, c, y, x = np.nonzero(raster)
    repeat = raster[t, c, y, x]
    events = np.zeros(int(repeat.sum()), INPUT_EVENT_DTYPE)
    for name, values in (("t", t * step_us), ("p", c), ("y", y), ("x", x)):
        events[name] = np.repeat(values, repeat)
    return events


@pytest.mark.parametrize("dvs", [
    DvsLayerConfig(merge=True, pooling=Size(2, 2), origin=Size(1, 2), cut=Size(6, 5), mirror_x=True),
    DvsLayerConfig(pooling=Size(1, 2), origin=Size(0, 1), cut=Size(7, 5), mirror_y=True, mirror_diagonal=True),
    DvsLayerConfig(pooling=Size(4, 4), cut=Size(2, 2)),
])
def test_dvs_layer_equals_the_event_driven_model(dvs):
    """Identity cores (one spike per input event, chained with pooling 2): per step and position, the spike
    counts of the time-stepped model equal the binned output events of DynapcnnSim."""
    channels = 1 if dvs.merge else 2
    width, height = dvs.output_map
    dvs = DvsLayerConfig(**{**dvs.__dict__, "destinations": (Destination(layer=4, enable=True),)})
    cores = {4: identity_core((width, height), channels, destinations=[Destination(layer=7, enable=True, pooling=2)],
                              monitor_enable=True),
             7: identity_core((width // 2, height // 2), channels, monitor_enable=True)}
    config = ChipConfig(cores=cores, dvs_layer=dvs, layer_to_core={0: 4, 1: 7})
    rng = np.random.default_rng(3)
    raster = rng.integers(0, 3, (5, 2 if dvs.merge else channels, 14, 15)) * (rng.random((5, 1, 14, 15)) < 0.5)
    result = DynapcnnTimeStepped(config, device="cpu")(torch.from_numpy(raster[None]))
    out = DynapcnnSim(config)(raster_events(raster))
    for core in (4, 7):
        spikes = result.spikes[core][0].numpy().astype(np.int64)
        binned = np.zeros_like(spikes)
        mine = out[out["layer"] == core]
        np.add.at(binned, (mine["t"] // 1000, mine["feature"], mine["y"], mine["x"]), 1)
        assert_same({"spikes": spikes}, {"spikes": binned}, axes=("step", "feature", "y", "x"),
                    names=("time-stepped", "DynapcnnSim"), context=f"core {core}")
    assert result.spikes[7].sum() > 0


# ------------------------------------------------------------------------------------ against sinabs
def assert_forward_equals_sinabs(net, config: ChipConfig, raster: torch.Tensor, context: str) -> int:
    """sinabs' forward (return_complete) against ours, pooled as sinabs pools each layer's output; returns
    the number of output spikes compared."""
    with torch.no_grad():
        theirs = net(raster, return_complete=True)
    result = DynapcnnTimeStepped(config, device="cpu")(raster[None])
    total = 0
    for index, core in config.layer_to_core.items():
        (_, reference), = theirs[index].items()
        pooling = net.dynapcnn_layers[index].pool[0][0]
        spikes = result.spikes[core][0]
        if pooling > 1:
            spikes = functional.avg_pool2d(spikes, pooling, divisor_override=1)
        v_mem = net.dynapcnn_layers[index].spk_layer.v_mem.reshape(result.membranes[core].shape)
        assert_same({"spikes": spikes.numpy()}, {"spikes": reference.numpy()}, axes=("step", "f", "y", "x"),
                    names=("spikegate", "sinabs"), context=f"{context}, layer {index}")
        assert_same({"v_mem": result.membranes[core].numpy()}, {"v_mem": v_mem.numpy()}, axes=("batch", "f", "y", "x"),
                    names=("spikegate", "sinabs"), context=f"{context}, layer {index}")
        total += int(reference.sum())
    return total


@needs_sinabs
def test_seed_network_forward_equals_sinabs():
    net, config = sinabs_seed_pair()
    raster = torch.randint(0, 3, (12, 1, 28, 28), generator=torch.Generator().manual_seed(1)).float()
    assert assert_forward_equals_sinabs(net, config, raster, "seed network") > 0


@needs_sinabs
def test_random_networks_forward_equals_sinabs():
    """ANNs (even seeds) and SNNs whose spiking layers start from a state (odd seeds: neurons_initial_value)."""
    total = 0
    for seed, (context, shape, net, config) in enumerate(sinabs_random_pairs(range(N_RANDOM), with_state=True)):
        raster = torch.randint(0, 4, (8, *shape), generator=torch.Generator().manual_seed(seed)).float()
        total += assert_forward_equals_sinabs(net, config, raster, context)
    assert total > 10000


# ---------------------------------------------------------------------------------------------- errors
def test_raster_wrong():
    model = DynapcnnTimeStepped(single_neuron(3), device="cpu")
    cases = [
        (torch.zeros((1, 1, 1, 1)), ValueError, r"raster: expected 5 axes"),
        (-torch.ones((1, 1, 1, 1, 1)), ValueError, r"raster: value -1.0 at index \(0, 0, 0, 0, 0\) is not a "
                                                   r"non-negative integer"),
        (torch.full((1, 1, 1, 1, 1), 0.5), ValueError, r"value 0.5 .* is not a non-negative integer"),
        (torch.zeros((1, 1, 2, 1, 1)), ValueError, r"raster: 2 channels .* more than core 0's 1 input channels"),
        (torch.zeros((1, 1, 1, 129, 1)), ValueError, r"raster: y size 129 is over the DVS input map of 128"),
        (torch.zeros((1, 1, 1, 1, 1), dtype=torch.bool), TypeError, r"raster: expected integer event counts"),
    ]
    for raster, error, message in cases:
        with pytest.raises(error, match=message):
            model(raster)
    merged = single_neuron(3).replace(dvs_layer=DvsLayerConfig(merge=True, cut=Size(0, 0), destinations=(
        Destination(layer=0, enable=True),)))
    with pytest.raises(ValueError, match=r"raster: 3 channels, but the DVS layer merges 2 polarities"):
        DynapcnnTimeStepped(merged, device="cpu")(torch.zeros((1, 1, 3, 1, 1)))


def test_model_wrong():
    with pytest.raises(ValueError, match=r"cores\[0\].threshold_high: value 0 must be > 0"):
        DynapcnnTimeStepped(single_neuron(3, threshold=0, low=-1), device="cpu")
    with pytest.raises(TypeError, match=r"chip_config: expected a ChipConfig"):
        DynapcnnTimeStepped({}, device="cpu")
    with pytest.raises(ValueError, match=r"dtype: value torch.int32"):
        DynapcnnTimeStepped(single_neuron(3), dtype=torch.int32)


def test_inexact_range_wrong():
    """127 · 2^18 > 2^24: float32 can no longer hold every integer; float64 still can."""
    config = single_neuron(127, threshold=32767, low=-32768)
    raster = torch.full((1, 1, 1, 1, 1), 2.0 ** 18)
    with pytest.raises(ValueError, match=r"reached 33292288, beyond the exact integer range 2\^24 of torch.float32"):
        DynapcnnTimeStepped(config, device="cpu")(raster)
    result = DynapcnnTimeStepped(config, device="cpu", dtype=torch.float64)(raster)
    assert result.spikes[0].item() == 127 * 2 ** 18 // 32767


# ------------------------------------------------------------------------------ layer order and exactness
@needs_sinabs
def test_layer_mode_equals_step_mode_on_random_chips():
    """Every core's spikes and final membranes of mode="layer" equal mode="step" (the reference)."""
    for seed, (context, shape, _, config) in enumerate(sinabs_random_pairs(range(6), with_state=True)):
        raster = torch.randint(0, 4, (3, 5, *shape), generator=torch.Generator().manual_seed(seed)).float()
        layer = DynapcnnTimeStepped(config, device="cpu")(raster)
        step = DynapcnnTimeStepped(config, device="cpu", mode="step")(raster)
        for core in step.spikes:
            assert torch.equal(layer.spikes[core], step.spikes[core]), (context, core)
            assert torch.equal(layer.membranes[core], step.membranes[core]), (context, core)


@pytest.mark.parametrize("mode", ["layer", "step"])
def test_rounding_absorbs_small_errors_and_the_guard_fires_on_large_ones(monkeypatch, mode):
    """w = 5, θ = 5, one event per step: V = 5 → 1 spike (V 0), twice. A planted error of −0.2 in every
    convolution result is rounded away; without the rounding V = 4.8 < θ would give no spike at step 0 (and
    V 4.6 at the end). One of −0.4 is past the bound 0.25 (in float32, then in float64): ValueError; without
    the guard the rounded result would be returned as exact."""
    config = single_neuron(5)
    raster = torch.ones((1, 2, 1, 1, 1))
    model = DynapcnnTimeStepped(config, device="cpu", mode=mode)
    convolve = model._convolve
    monkeypatch.setattr(model, "_convolve", lambda i, x: convolve(i, x) - 0.2)
    result = model(raster)
    assert (result.spikes[0].ravel().tolist(), result.membranes[0].ravel().tolist()) == ([1, 1], [0])
    monkeypatch.setattr(model, "_convolve", lambda i, x: convolve(i, x) - 0.4)
    with pytest.raises(ValueError, match=r"core 0: a convolution result was 0.4 away from the nearest integer, past "
                                         r"the bound 0.25"):
        model(raster)


def feature_chip() -> ChipConfig:
    """Five cores using every feature of the time-stepped model: a DVS layer that pools, crops and flips, with
    two destinations (one shifted by a feature); a core with two destinations (pooled, and not); a core merging
    two sources (feature_shift 4); odd maps whose pooling drops a column; stride and padding unequal in x and y;
    biases (leak); both reset kinds; threshold_low; initial membranes. Routing 8 → 5, 8 → 1, 2 → 5, 5 → 7,
    1 → 7."""
    rng = np.random.default_rng(16)

    def core(channels, features, kernel, size, **kwargs):
        weights = rng.integers(-3, 7, (features, channels, kernel, kernel))
        return CoreConfig.from_weights(weights, size, **kwargs)

    cores = {
        8: core(2, 4, 3, (6, 12), padding=(1, 1), biases=rng.integers(-2, 3, 4), threshold_high=9, threshold_low=-6,
                destinations=[Destination(5, True, pooling=2), Destination(1, True)]),
        2: core(3, 4, 2, (6, 12), stride=(2, 2), threshold_high=6, threshold_low=-3, return_to_zero=True,
                neurons_initial_value=rng.integers(-3, 6, (4, 3, 6)),
                destinations=[Destination(5, True, feature_shift=4)]),
        5: core(8, 5, 3, (3, 6), padding=(1, 0), biases=rng.integers(-1, 3, 5), threshold_high=12, threshold_low=-8,
                return_to_zero=True, destinations=[Destination(7, True, pooling=2)]),
        1: core(4, 3, 3, (6, 12), stride=(4, 2), padding=(1, 0), threshold_high=10, threshold_low=-2,
                destinations=[Destination(7, True, pooling=2, feature_shift=5)]),
        7: core(8, 2, 1, (1, 2), threshold_high=4, threshold_low=-4, monitor_enable=True),
    }
    dvs = DvsLayerConfig(pooling=Size(2, 1), origin=Size(1, 0), cut=Size(6, 11), mirror_y=True,
                         destinations=(Destination(8, True), Destination(2, True, feature_shift=1)))
    return ChipConfig(cores=cores, dvs_layer=dvs, layer_to_core={0: 8, 1: 2, 2: 5, 3: 1, 4: 7})


def assert_same_run(a, b, names: tuple[str, str], context: str) -> None:
    """Every core's spikes (step first) and final membranes equal; a failure names step, core, field, index
    and both values."""
    for core in b.spikes:
        assert_same({"spikes": a.spikes[core].transpose(0, 1).numpy()},
                    {"spikes": b.spikes[core].transpose(0, 1).numpy()}, axes=("step", "batch", "f", "y", "x"),
                    names=names, context=f"{context}, core {core}")
        assert_same({"v_mem": a.membranes[core].numpy()}, {"v_mem": b.membranes[core].numpy()},
                    axes=("batch", "f", "y", "x"), names=names, context=f"{context}, core {core}")


@pytest.mark.parametrize("density", [0.05, 0.6])
def test_layer_mode_equals_step_mode_on_every_feature(density):
    """mode="layer" equals mode="step" on :func:`feature_chip`, every core active; sparse input (the CPU
    scatters each core's convolution) and dense input (torch's convolution, rounded)."""
    rng = np.random.default_rng(int(density * 100))
    raster = rng.integers(1, 4, (3, 8, 2, 14, 15)) * (rng.random((3, 8, 2, 14, 15)) < density)
    config = feature_chip()
    step = DynapcnnTimeStepped(config, device="cpu", mode="step")(raster)
    for dtype in (torch.float32, torch.float64):
        layer = DynapcnnTimeStepped(config, device="cpu", dtype=dtype)(raster)
        assert_same_run(layer, step if dtype == torch.float32 else _double(step), ("layer", "step"),
                        f"density {density}, {dtype}")
    assert all(step.spikes[core].sum() > 0 for core in config.layer_to_core.values())


def _double(result):
    return type(result)(*({i: values.double() for i, values in field.items()} for field in result))


def test_float32_falls_back_to_float64_past_the_bound(monkeypatch):
    """A planted error of 0.4 in float32 convolutions only: each core is convolved again in float64, and the
    result still equals the step model's. (Every input dense: the CPU's exact scatter is not used.)"""
    config = feature_chip()
    raster = np.random.default_rng(5).integers(0, 3, (2, 6, 2, 14, 15))
    reference = DynapcnnTimeStepped(config, device="cpu", mode="step")(raster)
    model = DynapcnnTimeStepped(config, device="cpu")
    convolve, dtypes = model._convolve, []

    def planted(i, x):
        dtypes.append(x.dtype)
        return convolve(i, x) + (0.4 if x.dtype == torch.float32 else 0.0)
    monkeypatch.setattr(timestepped, "DENSITY_LIMIT", -1.0)
    monkeypatch.setattr(model, "_convolve", planted)
    assert_same_run(model(raster), reference, ("fallback", "step"), "float64 fallback")
    assert dtypes == [torch.float32, torch.float64] * len(config.layer_to_core)


def test_torch_scan_equals_the_numba_scan():
    """The torch-operation scan (devices without a kernel) against the numba kernel, both resets."""
    from spikegate.sim.dynapcnn.scan import _scan_torch, scan

    generator = torch.Generator().manual_seed(7)
    current = torch.randint(-30, 40, (3, 20, 50), generator=generator).float()
    current[0, 3, 4] += 0.2
    for zero in (False, True):
        v = torch.randint(-5, 5, (3, 50), generator=generator).float()
        a, va = current.clone(), v.clone()
        b, vb = current.clone(), v.clone()
        stats_numba = scan(a, va, 11, -7, zero)
        stats_torch = _scan_torch(b, vb, 11, -7, zero)
        assert_same({"spikes": a.transpose(0, 1).numpy()}, {"spikes": b.transpose(0, 1).numpy()},
                    axes=("step", "batch", "neuron"), names=("numba", "torch"), context=f"return_to_zero {zero}")
        assert_same({"v": va.numpy()}, {"v": vb.numpy()}, axes=("batch", "neuron"), names=("numba", "torch"))
        assert stats_numba == pytest.approx(stats_torch) and stats_numba[0] == pytest.approx(0.2)


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_event_path_equals_step_mode_when_split_over_threads(monkeypatch, threads):
    """The CPU's event kernel splits samples (batch ≥ threads) or each sample's features (batch < threads)
    over threads; every split gives the step model's spikes and membranes, for batches 1 and 3."""
    from spikegate.sim.dynapcnn import scatter

    monkeypatch.setattr(scatter, "VALUES_PER_THREAD", 1)  # these maps are small: split them anyway
    config = feature_chip()
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        for batch in (1, 3):
            rng = np.random.default_rng(batch)
            raster = rng.integers(1, 4, (batch, 8, 2, 14, 15)) * (rng.random((batch, 8, 2, 14, 15)) < 0.05)
            step = DynapcnnTimeStepped(config, device="cpu", mode="step")(raster)
            layer = DynapcnnTimeStepped(config, device="cpu")(raster)
            assert_same_run(layer, step, ("layer", "step"), f"{threads} threads, batch {batch}")
    finally:
        torch.set_num_threads(previous)


def test_event_path_past_the_exact_range_wrong():
    """A sparse input (the event kernel's) whose current passes 2^24: the event kernel hands the core to the
    dense path, whose range guard names the value; float64 holds it, and the spike count is exact."""
    config = single_neuron(127, threshold=32767, low=-32768)
    raster = torch.zeros((1, 40, 1, 1, 1))
    raster[0, 7] = 2.0 ** 18
    with pytest.raises(ValueError, match=r"reached 33292288, beyond the exact integer range 2\^24 of torch.float32"):
        DynapcnnTimeStepped(config, device="cpu")(raster)
    result = DynapcnnTimeStepped(config, device="cpu", dtype=torch.float64)(raster)
    assert result.spikes[0].sum().item() == 127 * 2 ** 18 // 32767


def test_event_kernel_refuses_sums_past_float64():
    """Counts so large that a float64 partial sum could pass 2^53: run_core refuses (None) before running,
    and leaves membranes and spikes as they were."""
    from spikegate.sim.dynapcnn.scatter import Events, kernel_weight, run_core

    weight = kernel_weight(np.full((1, 1, 1, 1), 100))
    one = np.zeros(1, np.int64)
    events = Events(np.array([0, 1]), one, one, one, np.array([2 ** 47], np.int64))
    membranes, spikes = np.zeros((1, 1, 1, 1)), np.full((1, 1, 1, 1), 5.0)
    assert run_core(events, weight, np.zeros(1), (1, 1), (0, 0), membranes, spikes, 10, -10, False, True,
                    2.0 ** 53, 1) is None
    assert membranes.tolist() == [[[[0.0]]]] and spikes.tolist() == [[[[5.0]]]]


@pytest.mark.parametrize("density", [0.05, 0.6])
def test_chunks_write_into_one_result(monkeypatch, density):
    """A batch run in one chunk per sample (a tiny CHUNK_ELEMENTS) equals the step model: each chunk writes
    its samples' slice of the result, on the event path and on the dense path."""
    monkeypatch.setitem(timestepped.CHUNK_ELEMENTS, "cpu", 1)
    rng = np.random.default_rng(9)
    raster = rng.integers(1, 4, (3, 6, 2, 14, 15)) * (rng.random((3, 6, 2, 14, 15)) < density)
    config = feature_chip()
    step = DynapcnnTimeStepped(config, device="cpu", mode="step")(raster)
    assert_same_run(DynapcnnTimeStepped(config, device="cpu")(raster), step, ("chunked", "step"), f"density {density}")
