"""The DYNAP-CNN converter (spikegate.converter.dynapcnn): spec §3-§6 and §8.

Hand-computed cases and the spec's worked numbers run always; where sinabs 3.1.3 can be imported (through
spikegate.compat's samna, see tests/sinabs_support) every register field, the placement and the memory summary are
also compared with sinabs' DynapcnnNetwork on the seed network and on seeded random networks.
"""

from __future__ import annotations

import warnings

import nir
import numpy as np
import pytest
import torch
from torch import nn

from sinabs_support import import_sinabs
from sinabs_support.fixtures import one_torch_thread  # noqa: F401 (autouse fixture)
from sinabs_support.networks import sinabs_random_pairs, sinabs_seed_pair
from spikegate.converter.dynapcnn.demo import seed_network
from spikegate.converter.dynapcnn import IAF, SumPool2d, from_nir, from_torch, memory_summary
from spikegate.converter.dynapcnn import discretize as disc
from spikegate.converter.dynapcnn.placement import match
from spikegate.sim.compare import assert_same
from spikegate.sim.dynapcnn import ChipConfig

SINABS = import_sinabs()
needs_sinabs = pytest.mark.skipif(SINABS is None, reason="sinabs is not installed")
N_RANDOM = 40  #: random networks compared with sinabs


def conv(weights, bias=None, **kwargs) -> nn.Conv2d:
    """A Conv2d with the given float weights [f][c][ky][kx] (and bias)."""
    weights = torch.tensor(weights, dtype=torch.float32)
    module = nn.Conv2d(weights.shape[1], weights.shape[0], tuple(weights.shape[2:]), bias=bias is not None, **kwargs)
    with torch.no_grad():
        module.weight.copy_(weights)
        if bias is not None:
            module.bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return module


def only_core(config: ChipConfig, layer: int = 0):
    return config.cores[config.layer_to_core[layer]]


# ------------------------------------------------------------------------------------ discretization
def test_seed_example_half_becomes_127():
    """Spec §4: weight 0.5, θ = 1, θ_low = −1 → s = 254: weight 127, thresholds 254 / −254."""
    core = only_core(from_torch(nn.Sequential(conv([[[[0.5]]]]), IAF(1.0, -1.0)), (1, 4, 4)))
    assert core.weights.tolist() == [[[[127]]]]
    assert (core.threshold_high, core.threshold_low) == (254, -254)
    assert disc.layer_scale(np.float32([0.5]), None, np.float32([-1, 1])) == np.float32(254)


@pytest.mark.parametrize("values, bits, expected", [
    ([-1.0, 1.0], 8, 127.0),          # |m| ≤ |M|·128/127: the positive side binds
    ([-1.0, 0.5], 8, 128.0),          # the negative side binds: |−128 / −1|
    ([-1.0, 1.0], 16, 32767.0),
    ([-2.0, 0.0], 16, 16384.0),
    ([0.0, 0.0], 8, np.inf),          # absent biases never bind
    ([-32768.0, 1.0], 16, 1.0),       # min_v_mem None: the state scale is 1
])
def test_scale_hand_cases(values, bits, expected):
    assert disc.scale(np.float32(values), bits) == np.float32(expected)


def test_scale_is_reciprocal_then_multiply_as_torch():
    """127 / M in torch is a float32 reciprocal times 127; for M = 0.81666225 a plain float32 division gives a
    scale one ulp away, and the weight 0.009645617 then rounds to 2 instead of 1."""
    big, small = np.float32(0.81666225), np.float32(0.009645617)
    ours = disc.scale(np.float32([small, big]), 8)
    assert ours == np.float32(abs(127 / torch.tensor(big)))
    assert ours != np.float32(127) / big
    core = only_core(from_torch(nn.Sequential(conv([[[[big]]], [[[small]]]]), IAF(1.0, -1.0)), (1, 2, 2)))
    assert core.weights.ravel().tolist() == [127, 1]
    assert np.round(small * (np.float32(127) / big)) == 2


def test_scale_matches_torch_on_random_tensors():
    rng = np.random.default_rng(1)
    for _ in range(300):
        values = (rng.normal(rng.normal(), rng.uniform(0.01, 5), rng.integers(1, 40))).astype(np.float32)
        tensor = torch.from_numpy(values)
        low, high = torch.min(tensor), torch.max(tensor)
        expected = abs(127 / high) if abs(low) <= abs(high) * (128 / 127) else abs(-128 / low)
        assert disc.scale(values, 8) == np.float32(expected), values


