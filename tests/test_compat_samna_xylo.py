"""spikegate.compat.samna's Xylo namespaces: configuration objects written as rockpool writes them, conversions
to and from XyloConfig (round trips on random configs of every family member), validate_configuration's
verdicts and messages (spikegate's validation), JSON, and the board names that need a board."""

import re

import numpy as np
import pytest
from xylo_reference import random_config

from spikegate.compat.samna import UnavailableError, from_xylo_config, to_xylo_config
from spikegate.compat.samna import xyloAudio3, xyloCore, xyloCore2, xyloImu
from spikegate.sim.xylo import XyloConfig, get_profile

NAMESPACES = {"v1": xyloCore, "audio2": xyloCore2, "imu": xyloImu, "audio3": xyloAudio3}


def member_config(seed: int, profile: str) -> XyloConfig:
    """A random config of ``profile``, up to 300 hidden neurons and all its readout neurons."""
    rng = np.random.default_rng(seed)
    p = get_profile(profile)
    return random_config(rng, int(rng.integers(1, 17)), int(rng.integers(1, 300)),
                         int(rng.integers(1, p.max_outputs + 1)), p.version, max_fanout=8, profile=profile)


@pytest.mark.parametrize("profile", ["v1", "audio2", "imu", "audio3"])
@pytest.mark.parametrize("seed", range(6))
def test_round_trip(profile, seed):
    cfg = member_config(seed, profile)
    samna_config = from_xylo_config(cfg)
    assert type(samna_config).__module__ == f"samna.{NAMESPACES[profile].__name__.rsplit('.', 1)[1]}.configuration"
    assert NAMESPACES[profile].validate_configuration(samna_config) == (True, "")
    assert to_xylo_config(samna_config).to_json() == cfg.to_json()
    again = NAMESPACES[profile].configuration.XyloConfiguration()
    again.from_json(samna_config.to_json())  # rockpool's save_config / load_config
    assert again == samna_config


def rockpool_like_imu_config(n_hid=20, n_out=3, ien=5, oen=4):
    """An IMU configuration written field by field, as rockpool's config_from_specification writes it."""
    conf = xyloImu.configuration
    config = conf.XyloConfiguration()
    config.imu_if_input_enable = False
    config.debug.always_update_omp_stat = True
    config.bias_enable = True
    config.input.weight_bit_shift = np.int8(2)
    config.input.weights = np.full((2, ien), 3, np.int8)
    config.hidden.weights = np.eye(n_hid, k=1, dtype=np.int8) * 5
    config.readout.weights = np.ones((oen, n_out), np.int8)
    neurons = []
    for i in range(n_hid):
        neuron = conf.HiddenNeuron()
        neuron.i_syn_decay, neuron.v_mem_decay, neuron.threshold = np.int8(2), np.int8(3), np.int64(40)
        if i == 1:
            neuron.alias_target = 2
        neurons.append(neuron)
    config.hidden.neurons = neurons
    config.readout.neurons = [conf.OutputNeuron(i_syn_decay=1, v_mem_decay=1, threshold=10, v_mem_bias=-1)
                              for _ in range(n_out)]
    return config


def test_rockpool_style_writes_convert():
    cfg = to_xylo_config(rockpool_like_imu_config())
    assert cfg.profile.key == "imu" and (cfg.n_inputs, cfg.n_hidden, cfg.n_outputs) == (2, 20, 3)
    assert cfg.weights_in[:, :5, 0].tolist() == [[3] * 5] * 2 and not cfg.weights_in[:, 5:].any()
    assert not cfg.weights_out[:16].any() and cfg.weights_out[16:].tolist() == [[1] * 3] * 4  # the last OEN
    assert cfg.aliases[1] == (2,) and cfg.bias_out.tolist() == [-1] * 3 and cfg.weight_shift_in == 2


