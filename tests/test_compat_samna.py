"""spikegate.compat.samna on its own (no sinabs): the samna-shaped objects (setters, read-back, JSON), the
conversions to and from ChipConfig, validate_configuration, events and simulate, and the names that need a
board."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from config_diff import assert_same_config
from sinabs_support.fixtures import one_torch_thread  # noqa: F401 (autouse fixture)
from sinabs_support.networks import random_model
from spikegate.compat import samna, samnagui
from spikegate.compat.samna import UnavailableError, from_chip_config, simulate, to_chip_config
from spikegate.converter.dynapcnn import from_torch
from spikegate.sim.dynapcnn import (INPUT_EVENT_DTYPE, ORDERS, ChipConfig, CoreConfig, Destination, DvsLayerConfig,
                                    DynapcnnSim, Size)

CHIPS = ("speck2e", "speck2f", "dynapcnn_devkit")
DOCS = Path(__file__).parents[1] / "docs" / "compat.md"


def small_chip() -> ChipConfig:
    """Two cores 0 → 4 (pooling 2), input 6×6 with 2 channels, core 4 monitored."""
    rng = np.random.default_rng(0)
    first = CoreConfig.from_weights(rng.integers(-20, 60, (3, 2, 3, 3)), (6, 6), threshold_high=50, threshold_low=-60,
                                    destinations=[Destination(4, True, 2)])
    second = CoreConfig.from_weights(rng.integers(-20, 60, (2, 3, 2, 2)), (2, 2), threshold_high=40, threshold_low=-60,
                                     monitor_enable=True)
    return ChipConfig(cores={0: first, 4: second}, dvs_layer=DvsLayerConfig.direct([0], (6, 6)))


def dvs_chip() -> ChipConfig:
    """A DVS layer that merges, pools by 2, crops, mirrors and swaps, feeding core 2."""
    dvs = DvsLayerConfig(merge=True, pooling=Size(2, 2), origin=Size(1, 2), cut=Size(5, 4), mirror_x=True,
                         mirror_diagonal=True, pass_sensor_events=True, destinations=(Destination(2, True),))
    core = CoreConfig.from_weights(np.full((2, 1, 1, 1), 5), (3, 5), threshold_high=5, threshold_low=-5,
                                   monitor_enable=True)
    return ChipConfig(chip="speck2e", cores={2: core}, dvs_layer=dvs)


def spike_events(chip_module, rows) -> list:
    return [chip_module.event.Spike(layer=layer, x=x, y=y, feature=f, timestamp=t) for layer, x, y, f, t in rows]


# ------------------------------------------------------------------------------------------- setters
def test_setters_take_what_sinabs_assigns():
    layer = samna.speck2f.configuration.CnnLayerConfig()
    layer.dimensions = {"input_shape": {"size": {"x": 5, "y": 4}, "feature_count": 2},
                        "output_shape": {"size": {"x": 3, "y": 2}, "feature_count": 3},
                        "padding": {"x": 0, "y": 0}, "stride": {"x": 1, "y": 1}, "kernel_size": np.int64(3)}
    layer.weights = torch.arange(54).reshape(3, 2, 3, 3).tolist()
    layer.biases = np.zeros(3, np.int32)
    layer.neurons_initial_value = torch.zeros(3, 3, 2, dtype=torch.int32)
    layer.leak_enable = torch.tensor([0.0, 0.5]).bool().any()  # a 0-d tensor, as sinabs writes it
    layer.threshold_high, layer.threshold_low = torch.tensor(7), np.int16(-7)
    layer.destinations[1].layer, layer.destinations[1].enable = np.int64(4), np.bool_(True)
    assert layer.leak_enable is True and layer.destinations[1].enable is True
    assert type(layer.threshold_high) is int and layer.threshold_high == 7 and layer.threshold_low == -7
    assert layer.dimensions.input_shape.size.x == 5 and layer.dimensions.kernel_size == 3
    assert layer.weights.shape == (3, 2, 3, 3) and layer.weights[2, 1, 2, 2] == 53
    other = samna.speck2f.configuration.CnnLayerConfig(dimensions=layer.dimensions)  # an object is copied
    other.dimensions.stride.x = 2
    assert layer.dimensions.stride.x == 1 and other.dimensions.stride.x == 2
    layer.destinations[0] = {"layer": 3, "enable": True, "pooling": 2}
    assert layer.destinations[0] == samna.speck2f.configuration.CnnLayerDestination(layer=3, enable=True, pooling=2)


@pytest.mark.parametrize("field, value, error, message", [
    ("threshold_high", "7", TypeError, "CnnLayerConfig.threshold_high: expected an integer, got '7'"),
    ("threshold_high", 1.5, TypeError, "CnnLayerConfig.threshold_high: expected integer values, got 1.5"),
    ("threshold_high", [1, 2], TypeError, r"CnnLayerConfig.threshold_high: expected an integer, got \[1, 2\]"),
    ("leak_enable", 1, TypeError, "CnnLayerConfig.leak_enable: expected a bool, got 1"),
    ("weights", [[[[1, 2]]], [[[3]]]], TypeError, "CnnLayerConfig.weights: expected a rectangular nested list"),
    ("weights", [1, 2], TypeError, r"CnnLayerConfig.weights: expected 4 axes \[f\]\[c\]\[kx\]\[ky\], got shape \(2,\)"),
    ("weights", [[[[0.5]]]], TypeError, r"CnnLayerConfig.weights: expected integer values, got 0.5 at index \(0, 0"),
    ("treshold_high", 5, AttributeError, "CnnLayerConfig has no field 'treshold_high'; its fields are dimensions, "),
    ("dimensions", {"kernel": 3}, TypeError, "CnnLayerConfig.dimensions: CnnLayerDimensions has no field 'kernel'"),
    ("dimensions", 3, TypeError, "CnnLayerConfig.dimensions: expected a CnnLayerDimensions or a dict of its fields"),
    ("destinations", [{}], TypeError, "CnnLayerConfig.destinations: expected exactly 2 entries, got 1"),
])
def test_setters_wrong(field, value, error, message):
    layer = samna.speck2f.configuration.CnnLayerConfig(threshold_high=3)
    before = layer.to_dict()
    with pytest.raises(error, match=message):
        setattr(layer, field, value)
    assert layer.to_dict() == before  # a refused assignment changes nothing


def test_fixed_lists_and_read_back_arrays_wrong():
    config = samna.speck2f.configuration.SpeckConfiguration()
    with pytest.raises(IndexError, match="CnnLayerConfig.destinations: index 2 is out of range; there are exactly 2"):
        config.cnn_layers[0].destinations[2].enable = True  # sinabs' way to fail on a third destination
    with pytest.raises(IndexError, match="SpeckConfiguration.cnn_layers: index 9 is out of range; there are exactly 9"):
        config.cnn_layers[9]
    config.cnn_layers[0].weights = [[[[1]]]]
    with pytest.raises(ValueError, match="read-only"):
        config.cnn_layers[0].weights[0, 0, 0, 0] = 5  # edit a copy silently? no: assign the whole array
    with pytest.raises(TypeError, match=r"SpeckConfiguration.cnn_layers\[2\]: expected a CnnLayerConfig or a dict"):
        config.cnn_layers[2] = 5


def test_json_round_trip():
    config = from_chip_config(small_chip())
    copy = samna.speck2f.configuration.SpeckConfiguration()
    copy.from_json(config.to_json())
    assert copy == config and copy.cnn_layers[4].weights.shape == (2, 3, 2, 2)


def test_json_wrong():
    config = samna.speck2f.configuration.SpeckConfiguration()
    with pytest.raises(TypeError, match=r"SpeckConfiguration.from_json: expected a JSON object, got '\[1\]'"):
        config.from_json("[1]")
    with pytest.raises(AttributeError, match="SpeckConfiguration has no field 'cores'"):
        config.from_json('{"cores": []}')


# --------------------------------------------------------------------------------------- conversions
@pytest.mark.parametrize("chip", CHIPS)
def test_round_trip_of_converted_models(chip):
    """from_torch configs (spikegate's IAF networks) → samna objects → ChipConfig: the same, field by field; the
    identity input layer is written as a DVS layer routing nowhere, as sinabs writes networks without one."""
    for seed in range(6):
        model, shape = random_model(seed, "spikegate")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # min_v_mem None: the converter's scale warning
            config = from_torch(model, shape, chip=chip)
        samna_config = from_chip_config(config)
        assert type(samna_config).__module__ == f"spikegate.compat.samna.{chip.replace('_devkit', '')}.configuration"
        assert not any(d.enable for d in samna_config.dvs_layer.destinations)
        assert_same_config(to_chip_config(samna_config), config.replace(layer_to_core={}), f"seed {seed} on {chip}")


def test_round_trip_with_a_dvs_layer():
    config = dvs_chip()
    samna_config = from_chip_config(config)
    dvs = samna_config.dvs_layer
    assert (dvs.mirror.x, dvs.mirror.y, dvs.mirror_diagonal, dvs.cut.x, dvs.destinations[0].layer) == \
        (True, False, True, 5, 2)
    assert_same_config(to_chip_config(samna_config), config, "DVS chip")
    assert_same_config(to_chip_config(from_chip_config(config, "speck2f")), config.replace(chip="speck2f"), "speck2f")


def test_conversions_wrong():
    with pytest.raises(TypeError, match="config: expected a samna DYNAP-CNN/Speck configuration .*, got dict"):
        to_chip_config({})
    with pytest.raises(TypeError, match="chip_config: expected a ChipConfig, got SpeckConfiguration"):
        from_chip_config(samna.speck2f.configuration.SpeckConfiguration())
    with pytest.raises(ValueError, match=r"chip: value 'speck3' is not one of \('speck2e', 'speck2f', "):
        from_chip_config(small_chip(), "speck3")


def test_two_entry_cores_without_dvs_routing_wrong():
    """Input enters cores 0 and 4 (no core sends to 4) with different input maps: no identity DVS layer feeds both."""
    config = from_chip_config(small_chip())
    config.cnn_layers[0].destinations[0].enable = False
    assert samna.speck2f.validate_configuration(config) == (False, (
        "dvs_layer.destinations: none is enabled, so input events go straight to the entry cores [0, 4] (input maps "
        "[(2, 2), (6, 6)]); spikegate feeds input through one identity DVS layer, which reaches at most 2 cores of "
        "one input map: enable dvs_layer destinations instead"))


# --------------------------------------------------------------------------------------- validation
def test_validate_configuration_accepts():
    assert samna.speck2f.validate_configuration(samna.speck2f.configuration.SpeckConfiguration()) == (True, "")
    assert samna.speck2f.validate_configuration(from_chip_config(small_chip())) == (True, "")
    assert samna.speck2e.validate_configuration(from_chip_config(dvs_chip())) == (True, "")
    assert samna.dynapcnn.validate_configuration(from_chip_config(small_chip(), "dynapcnn_devkit")) == (True, "")


def _set(path: str, value):
    """A change to a samna configuration: ``path`` like "cnn_layers[0].dimensions.kernel_size"."""
    def change(config):
        *parents, last = re.split(r"\.(?![^\[]*\])", path)
        target = config
        for part in parents:
            name, _, index = part.partition("[")
            target = getattr(target, name)
            if index:
                target = target[int(index[:-1])]
        setattr(target, last, value)
    return change


@pytest.mark.parametrize("change, message", [
    (_set("cnn_layers[0].threshold_high", 40000),
     "cnn_layers[0].threshold_high: value 40000 is outside the int16 range -32768..32767"),
    (_set("cnn_layers[4].weights", np.full((2, 3, 2, 2), 200)),
     "cnn_layers[4].weights: value 200 at index (0, 0, 0, 0) is outside the int8 range -128..127"),
    (_set("cnn_layers[0].dimensions.kernel_size", 17),
     "cnn_layers[0].dimensions.kernel_size: value 17 is outside the range 1..16"),
    (_set("cnn_layers[0].dimensions.stride", {"x": 3, "y": 1}),
     "cnn_layers[0].dimensions.stride.x: value 3 is not one of the allowed values (1, 2, 4, 8)"),
    (_set("cnn_layers[0].destinations[0].pooling", 3),
     "cnn_layers[0].destinations[0].pooling: value 3 is not one of the allowed values (1, 2, 4)"),
    (_set("cnn_layers[0].destinations[0].layer", 7),
     "cnn_layers[0].destinations[0].layer: core 7 is not used (no CoreConfig)"),
    (_set("cnn_layers[0].destinations[0].pooling", 1),
     "cnn_layers[0].destinations[0]: output map 4x4 pooled by 1 is 4x4, but core 4's input map is 2x2"),
    (_set("cnn_layers[4].neurons_initial_value", np.zeros((2, 2, 2))),
     "cnn_layers[4].neurons_initial_value: expected shape (2, 1, 1), got (2, 2, 2)"),
    (_set("cnn_layers[0].output_decimator_enable", True),
     "cnn_layers[0].output_decimator_enable: value True is not modelled (spikegate runs every core with it disabled)"),
    (_set("cnn_layers[4].input_congestion_balancer_enable", True),
     "cnn_layers[4].input_congestion_balancer_enable: value True is not modelled"),
])
def test_validate_configuration_wrong(change, message):
    config = from_chip_config(small_chip())
    change(config)
    ok, said = samna.speck2f.validate_configuration(config)
    assert not ok and said.startswith(message), said


def test_validate_memory_and_dvs_wrong():
    config = from_chip_config(small_chip())
    big = config.cnn_layers[7]  # 32 → 64 channels, kernel 4: 32·2^(4+6) = 32768 kernel entries; core 7 has 16384
    big.dimensions = {"input_shape": {"size": {"x": 4, "y": 4}, "feature_count": 32},
                      "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 64}, "kernel_size": 4}
    big.weights, big.biases, big.neurons_initial_value = np.ones((64, 32, 4, 4), int), [0] * 64, np.zeros((64, 1, 1))
    big.threshold_high = 10
    assert samna.speck2f.validate_configuration(config) == (False, (
        "cnn_layers[7]: kernel memory of 32768 entries is over core 7's capacity of 16384 on speck2f (by 16384)"))
    dvs = from_chip_config(dvs_chip())
    dvs.dvs_layer.cut.x = 70
    assert samna.speck2e.validate_configuration(dvs) == (
        False, "dvs_layer.cut.x: value 70 is outside the pooled map range 0..63")


def test_validate_configuration_type_wrong():
    with pytest.raises(TypeError, match=r"validate_configuration: expected a spikegate.compat.samna.speck2f."
                                        r"configuration.SpeckConfiguration, got SpeckConfiguration"):
        samna.speck2f.validate_configuration(samna.speck2e.configuration.SpeckConfiguration())
    with pytest.raises(TypeError, match="validate_configuration: expected a .*DynapcnnConfiguration, got object"):
        samna.dynapcnn.validate_configuration(object())


# ------------------------------------------------------------------------------------------- events
def test_events():
    spike = samna.speck2f.event.Spike(timestamp=9000, layer=2, x=3, y=3, feature=2)
    assert (spike.layer, spike.feature, spike.x, spike.y, spike.timestamp) == (2, 2, 3, 3, 9000)
    assert isinstance(spike, samna.speck2f.event.Spike) and not isinstance(spike, samna.speck2e.event.Spike)
    dvs = samna.speck2e.event.DvsEvent(x=1, y=2, p=True, timestamp=5)
    assert dvs.p is True and dvs == samna.speck2e.event.DvsEvent(x=1, y=2, p=True, timestamp=5)
    write = samna.speck2f.event.WriteNeuronValue()
    write.address, write.layer, write.neuron_state = 4, 1, 0  # as sinabs' set_all_v_mem_to_zeros writes them
    assert write.to_dict() == {"layer": 1, "address": 4, "neuron_state": 0}


def test_events_wrong():
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        samna.speck2f.event.Spike(1, 2)
    with pytest.raises(TypeError, match="DvsEvent.p: expected a bool, got 1"):
        samna.speck2e.event.DvsEvent(p=1)
    with pytest.raises(AttributeError, match="Spike has no field 'polarity'"):
        samna.speck2f.event.Spike(polarity=1)


@pytest.mark.parametrize("order", ORDERS)
def test_simulate_spikes_to_the_first_core(order):
    chip = small_chip()
    rng = np.random.default_rng(1)
    rows = [(0, int(x), int(y), int(f), t) for t, (x, y, f) in enumerate(zip(*(rng.integers(0, n, 400) for n in (6, 6, 2))))]
    out = simulate(from_chip_config(chip), spike_events(samna.speck2f, rows), order)
    array = np.array([(x, y, t, f) for _, x, y, f, t in rows], INPUT_EVENT_DTYPE)
    expected = DynapcnnSim(chip, order)(array)
    assert len(expected) > 10 and all(type(s) is samna.speck2f.event.Spike for s in out)
    assert [(s.layer, s.feature, s.x, s.y, s.timestamp) for s in out] == \
        [tuple(int(e[n]) for n in ("layer", "feature", "x", "y", "t")) for e in expected]


def test_simulate_dvs_events_with_monitor():
    chip = dvs_chip()
    samna_config = from_chip_config(chip)
    samna_config.dvs_layer.monitor_enable = True
    event = samna.speck2e.event.DvsEvent
    out = simulate(samna_config, [event(x=4, y=6, p=True, timestamp=0), event(x=11, y=9, p=False, timestamp=1)])
    assert out == [event(x=4, y=6, p=True, timestamp=0), samna.speck2e.event.Spike(layer=2, feature=0, x=1, y=3),
                   samna.speck2e.event.Spike(layer=2, feature=1, x=1, y=3, timestamp=0),
                   event(x=11, y=9, p=False, timestamp=1),
                   samna.speck2e.event.Spike(layer=2, feature=0, x=2, y=0, timestamp=1),
                   samna.speck2e.event.Spike(layer=2, feature=1, x=2, y=0, timestamp=1)]


def test_simulate_wrong():
    direct, through_dvs = from_chip_config(small_chip()), from_chip_config(dvs_chip())
    with pytest.raises(ValueError, match=r"events\[1\].layer: value 4: this configuration takes its input at core\(s\) "
                                         r"\[0\], and spikegate's models take it nowhere else"):
        simulate(direct, spike_events(samna.speck2f, [(0, 1, 1, 0, 0), (4, 0, 0, 0, 1)]))
    with pytest.raises(ValueError, match=r"events\[0\]: a DvsEvent, but no dvs_layer destination is enabled; send "
                                         r"Spike events to core 0"):
        simulate(direct, [samna.speck2f.event.DvsEvent(x=1)])
    with pytest.raises(ValueError, match=r"events\[0\].layer: value 2: this configuration takes its input at the DVS "
                                         r"layer \(send DvsEvent\)"):
        simulate(through_dvs, spike_events(samna.speck2e, [(2, 0, 0, 0, 0)]))
    with pytest.raises(ValueError, match=r"events: field x value 6 at event 0 is outside the input map 0..5"):
        simulate(direct, spike_events(samna.speck2f, [(0, 6, 0, 0, 0)]))
    with pytest.raises(ValueError, match=r"events: field x value -1 at event 0 is negative"):
        simulate(direct, spike_events(samna.speck2f, [(0, -1, 0, 0, 0)]))


# ------------------------------------------------------------------------------------- board-only names
def test_device_discovery_finds_no_board():
    assert samna.device.get_all_devices() == [] and samna.device.get_unopened_devices() == []


@pytest.mark.parametrize("name, call, message", [
    ("samna.device.open_device", lambda: samna.device.open_device("Speck2fDevKit"), "needs a board"),
    ("samna.graph.EventFilterGraph", lambda: samna.graph.EventFilterGraph(), "needs a board"),
    ("samna.graph.sequential", lambda: samna.graph.sequential([1, 2]), "needs a board"),
    ("samna.ui.ActivityPlotConfiguration", lambda: samna.ui.ActivityPlotConfiguration(1, 2), "needs a board"),
    ("samna.BasicSourceNode_speck2f_event_input_event", lambda: samna.BasicSourceNode_speck2f_event_input_event(),
     "needs a board"),
    ("samna.specksim.nodes.SpecksimIAFFilterNode", lambda: samna.specksim.nodes.SpecksimIAFFilterNode(),
     "is not provided by spikegate: use spikegate.compat.specksim.from_sequential"),
    ("samnagui.run_visualizer", lambda: samnagui.run_visualizer("tcp://0.0.0.0:1", 0.5, 0.5), "is samna's GUI"),
])
def test_board_only_names_wrong(name, call, message):
    with pytest.raises(UnavailableError, match=f"^{re.escape(name)} {message}") as raised:
        call()
    assert "\n" not in str(raised.value)


def test_unknown_names_wrong():
    with pytest.raises(AttributeError, match="spikegate.compat.samna provides no samna.speck3 "):
        samna.speck3
    with pytest.raises(AttributeError, match="has no attribute 'JitEverything'"):
        samna.graph.JitEverything


#: Every samna name this package provides (the DYNAP-CNN/Speck half); docs/compat.md lists each of them.
PROVIDED = [
    *(f"{chip}.{name}" for chip in ("speck2e", "speck2f") for name in (
        "validate_configuration", "configuration.SpeckConfiguration", "configuration.CnnLayerConfig",
        "configuration.CnnLayerDestination", "configuration.CnnLayerDimensions", "configuration.DvsLayerConfig")),
    "dynapcnn.validate_configuration", "dynapcnn.configuration.DynapcnnConfiguration",
    "dynapcnn.configuration.CNNLayerConfig", "dynapcnn.configuration.CNNLayerDestination",
    "dynapcnn.configuration.CNNLayerDimensions", "dynapcnn.configuration.DVSLayerConfig",
    *(f"{chip}.event.{name}" for chip in ("speck2e", "speck2f", "dynapcnn")
      for name in ("Spike", "DvsEvent", "WriteNeuronValue", "ReadNeuronValue", "NeuronValue")),
    "device.get_all_devices", "device.get_unopened_devices", "device.open_device", "device.close_device",
    "device.DeviceInfo",
    *(f"graph.{name}" for name in ("EventFilterGraph", "sequential", "JitSource", "JitFilter", "JitMemberSelect",
                                   "JitDvsEventToViz", "JitSpikeCollection", "JitSpikeCount", "JitMajorityReadout")),
    *(f"ui.{name}" for name in ("Event", "Plot", "VisualizerConfiguration", "ActivityPlot", "ActivityPlotConfiguration",
                                "ReadoutPlot", "ReadoutPlotConfiguration", "SpikeCountPlot",
                                "SpikeCountPlotConfiguration", "PowerMeasurementPlot",
                                "PowerMeasurementPlotConfiguration")),
    "specksim.nodes.SpecksimConvolutionalFilterNode", "specksim.nodes.SpecksimIAFFilterNode",
    "specksim.nodes.SpecksimSumPoolingFilterNode", "specksim.events.Spike",
    *(f"{kind}_{chip}" for kind, chip in (
        ("BasicSourceNode", "speck2e_event_speck2e_input_event"), ("BasicSinkNode", "speck2e_event_output_event"),
        ("BasicSourceNode", "speck2f_event_input_event"), ("BasicSinkNode", "speck2f_event_output_event"),
        ("BasicSourceNode", "dynapcnn_event_input_event"), ("BasicSinkNode", "dynapcnn_event_output_event"),
        ("BasicSourceNode", "specksim_events_spike"), ("BasicSinkNode", "specksim_events_spike"),
        ("BasicSourceNode", "ui_event"))),
]


def test_every_provided_name_resolves_and_is_documented():
    docs = DOCS.read_text()
    for name in PROVIDED:
        target = samna
        for part in name.split("."):
            target = getattr(target, part)
        assert f"`{name.rsplit('.', 1)[-1]}`" in docs, f"docs/compat.md does not list samna.{name}"
