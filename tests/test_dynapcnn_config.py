"""The DYNAP-CNN register-config model: construction, limits (each with its message), memory, JSON."""

import json

import numpy as np
import pytest

from spikegate.sim.dynapcnn import (CHIP_PROFILES, ChipConfig, CoreConfig, Destination, Dimensions, DvsLayerConfig,
                                    Shape, Size, core_memory)

SEED_LAYERS = (  # spec §8: (core, c, input size, f, kernel, threshold, destination pooling or None)
    (0, 1, 28, 20, 5, 635, 2),
    (3, 20, 12, 32, 5, 11361, 2),
    (5, 32, 4, 128, 3, 8621, 2),
    (6, 128, 1, 500, 1, 5747, 1),
    (1, 500, 1, 10, 1, 2841, None),
)


def seed_chip(chip="speck2f") -> ChipConfig:
    rng = np.random.default_rng(0)
    cores = {}
    for i, (core, c, size, f, k, threshold, pooling) in enumerate(SEED_LAYERS):
        destinations = () if pooling is None else (Destination(SEED_LAYERS[i + 1][0], True, pooling),)
        cores[core] = CoreConfig.from_weights(rng.integers(-127, 128, (f, c, k, k)), (size, size),
                                              threshold_high=threshold, threshold_low=-threshold,
                                              destinations=destinations, monitor_enable=pooling is None)
    return ChipConfig(chip=chip, cores=cores, dvs_layer=DvsLayerConfig.direct([0], (28, 28)),
                      layer_to_core={i: layer[0] for i, layer in enumerate(SEED_LAYERS)})


def small_core(**changes) -> CoreConfig:
    core = CoreConfig.from_weights(np.ones((2, 1, 3, 3)), (6, 6), threshold_high=5, threshold_low=-5)
    return core.replace(**changes) if changes else core


def test_seed_memory_matches_spec():
    chip = seed_chip()
    assert {core: m["kernel"] for core, m in chip.memory().items()} == {0: 1024, 3: 20480, 5: 65536, 6: 65536, 1: 8000}
    assert {core: m["neuron"] for core, m in chip.memory().items()} == {0: 20480, 3: 2048, 5: 512, 6: 500, 1: 10}
    assert all(m["bias"] == 0 for m in chip.memory().values())
    assert core_memory(small_core(leak_enable=True, biases=[1, 0]))["bias"] == 2