def test_round_half_to_even():
    """min_v_mem None: s = 1 (spec §4), so values round as they are: 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → 0."""
    model = nn.Sequential(conv([[[[0.5, 1.5], [2.5, -0.5]]]]), IAF(3.0, None))
    with pytest.warns(UserWarning, match="min_v_mem is None"):
        core = only_core(from_torch(model, (1, 4, 4)))
    assert core.weights[0, 0].T.tolist() == [[0, 2], [2, 0]]
    assert (core.threshold_high, core.threshold_low) == (3, -32768)


def test_bias_is_scaled_into_8_bits_and_enables_leak():
    core = only_core(from_torch(nn.Sequential(conv([[[[0.25]]], [[[0.5]]]], bias=[1.0, -0.5]), IAF(1.0, -1.0)),
                                (1, 3, 3)))
    assert core.biases.tolist() == [127, -64]          # s = 127 (bias binds), −0.5·127 = −63.5 → −64 (even)
    assert core.weights.ravel().tolist() == [32, 64]   # 31.75 → 32, 63.5 → 64
    assert (core.threshold_high, core.threshold_low, core.leak_enable) == (127, -127, True)


def test_no_discretization_takes_integers_as_they_are():
    model = nn.Sequential(conv([[[[3.0, -2.0], [1.0, 0.0]]]]), IAF(7.0, -9.0, reset="zero"))
    core = only_core(from_torch(model, (1, 5, 5), discretize=False))
    assert core.weights[0, 0].tolist() == [[3, 1], [-2, 0]]          # [kx][ky]: torch's last two axes swapped
    assert (core.threshold_high, core.threshold_low, core.return_to_zero) == (7, -9, True)
    assert only_core(from_torch(nn.Sequential(conv([[[[1.0]]]]), IAF(2.0)), (1, 2, 2), discretize=False)
                     ).threshold_low == -32768


def test_no_discretization_wrong():
    with pytest.raises(TypeError, match=r"layer 0 .*weights: expected integer values, got .*0.5.* at index \(0, 0,"):
        from_torch(nn.Sequential(conv([[[[0.5]]]]), IAF(1.0, -1.0)), (1, 2, 2), discretize=False)