WRONG = [
    ("imu_17_readouts", lambda c: setattr(c, "readout", dict(weights=np.ones((4, 17), int), neurons=[{}] * 17)),
     r"Nout: 17 is outside the chip's range 1..16 \(Xylo IMU \(SYNS63300\)\)"),
    ("imu_input_beyond_128", lambda c: (setattr(c.hidden, "weights", np.zeros((200, 200), int)),
                                        setattr(c.hidden, "neurons", [{}] * 200),
                                        setattr(c.input, "weights", np.ones((2, 129), int))),
     "weights_in: channel 0 reaches hidden neuron 128, but Xylo IMU .* the first 128 hidden neurons only"),
    ("threshold_int16", lambda c: setattr(c.hidden.neurons[3], "threshold", 40000),
     r"threshold: value 40000 at index \(3,\) is outside the int16 range -32768..32767"),
    ("dash_4_bit", lambda c: setattr(c.hidden.neurons[0], "v_mem_decay", 16),
     r"dash_mem: value 16 at index \(0,\) is outside the 4-bit range 0..15"),
    ("bias_without_bias_enable", lambda c: setattr(c, "bias_enable", False),
     r"readout.neurons\[0\].v_mem_bias: value -1 is non-zero, but bias_enable is False"),
    ("hidden_weights_shape", lambda c: setattr(c.hidden, "weights", np.zeros((20, 19), int)),
     r"hidden.weights: shape \(20, 19\) does not fit; expected \(20, 20\)"),
    ("readout_more_rows_than_hidden", lambda c: setattr(c.readout, "weights", np.ones((21, 3), int)),
     r"readout.weights: shape \(21, 3\) does not fit; expected \(OEN, 3\) with OEN <= 20"),
    ("alias_self", lambda c: setattr(c.hidden.neurons[4], "alias_target", 4), r"aliases\[4\]: a neuron cannot alias"),
    ("weight_shift", lambda c: setattr(c.readout, "weight_bit_shift", 9),
     "weight_shift_out: value 9 is outside the 3-bit range 0..7"),
]


@pytest.mark.parametrize("change, message", [case[1:] for case in WRONG], ids=[case[0] for case in WRONG])
def test_validate_configuration_wrong(change, message):
    config = rockpool_like_imu_config()
    assert xyloImu.validate_configuration(config) == (True, "")
    change(config)
    valid, text = xyloImu.validate_configuration(config)
    assert not valid
    assert re.search(message, text), text


def test_synapse_2_needs_synapse2_enable_wrong():
    cfg = member_config(1, "audio3")
    config = from_xylo_config(cfg.replace(weights_in=np.stack([cfg.weights_in[..., 0], cfg.weights_in[..., 0]], -1)))
    assert config.synapse2_enable and xyloAudio3.validate_configuration(config) == (True, "")
    config.synapse2_enable = False
    assert xyloAudio3.validate_configuration(config) == (
        False, "input.syn2_weights: non-zero weights, but synapse2_enable is False (the chip would ignore them)")


def test_conversions_wrong():
    with pytest.raises(TypeError, match="validate_configuration: expected a samna.xyloImu.configuration.XyloConfig"):
        xyloImu.validate_configuration(xyloCore2.configuration.XyloConfiguration())
    with pytest.raises(TypeError, match="config: expected a samna Xylo XyloConfiguration"):
        to_xylo_config(object())
    with pytest.raises(ValueError, match=r"Nout: 16 is outside the chip's range 1..8 \(Xylo Audio 2"):
        from_xylo_config(to_xylo_config(rockpool_like_imu_config(n_out=16)), "xyloCore2")
    with pytest.raises(ValueError, match="namespace: 'xylo9' is not one of"):
        from_xylo_config(member_config(0, "v1"), "xylo9")
    with pytest.raises(AttributeError, match="HiddenNeuron has no field 'v_mem_bias2'"):
        xyloImu.configuration.HiddenNeuron().v_mem_bias2 = 1
    with pytest.raises(AttributeError, match="ReservoirNeuron has no field 'v_mem_bias'"):
        xyloCore.configuration.ReservoirNeuron(v_mem_bias=1)  # Xylo v1 has no bias


def test_board_names_need_a_board():
    """What rockpool binds from samna for its boards imports, and refuses with one line when used."""
    import spikegate.compat.samna as samna
    from spikegate.compat.samna import afe2, boards, events, unifirm, xyloImuBoards

    for cls in (xyloImuBoards.XyloImuTestBoard, xyloAudio3.XyloAudio3TestBoard, afe2.configuration.AfeConfiguration,
                xyloCore2.event.Spike, unifirm.modules.mc3632.Mc3632, boards.common.power.PowerMonitor,
                events.Acceleration, samna.BasicSinkNode_xylo_imu_event_output_event,
                xyloImu.configuration.InputInterfaceConfig):
        with pytest.raises(UnavailableError, match="needs a board"):
            cls()
    assert samna.device.get_all_devices() == []
    with pytest.raises(AttributeError, match="provides no samna.xyloAudio3.OperationMode"):
        xyloAudio3.OperationMode