def test_profiles():
    for name in ("speck2f", "speck2e", "dynapcnn_devkit"):
        assert [c["kernel"] // 1024 for c in CHIP_PROFILES[name]] == [16, 16, 16, 32, 32, 64, 64, 16, 16]
        assert [c["neuron"] // 1024 for c in CHIP_PROFILES[name]] == [64, 64, 64, 32, 32, 16, 16, 16, 16]
        assert seed_chip(name).chip == name


def test_json_round_trip(tmp_path):
    chip = seed_chip()
    path = tmp_path / "chip.json"
    chip.save(path)
    loaded = ChipConfig.load(path)
    assert loaded == chip and loaded.digest() == chip.digest()
    assert loaded.layer_to_core == chip.layer_to_core
    np.testing.assert_array_equal(loaded.cores[3].weights, chip.cores[3].weights)
    assert loaded.cores[3].weights.dtype == np.int8 and loaded.cores[3].neurons_initial_value.dtype == np.int16
    assert seed_chip("speck2e").digest() != chip.digest()


def test_arrays_read_only():
    core = small_core()
    with pytest.raises(ValueError):
        core.weights[0, 0, 0, 0] = 3
    with pytest.raises(AttributeError):
        core.threshold_high = 3


def test_geometry_and_axes():
    core = CoreConfig.from_weights(np.zeros((4, 2, 3, 3)), (10, 7), threshold_high=1, threshold_low=0,
                                   stride=(2, 1), padding=(1, 0))
    assert core.neuron_map == (5, 5) and core.input_map == (10, 7)
    assert core.neurons_initial_value.shape == (4, 5, 5)


# ------------------------------------------------------------------------------------------- _wrong tests
def dims(**changes):
    base = dict(input_shape=Shape(Size(6, 6), 1), output_shape=Shape(Size(4, 4), 2), padding=Size(0, 0),
                stride=Size(1, 1), kernel_size=3)
    base.update(changes)
    return Dimensions(**base)


@pytest.mark.parametrize("changes, match", [
    (dict(kernel_size=17), r"kernel_size: value 17 is outside the range 1\.\.16"),
    (dict(stride=Size(3, 1)), r"stride\.x: value 3 is not one of the allowed values \(1, 2, 4, 8\)"),
    (dict(padding=Size(0, 8)), r"padding\.y: value 8 is outside the range 0\.\.7"),
    (dict(input_shape=Shape(Size(129, 6), 1)), r"input_shape\.size\.x: value 129 is outside the range 1\.\.128"),
    (dict(input_shape=Shape(Size(70, 70), 1), output_shape=Shape(Size(68, 68), 2)),
     r"output_shape\.size\.x: value 68 is outside the range 1\.\.64"),
    (dict(output_shape=Shape(Size(5, 4), 2)), r"output_shape\.size\.x: value 5 does not match .* = 4"),
])
def test_dimensions_wrong(changes, match):
    with pytest.raises(ValueError, match=match):
        dims(**changes)


def test_features_wrong():
    with pytest.raises(ValueError, match=r"feature_count: value 1025 is outside the range 1\.\.1024"):
        Shape(Size(1, 1), 1025)


def test_kernel_not_square_wrong():
    with pytest.raises(ValueError, match=r"weights: kernel 3x2 is not square"):
        small_core(weights=np.zeros((2, 1, 3, 2)))
    with pytest.raises(ValueError, match=r"weights: expected shape \(f=2, c=1, kx=3, ky=3\)"):
        small_core(weights=np.zeros((2, 1, 2, 2)))


@pytest.mark.parametrize("changes, match", [
    (dict(weights=np.full((2, 1, 3, 3), 128)), r"weights: value 128 at index \(0, 0, 0, 0\) is outside the int8"),
    (dict(weights=np.full((2, 1, 3, 3), -129)), r"weights: value -129 .* int8 range -128\.\.127"),
    (dict(biases=[0, 40000]), r"biases: value 40000 at index \(1,\) is outside the int16 range"),
    (dict(neurons_initial_value=np.full((2, 4, 4), -32769)), r"neurons_initial_value: value -32769 .* int16"),
    (dict(neurons_initial_value=np.zeros((2, 3, 4))), r"neurons_initial_value: expected shape \(2, 4, 4\)"),
    (dict(threshold_high=32768), r"threshold_high: value 32768 is outside the int16 range -32768\.\.32767"),
    (dict(threshold_low=-32769), r"threshold_low: value -32769 is outside the int16 range"),
    (dict(weights=np.full((2, 1, 3, 3), 0.5)), r"weights: expected integer values, got .*0\.5.* at index \(0, 0,"),
    (dict(return_to_zero=1), r"return_to_zero: expected a bool, got 1"),
    (dict(destinations=(Destination(),) * 3), r"destinations: 3 entries given; the limit is 2"),
])
def test_core_wrong(changes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        small_core(**changes)


@pytest.mark.parametrize("changes, match", [
    (dict(pooling=3), r"pooling: value 3 is not one of the allowed values \(1, 2, 4\)"),
    (dict(layer=9), r"layer: value 9 is outside the core index range 0\.\.8"),
    (dict(feature_shift=1024), r"feature_shift: value 1024 is outside the range 0\.\.1023"),
])
def test_destination_wrong(changes, match):
    with pytest.raises(ValueError, match=match):
        Destination(**changes)


@pytest.mark.parametrize("changes, match", [
    (dict(pooling=Size(3, 1)), r"pooling\.x: value 3 is not one of the allowed values"),
    (dict(pooling=Size(2, 2), cut=Size(64, 10)), r"cut\.x: value 64 is outside the pooled map range 0\.\.63"),
    (dict(origin=Size(5, 0), cut=Size(4, 4)), r"origin\.x: value 5 is outside the 0\.\.cut\.x range 0\.\.4"),
])
def test_dvs_wrong(changes, match):
    with pytest.raises(ValueError, match=match):
        DvsLayerConfig(**changes)


def test_memory_over_limit_wrong():
    core = CoreConfig.from_weights(np.zeros((64, 64, 3, 3)), (6, 6), threshold_high=1, threshold_low=0)
    assert core_memory(core)["kernel"] == 64 * 2 ** (4 + 6)
    with pytest.raises(ValueError, match=r"cores\[0\]: kernel memory of 65536 entries is over core 0's capacity "
                                         r"of 16384 on speck2f \(by 49152\)"):
        ChipConfig(cores={0: core})
    ChipConfig(cores={5: core})  # fits a 64Ki core
    big = CoreConfig.from_weights(np.zeros((32, 1, 1, 1)), (64, 64), threshold_high=1, threshold_low=0)
    with pytest.raises(ValueError, match=r"cores\[5\]: neuron memory of 131072 entries is over .* 16384"):
        ChipConfig(cores={5: big}, chip="dynapcnn_devkit")


def test_chip_wrong():
    core = small_core()
    with pytest.raises(ValueError, match=r"chip: value 'speck3' is not one of the profiles"):
        ChipConfig(chip="speck3")
    with pytest.raises(ValueError, match=r"cores: 8 entries given; the chip has exactly 9"):
        ChipConfig(cores=(None,) * 8)
    with pytest.raises(ValueError, match=r"cores\[2\]\.destinations\[1\]\.layer: core 4 is not used"):
        ChipConfig(cores={2: core.replace(destinations=(Destination(), Destination(4, True)))})
    target = CoreConfig.from_weights(np.zeros((1, 2, 1, 1)), (3, 3), threshold_high=1, threshold_low=0)
    with pytest.raises(ValueError, match=r"cores\[0\]\.destinations\[0\]: output map 4x4 pooled by 2 is 2x2, but "
                                         r"core 1's input map is 3x3"):
        ChipConfig(cores={0: core.replace(destinations=(Destination(1, True, 2),)), 1: target})
    target = CoreConfig.from_weights(np.zeros((1, 2, 1, 1)), (2, 2), threshold_high=1, threshold_low=0)
    ChipConfig(cores={0: core.replace(destinations=(Destination(1, True, 2),)), 1: target})
    with pytest.raises(ValueError, match=r"cores\[0\]\.destinations\[0\]\.feature_shift: 2 features shifted by 1 "
                                         r"reach channel 2, beyond core 1's 2 input channels"):
        ChipConfig(cores={0: core.replace(destinations=(Destination(1, True, 2, 1),)), 1: target})
    with pytest.raises(ValueError, match=r"dvs_layer\.destinations\[0\]: output map 128x128 pooled by 1 is 128x128"):
        ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig(destinations=(Destination(0, True),)))
    with pytest.raises(ValueError, match=r"layer_to_core\[0\]: core 3 is not used"):
        ChipConfig(cores={0: core}, layer_to_core={0: 3})
    with pytest.raises(ValueError, match=r"layer_to_core\[1\]: core 0 already holds layer 0"):
        ChipConfig(cores={0: core}, layer_to_core={0: 0, 1: 0})


def test_json_wrong():
    doc = seed_chip().to_dict()
    doc["cores"][3]["dimensions"]["stride"]["y"] = 3
    with pytest.raises(ValueError, match=r"cores\[3\]\.dimensions\.stride\.y: value 3 is not one of"):
        ChipConfig.from_dict(doc)
    doc = json.loads(seed_chip().to_json())
    doc["format"] = "xylo"
    with pytest.raises(ValueError, match=r"not a spikegate DYNAP-CNN config"):
        ChipConfig.from_dict(doc)