def test_threshold_rounding_to_zero_wrong():
    with pytest.raises(ValueError, match=r"layer 0 .*spike_threshold 0.3.* becomes threshold_high 0 .*at least 1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from_torch(nn.Sequential(conv([[[[0.1]]]]), IAF(0.3)), (1, 2, 2))


# ------------------------------------------------------------------------------------ layers, geometry
def test_geometry_stride_padding_and_axes():
    weights = np.arange(2 * 2 * 3 * 3, dtype=np.float32).reshape(2, 2, 3, 3) - 10
    model = nn.Sequential(conv(weights, stride=(2, 1), padding=(1, 0)), IAF(100.0, -50.0))
    core = only_core(from_torch(model, (2, 9, 7), discretize=False))
    dims = core.dimensions
    assert (dims.input_shape.size.x, dims.input_shape.size.y, dims.input_shape.feature_count) == (7, 9, 2)
    assert (dims.output_shape.size.x, dims.output_shape.size.y) == (5, 5)   # x: (7−3)/1+1, y: (9+2−3)//2+1
    assert (dims.stride.x, dims.stride.y, dims.padding.x, dims.padding.y) == (1, 2, 0, 1)
    np.testing.assert_array_equal(core.weights, weights.transpose(0, 1, 3, 2))


def test_linear_becomes_a_convolution_over_the_map():
    torch.manual_seed(3)
    linear = nn.Linear(2 * 3 * 3, 4, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.round(linear.weight * 20))
    model = nn.Sequential(conv(np.ones((2, 1, 1, 1))), IAF(1.0, -1.0), nn.Flatten(), linear, IAF(5.0, -5.0))
    config = from_torch(model, (1, 3, 3), discretize=False)
    core = only_core(config, 1)
    assert core.dimensions.kernel_size == 3 and core.neuron_map == (1, 1)
    expected = linear.weight.detach().numpy().reshape(4, 2, 3, 3).transpose(0, 1, 3, 2)
    np.testing.assert_array_equal(core.weights, expected)
    flat = only_core(from_torch(nn.Sequential(nn.Linear(6, 3, bias=False), nn.ReLU()), (6, 1, 1)))
    assert flat.dimensions.kernel_size == 1 and flat.channels == 6


def test_avgpool_rescales_the_next_layer_and_chains_multiply():
    """AvgPool 2 then SumPool 2: destination pooling 4, the next weights × 1/4 before discretization."""
    model = nn.Sequential(conv(np.ones((1, 1, 1, 1))), IAF(1.0, -1.0), nn.AvgPool2d(2), SumPool2d(2),
                          conv([[[[4.0]]], [[[8.0]]]]), IAF(100.0, -100.0))
    config = from_torch(model, (1, 8, 8), discretize=False)
    first, second = only_core(config, 0), only_core(config, 1)
    assert first.destinations[0].pooling == 4 and first.destinations[0].layer == config.layer_to_core[1]
    assert second.weights.ravel().tolist() == [1, 2] and second.input_map == (2, 2)


def test_batchnorm_is_folded():
    """w' = w·γ/√σ², b' = β + (b − μ)·γ/√σ² (no ε): γ = 2, σ² = 4, μ = 1, β = 0.5, w = 3, b = 1 → w' = 3,
    b' = 0.5."""
    bn = nn.BatchNorm2d(1).eval()
    with torch.no_grad():
        bn.weight.fill_(2.0), bn.bias.fill_(0.5), bn.running_mean.fill_(1.0), bn.running_var.fill_(4.0)
    model = nn.Sequential(conv([[[[3.0]]]], bias=[1.0]), bn, IAF(2.0, -2.0))
    core = only_core(from_torch(model, (1, 2, 2)))
    assert core.weights.item() == 127 and core.biases.tolist() == [21] and core.threshold_high == 85
    assert core.leak_enable


def test_ann_gets_a_spiking_output_and_dropout_identity_are_skipped():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Dropout2d(), nn.Identity(), nn.Flatten(),
                          nn.Linear(2 * 2 * 2, 3))
    config = from_torch(model, (1, 4, 4))
    assert sorted(config.layer_to_core) == [0, 1]
    exit_core = only_core(config, 1)
    assert exit_core.monitor_enable and not any(d.enable for d in exit_core.destinations)


def test_duck_typed_sinabs_layers_without_sinabs():
    class MembraneReset:
        reset_value = 0.0

    class IAFSqueeze(nn.Module):
        def __init__(self):
            super().__init__()
            self.spike_threshold = torch.tensor(2.0)
            self.min_v_mem = torch.tensor(-1.0)
            self.reset_fn = MembraneReset()

    core = only_core(from_torch(nn.Sequential(conv([[[[1.0]]]]), IAFSqueeze()), (1, 2, 2)))
    # s = min(127 / 1, 32767 / 2) = 127
    assert core.return_to_zero and (core.threshold_high, core.threshold_low) == (254, -127)


def test_placement_explicit_and_monitors():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 2 * 2, 2))
    config = from_torch(model, (1, 6, 6), chip_layers_ordering=[8, 2, 4], monitor_layers="all")
    assert config.layer_to_core == {0: 8, 1: 2, 2: 4}
    assert all(config.cores[i].monitor_enable for i in (8, 2, 4))
    assert config.cores[8].destinations[0].layer == 2 and config.cores[2].destinations[0].layer == 4
    assert config.dvs_layer.destinations[0].layer == 8 and config.dvs_layer.destinations[0].enable
    config = from_torch(model, (1, 6, 6), chip_layers_ordering={0: 1, 1: 0, 2: 7}, monitor_layers=[0, -1, "dvs"])
    assert [config.cores[i].monitor_enable for i in (1, 0, 7)] == [True, False, True]
    assert config.dvs_layer.monitor_enable


def test_config_survives_json(tmp_path):
    config = from_torch(nir_chain()[1], (2, 8, 8), monitor_layers="all")
    config.save(tmp_path / "seed.json")
    assert ChipConfig.load(tmp_path / "seed.json") == config


# ----------------------------------------------------------------------------------- spec §8 numbers
def test_seed_network_table():
    """Spec §8, exactly: thresholds, memory, auto placement 0, 3, 5, 6, 1, pooling 2, 2, 2, 1, rescale 1/4."""
    torch.manual_seed(0)
    ann = seed_network()
    config = from_torch(ann, (1, 28, 28))
    assert config.layer_to_core == {0: 0, 1: 3, 2: 5, 3: 6, 4: 1}
    thresholds = [(config.cores[c].threshold_high, config.cores[c].threshold_low) for c in (0, 3, 5, 6, 1)]
    assert thresholds == [(635, -635), (11361, -11361), (8621, -8621), (5747, -5747), (2841, -2841)]
    assert memory_summary(config) == {"kernel": {0: 1024, 1: 20480, 2: 65536, 3: 65536, 4: 8000},
                                      "neuron": {0: 20480, 1: 2048, 2: 512, 3: 500, 4: 10},
                                      "bias": {0: 0, 1: 0, 2: 0, 3: 0, 4: 0}}
    for core in (0, 3, 5, 6, 1):
        assert (config.cores[core].weights.min(), config.cores[core].weights.max()) == (-127, 127)
    routes = [(config.cores[c].destinations[0].layer, config.cores[c].destinations[0].pooling) for c in (0, 3, 5, 6)]
    assert routes == [(3, 2), (5, 2), (6, 2), (1, 1)]
    assert [c for c in range(9) if config.cores[c] is not None and config.cores[c].monitor_enable] == [1]
    assert not any(d.enable for d in config.cores[1].destinations)
    # rescale: layer 1's weights are round(w · 1/4 · s) with s = 127 / max|w/4|
    w = ann[3].weight.detach().numpy() * np.float32(0.25)
    s = disc.scale(w, 8)
    np.testing.assert_array_equal(config.cores[3].weights, np.round(w * s).transpose(0, 1, 3, 2))
    assert np.round(s) == 11361


def test_matching_hand_cases():
    assert match([[0, 1, 2], [3, 4, 5, 6], [5, 6], [5, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8]]) == [0, 3, 5, 6, 1]
    assert match([[5, 6], [5, 6], [5, 6]]) == [5, 6, None]
    assert match([[0, 1], [0]]) == [1, 0]              # an augmenting path moves layer 0 to core 1


# ---------------------------------------------------------------------------------------------- NIR
def nir_chain(threshold: float = 2.0) -> tuple[nir.NIRGraph, nn.Sequential]:
    """A NIR chain and the equivalent torch model (IF → IAF(θ, −θ), subtract)."""
    rng = np.random.default_rng(4)
    w1 = rng.normal(0.2, 0.5, (4, 2, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.2, 4).astype(np.float32)
    w2 = rng.normal(0.1, 0.5, (3, 4 * 4 * 4)).astype(np.float32)
    b2 = rng.normal(0, 0.2, 3).astype(np.float32)
    nodes = {
        "input": nir.Input(np.array([2, 8, 8])),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=w1, stride=1, padding=1, dilation=1, groups=1, bias=b1),
        "if1": nir.IF(r=np.ones((4, 8, 8)), v_threshold=np.full((4, 8, 8), threshold)),
        "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0),
        "fc": nir.Affine(weight=w2, bias=b2),
        "if2": nir.IF(r=np.ones(3), v_threshold=np.full(3, threshold)),
        "output": nir.Output(np.array([3])),
    }
    order = list(nodes)
    graph = nir.NIRGraph(nodes=nodes, edges=list(zip(order, order[1:])), type_check=False)
    fc = nn.Linear(64, 3)
    first = conv(w1, b1, padding=1)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(w2)), fc.bias.copy_(torch.from_numpy(b2))
    model = nn.Sequential(first, IAF(threshold, -threshold), nn.AvgPool2d(2), nn.Flatten(), fc,
                          IAF(threshold, -threshold))
    return graph, model


def test_nir_round_trip_equals_torch(tmp_path):
    graph, model = nir_chain()
    nir.write(tmp_path / "chain.nir", graph)
    config = from_nir(nir.read(tmp_path / "chain.nir"))
    assert config == from_torch(model, (2, 8, 8))
    assert memory_summary(config)["bias"] == {0: 4, 1: 3}


def test_nir_wrong():
    graph, _ = nir_chain()
    nodes = dict(graph.nodes)
    branched = nir.NIRGraph(nodes=nodes, edges=graph.edges + [("conv", "output")], type_check=False)
    with pytest.raises(ValueError, match=r"node 'conv': 2 outputs .* non-sequential"):
        from_nir(branched)
    leaky = dict(nodes, if1=nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1)))
    with pytest.raises(ValueError, match=r"node 'if1' \(LIF\): unsupported layer: leaky"):
        from_nir(nir.NIRGraph(nodes=leaky, edges=graph.edges, type_check=False))
    scaled = dict(nodes, if2=nir.IF(r=np.full(3, 2.0), v_threshold=np.ones(3)))
    with pytest.raises(ValueError, match=r"node 'if2' \(IF\): r 2.0 is not supported"):
        from_nir(nir.NIRGraph(nodes=scaled, edges=graph.edges, type_check=False))
    uneven = dict(nodes, if2=nir.IF(r=np.ones(3), v_threshold=np.array([1.0, 2.0, 1.0])))
    with pytest.raises(ValueError, match=r"node 'if2' \(IF\): v_threshold varies"):
        from_nir(nir.NIRGraph(nodes=uneven, edges=graph.edges, type_check=False))
    with pytest.raises(TypeError, match="expected a nir.NIRGraph"):
        from_nir(nodes)


# ----------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("model, shape, error, message", [
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2)), (1, 8, 8), ValueError,
     r"module '2' \(MaxPool2d\): unsupported layer: max pooling"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sigmoid()), (1, 8, 8), ValueError,
     r"module '1' \(Sigmoid\): unsupported layer type Sigmoid"),
    (nn.Sequential(nn.Conv2d(1, 2, (3, 5)), nn.ReLU()), (1, 8, 8), ValueError,
     r"layer 0 \(module '0' \(Conv2d\)\): kernel not square: 3x5"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 4, 2)), (1, 8, 6), ValueError,
     r"layer 1 .*kernel not square: a Linear on a 2x6x4 map"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(2, stride=1)), (1, 8, 8), ValueError,
     r"module '2' \(AvgPool2d\): pooling stride \(1, 1\) should be the same as the pooling kernel size"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d((2, 1))), (1, 8, 8), ValueError,
     r"module '2' \(AvgPool2d\): pooling 2x1 is not square"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(2, padding=1)), (1, 8, 8), ValueError,
     r"pooling padding \(1, 1\)"),
    (nn.Sequential(nn.Conv2d(64, 1024, 3), nn.ReLU()), (64, 8, 8), ValueError,
     r"layer 0 .*too large for any core of speck2f: kernel memory of 1048576 entries is over the largest core "
     r"capacity of 65536 by 983040"),
    (nn.Sequential(nn.Conv2d(64, 16, 7, padding=3), nn.ReLU()), (64, 64, 64), ValueError,
     r"layer 0 .*too large for any core .*no core has room for kernel 65536, neuron 65536 and bias 16 entries "
     r"together \(core 0: kernel over by 49152; .*core 5: neuron over by 49152"),
    (nn.Sequential(*[m for _ in range(3) for m in (nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())]), (64, 4, 4),
     ValueError, r"no valid placement: layer 2 .* fits only cores \[5, 6\], which the matching gives to layers "
                 r"\[0, 1\]"),
    (nn.Sequential(*[m for _ in range(10) for m in (nn.Conv2d(1, 1, 1), nn.ReLU())]), (1, 4, 4), ValueError,
     r"no valid placement: the model has 10 layers, the chip 9 cores"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), IAF(), nn.Conv2d(2, 2, 3), IAF(), nn.Conv2d(2, 2, 1)), (1, 8, 8), ValueError,
     r"layer 2 .*the last weight layer is not followed by a spiking layer"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3), IAF()), (1, 8, 8), ValueError,
     r"layer 0 .*followed by module '1' \(Conv2d\), not by a spiking layer"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), IAF(), IAF()), (1, 8, 8), ValueError,
     r"module '2' \(IAF\): a spiking layer must directly follow a weight layer"),
    (nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(1, 2, 3), IAF()), (1, 8, 8), ValueError,
     r"module '0' \(AvgPool2d\): pooling must follow a spiking layer"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), IAF(), nn.Flatten(), nn.Linear(7, 2), IAF()), (1, 8, 8), ValueError,
     r"layer 1 .*Linear takes 7 input features, but its input map 2x6x6 has 72"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), IAF(), nn.Flatten(), nn.Conv2d(2, 2, 1), IAF()), (1, 8, 8), ValueError,
     r"module '3' \(Conv2d\): a Conv2d after Flatten"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), IAF(), nn.Conv2d(3, 2, 1), IAF()), (1, 8, 8), ValueError,
     r"layer 1 .*takes 3 input channels, but its input map 2x6x6 has 2"),
    (nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), IAF()), (1, 8, 8), ValueError, r"dilation \(2, 2\)"),
    (nn.Sequential(nn.Conv2d(1, 2, 9), IAF()), (1, 8, 8), ValueError,
     r"layer 0 .*a 9x9 kernel does not fit the 8x8 input map"),
    (nn.Sequential(nn.Conv2d(1, 2, 17), IAF()), (1, 20, 20), ValueError,
     r"layer 0 .*kernel_size: value 17 is outside the range 1..16"),
    (nn.Sequential(nn.Conv2d(1, 2, 1), IAF(), SumPool2d(8), nn.Conv2d(2, 2, 1), IAF()), (1, 16, 16), ValueError,
     r"layer 0 .*pooling: value 8 is not one of the allowed values \(1, 2, 4\)"),
    (nn.Sequential(nn.Conv2d(1, 2, 1), IAF(), nn.BatchNorm2d(2)), (1, 4, 4), ValueError,
     r"module '2' \(BatchNorm2d\): a BatchNorm2d must directly follow a Conv2d"),
    (nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2, track_running_stats=False), IAF()), (1, 4, 4), ValueError,
     r"module '1' \(BatchNorm2d\): has no running statistics"),
    (nn.Sequential(nn.ReLU()), (1, 4, 4), ValueError, r"module '0' \(ReLU\): a spiking layer must directly follow"),
    (nn.Sequential(nn.Flatten()), (1, 4, 4), ValueError, r"no weight layer"),
])
@pytest.mark.filterwarnings("ignore:.*min_v_mem is None")
def test_conversion_wrong(model, shape, error, message):
    with pytest.raises(error, match=message):
        from_torch(model, shape)


def test_non_sequential_wrong():
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"model: a Net is not a torch.nn.Sequential; non-sequential models"):
        from_torch(Net(), (1, 4, 4))


def test_spiking_layer_wrong():
    class MembraneReset:
        reset_value = 0.5

    class Other:
        pass

    class IAF2(nn.Module):  # sinabs-like, wrong reset value
        def __init__(self, reset_fn):
            super().__init__()
            self.spike_threshold, self.min_v_mem, self.reset_fn = 1.0, None, reset_fn

    IAF2.__name__ = "IAFSqueeze"
    with pytest.raises(ValueError, match=r"module '1' \(IAFSqueeze\): reset_value 0.5 is not supported"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 1), IAF2(MembraneReset())), (1, 2, 2))
    with pytest.raises(ValueError, match=r"unknown reset function Other"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 1), IAF2(Other())), (1, 2, 2))

    class LIFSqueeze(nn.Module):
        pass

    with pytest.raises(ValueError, match=r"module '1' \(LIFSqueeze\): unsupported layer: leaky neurons"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 1), LIFSqueeze()), (1, 2, 2))
    with pytest.raises(ValueError, match=r"reset: value 'hold' is not one of"):
        IAF(1.0, reset="hold")
    with pytest.raises(ValueError, match=r"spike_threshold: value 0 must be > 0"):
        IAF(0)
    with pytest.raises(ValueError, match=r"min_v_mem: value 2.0 must be below spike_threshold 1.0"):
        IAF(1.0, 2.0)


def test_options_wrong():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU())
    cases = [
        (dict(chip="speck3"), r"chip: value 'speck3' is not one of the profiles"),
        (dict(chip_layers_ordering="manual"), r"chip_layers_ordering: value 'manual' is neither 'auto'"),
        (dict(chip_layers_ordering=[0]), r"chip_layers_ordering: 1 cores given for 2 layers"),
        (dict(chip_layers_ordering=[3, 3]), r"chip_layers_ordering: core 3 is given to both layer 0 and layer 1"),
        (dict(chip_layers_ordering=[0, 9]), r"chip_layers_ordering: core 9 for layer 1 .* is not a core index"),
        (dict(chip_layers_ordering={0: 1, 2: 2}), r"chip_layers_ordering: keys \[0, 2\] must be exactly"),
        (dict(monitor_layers=[5]), r"monitor_layers: entry 5 is not a layer index 0..1"),
        (dict(monitor_layers="some"), r"monitor_layers: value 'some' is neither 'all'"),
        (dict(input_shape=(1, 8)), r"input_shape: expected \(C, H, W\)"),
    ]
    for kwargs, message in cases:
        kwargs = {"input_shape": (1, 8, 8), **kwargs}
        with pytest.raises(ValueError, match=message):
            from_torch(model, **kwargs)
    big = nn.Sequential(nn.Conv2d(32, 128, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"chip_layers_ordering: layer 0 .* does not fit core 0 of speck2f: kernel "
                                         r"memory of 65536 entries is over its capacity of 16384 by 49152"):
        from_torch(big, (32, 4, 4), chip_layers_ordering=[0])


# ------------------------------------------------------------------------------------ against sinabs
def sinabs_fields(net, builder, placement) -> dict[int, dict]:
    """Per layer, the register fields sinabs writes (its config dict), monitors of the exit layers."""
    exits = set(net._dynapcnn_module.get_exit_layers())
    fields = {}
    for index, layer in net.dynapcnn_layers.items():
        d = builder.get_dynapcnn_layer_config_dict(layer, placement, net.layer_destination_map[index])
        d["leak_enable"] = bool(d["leak_enable"])
        d["monitor_enable"] = index in exits
        fields[index] = d
    return fields


def assert_same_as_sinabs(config: ChipConfig, net, context: str) -> None:
    from sinabs.backend.dynapcnn.chip_factory import ChipFactory

    builder = ChipFactory("speck2fmodule").get_config_builder()
    placement = builder.map_layers_to_cores(net.dynapcnn_layers)
    assert config.layer_to_core == placement, context
    for index, theirs in sinabs_fields(net, builder, placement).items():
        ours = config.cores[placement[index]].to_dict()
        ours["destinations"] = [{k: v for k, v in d.items() if k != "feature_shift"}
                                for d in ours["destinations"] if d["enable"]]
        arrays = ("weights", "biases", "neurons_initial_value")
        assert_same({k: np.array(ours[k]) for k in arrays}, {k: np.array(theirs[k]) for k in arrays},
                    axes=("f", "c", "x", "y"), names=("spikegate", "sinabs"), context=f"{context}, layer {index}")
        for key in ("dimensions", "threshold_high", "threshold_low", "return_to_zero", "leak_enable",
                    "monitor_enable", "destinations"):
            assert ours[key] == theirs[key], f"{context}, layer {index}, {key}: {ours[key]} != {theirs[key]}"
    theirs = {kind: {i: int(v) for i, v in values.items()} for kind, values in net.memory_summary().items()}
    ours = memory_summary(config)
    for index, core in config.layer_to_core.items():
        # sinabs counts bias memory for any bias parameter; the config only for biases in use (leak_enable)
        if not config.cores[core].leak_enable and theirs["bias"][index]:
            theirs["bias"][index] = 0
    assert ours == theirs, context


@needs_sinabs
def test_seed_network_equals_sinabs():
    net, config = sinabs_seed_pair()
    assert_same_as_sinabs(config, net, "seed network")


@needs_sinabs
def test_random_networks_equal_sinabs():
    """ANNs (through sinabs' from_model) and SNNs of sinabs' IAFSqueeze/SumPool2d, biases, BatchNorm, pooling
    chains, Linear layers: every register field, placement, memory."""
    for context, _, net, config in sinabs_random_pairs(range(N_RANDOM)):
        assert_same_as_sinabs(config, net, context)


@needs_sinabs
def test_initial_states_equal_sinabs():
    """SNNs whose spiking layers hold a state: it joins the scale and becomes neurons_initial_value."""
    states = 0
    for context, _, net, config in sinabs_random_pairs(range(1, 24, 2), with_state=True):
        assert_same_as_sinabs(config, net, context)
        states += sum(int(np.abs(config.cores[c].neurons_initial_value).max() > 0) for c in config.used_cores)
    assert states > 10


@needs_sinabs
def test_matching_equals_sinabs_on_random_fits():
    """sinabs' Edmonds–Karp (make_flow_graph, edmonds, recover_mapping) against ours on random fit lists."""
    from sinabs.backend.dynapcnn import mapping

    rng = np.random.default_rng(7)
    for _ in range(400):
        fits = [sorted(rng.choice(9, rng.integers(1, 10), replace=False).tolist()) for _ in range(rng.integers(1, 10))]
        ours = match(fits)
        graph = mapping.edmonds(mapping.make_flow_graph(fits, 9), 0, len(fits) + 10)
        if None in ours:
            with pytest.raises(ValueError, match="No valid mapping found"):
                mapping.recover_mapping(graph, len(fits))
        else:
            assert ours == mapping.recover_mapping(graph, len(fits)), fits


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_run_end_to_end(tmp_path, capsys):
    import json

    from spikegate.sim.cli import main

    assert main(["dynapcnn", "run", "--events", "400", "--chunk", "150", "--out", str(tmp_path), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "placement (layer -> core): {0: 0, 1: 3, 2: 5, 3: 6, 4: 1}" in printed
    assert "65536/65536" in printed and "total synaptic operations" in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    config = ChipConfig.load(tmp_path / "seed_config.json")
    assert summary["digest"] == config.digest() and summary["input_events"] == 400
    assert summary["synops"] == sum(summary["synops_per_core"].values()) > 0
    assert (tmp_path / "output_counts.png").stat().st_size > 1000


def test_cli_convert(tmp_path, capsys):
    from spikegate.sim.cli import main

    graph, model = nir_chain()
    nir.write(tmp_path / "chain.nir", graph)
    assert main(["dynapcnn", "convert", str(tmp_path / "chain.nir"), "--out", str(tmp_path / "a.json")]) == 0
    torch.save(model, tmp_path / "chain.pt")
    assert main(["dynapcnn", "convert", str(tmp_path / "chain.pt"), "--input-shape", "2", "8", "8",
                 "--ordering", "7", "8", "--out", str(tmp_path / "b.json")]) == 0
    a, b = ChipConfig.load(tmp_path / "a.json"), ChipConfig.load(tmp_path / "b.json")
    assert a.layer_to_core == {0: 0, 1: 1} and b.layer_to_core == {0: 7, 1: 8}
    assert a.cores[0] == b.cores[7].replace(destinations=a.cores[0].destinations)
    assert "placement (layer -> core): {0: 7, 1: 8}" in capsys.readouterr().out


def test_cli_wrong(tmp_path, capsys):
    from spikegate.sim.cli import main

    torch.save(nir_chain()[1], tmp_path / "chain.pt")
    assert main(["dynapcnn", "convert", str(tmp_path / "chain.pt"), "--out", str(tmp_path / "x.json")]) == 2
    assert "--input-shape: C H W is required for a torch model" in capsys.readouterr().err
    assert main(["dynapcnn", "convert", str(tmp_path / "chain.pt"), "--input-shape", "2", "8", "8",
                 "--ordering", "7", "7", "--out", str(tmp_path / "x.json")]) == 2
    assert "core 7 is given to both layer 0 and layer 1" in capsys.readouterr().err
    assert main(["dynapcnn", "run", "--events", "0", "--out", str(tmp_path)]) == 2


@pytest.mark.parametrize("pool", [nn.AvgPool2d(3), SumPool2d(2)])
def test_pooling_after_the_last_layer_is_said_to_be_dropped(pool):
    """The chip sends the exit layer's events unpooled (as sinabs' configs do): the dropped pooling is said."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), pool)
    with pytest.warns(UserWarning, match=r"layer 0 \(module '0' \(Conv2d\)\): the pooling \d after the last layer is "
                                         r"dropped: a core pools only on the way to a destination core"):
        config = from_torch(model, (1, 9, 9))
    assert config.cores[config.layer_to_core[0]].destinations[0].enable is False
