"""XyloConfig: construction from rockpool spec dicts, every chip limit refused with its message, JSON."""

import numpy as np
import pytest

from spikegate.sim.xylo import XyloConfig


def spec(n_in=2, n_hid=3, n_out=2, **changes) -> dict:
    base = dict(weights_in=np.ones((n_in, n_hid), int), weights_out=np.ones((n_hid, n_out), int),
                weights_rec=np.zeros((n_hid, n_hid), int), threshold=100, threshold_out=50)
    base.update(changes)
    return base


def test_from_spec_defaults_and_broadcast():
    cfg = XyloConfig.from_spec(**spec(dash_syn=3))
    assert (cfg.n_inputs, cfg.n_hidden, cfg.n_outputs) == (2, 3, 2)
    assert cfg.weights_in.shape == (2, 3, 2) and cfg.weights_rec.shape == (3, 3, 2)
    assert not cfg.weights_in[:, :, 1].any() and not cfg.uses_syn2
    assert cfg.dash_syn.tolist() == [3, 3, 3] and cfg.dash_syn_2.tolist() == [3, 3, 3]
    assert cfg.threshold.tolist() == [100] * 3 and cfg.aliases == ((), (), ())
    assert cfg.bias.tolist() == [0, 0, 0] and not cfg.has_bias and cfg.version == 1
    assert cfg.alias_target.tolist() == [-1, -1, -1]


def test_chip_maximum_sizes_and_limits_accepted():
    w_rec = np.zeros((1000, 1000, 2), int)
    for pre in range(1000):  # 32 targets each: 32000 in total, the limit
        w_rec[pre, (pre + np.arange(16)) % 1000, :] = 1
    cfg = XyloConfig.from_spec(**spec(16, 1000, 8, weights_rec=w_rec, weights_in=np.full((16, 1000), -128),
                                      weights_out=np.full((1000, 8), 127), dash_mem=15, dash_syn=0, threshold=32767,
                                      threshold_out=-32768, weight_shift_in=7, aliases=[[1]] + [[]] * 999))
    assert cfg.n_inputs == 16 and np.count_nonzero(cfg.weights_rec) == 32000
    fan = cfg.fanout()
    assert len(fan) == 1000 and fan[0].shape == (32, 3) and fan[0][:3].tolist() == [[0, 0, 1], [0, 1, 1], [1, 0, 1]]


def test_syn2_weights_and_v2_bias():
    w_in = np.zeros((2, 3, 2), int)
    w_in[1, 2, 1] = -5
    cfg = XyloConfig.from_spec(**spec(weights_in=w_in, bias=[1, 0, -2], bias_out=[0, 3], version=2))
    assert cfg.uses_syn2 and cfg.has_bias and cfg.bias.tolist() == [1, 0, -2]


def test_float_arrays_with_integer_values_accepted():
    cfg = XyloConfig.from_spec(**spec(weights_in=np.ones((2, 3)) * 3.0, threshold=np.full(3, 7.0)))
    assert cfg.weights_in.dtype == np.int16 and cfg.threshold.tolist() == [7, 7, 7]


def test_arrays_are_read_only():
    cfg = XyloConfig.from_spec(**spec())
    with pytest.raises(ValueError, match="read-only"):
        cfg.threshold[0] = 5


def test_json_round_trip(tmp_path):
    w_rec = np.zeros((3, 3, 2), int)
    w_rec[0, 2, 1] = -7
    for version, extra in ((1, {}), (2, {"bias": [1, 2, 3], "bias_out": [-4, 0]})):
        cfg = XyloConfig.from_spec(**spec(weights_rec=w_rec, dash_mem=[1, 2, 3], aliases=[[2], [], []],
                                          weight_shift_rec=5, version=version, dt=2e-3, **extra))
        path = tmp_path / f"v{version}.json"
        cfg.save(path)
        again = XyloConfig.load(path)
        assert again == cfg and again.digest() == cfg.digest() and hash(again) == hash(cfg)
        assert again.weights_rec[0, 2, 1] == -7 and again.aliases == ((2,), (), ()) and again.dt == 2e-3
        assert again.version == version and again.bias.tolist() == cfg.bias.tolist()
    assert XyloConfig.from_spec(**spec()) != XyloConfig.from_spec(**spec(threshold=101))


def test_to_spec_round_trip():
    cfg = XyloConfig.from_spec(**spec(version=2, bias=[0, 1, 0]))
    assert XyloConfig.from_spec(**cfg.to_spec()) == cfg
    assert "bias" not in XyloConfig.from_spec(**spec()).to_spec()


def test_rockpool_extra_fields_ignored():
    assert XyloConfig.from_spec(**spec(output_mode="Spike", name="net")).n_hidden == 3


def test_replace_validates():
    cfg = XyloConfig.from_spec(**spec())
    assert cfg.replace(weight_shift_out=3).weight_shift_out == 3
    with pytest.raises(ValueError, match="weight_shift_out: value 8 is outside the 3-bit range 0..7"):
        cfg.replace(weight_shift_out=8)


# ------------------------------------------------------------------ every limit, refused
def fanout_over(per_neuron: int, neurons: int, n_hid: int) -> np.ndarray:
    w_rec = np.zeros((n_hid, n_hid, 2), int)
    for pre in range(neurons):
        flat = (pre * 7 + np.arange(per_neuron)) % (2 * n_hid)
        w_rec[pre].reshape(-1)[flat] = 1
    return w_rec


WRONG = [
    ("Nin", spec(n_in=17), ValueError, "Nin: 17 is outside the chip's range 1..16"),
    ("Nin_zero", spec(n_in=0), ValueError, "Nin: 0 is outside the chip's range 1..16"),
    ("Nhid", spec(n_hid=1001), ValueError, "Nhid: 1001 is outside the chip's range 1..1000"),
    ("Nout", spec(n_out=9), ValueError, "Nout: 9 is outside the chip's range 1..8"),
    ("weights_in_int8", spec(weights_in=[[1, 128, 0], [0, 0, 0]]), ValueError,
     r"weights_in: value 128 at index \(0, 1, 0\) is outside the int8 range -128..127"),
    ("weights_rec_int8", spec(weights_rec=-129 * np.eye(3, dtype=int)), ValueError,
     r"weights_rec: value -129 at index \(0, 0, 0\) is outside the int8 range -128..127"),
    ("weights_out_int8", spec(weights_out=np.full((3, 2), 200)), ValueError,
     r"weights_out: value 200 at index \(0, 0\) is outside the int8 range -128..127"),
    ("threshold_int16", spec(threshold=[1, 32768, 1]), ValueError,
     r"threshold: value 32768 at index \(1,\) is outside the int16 range -32768..32767"),
    ("threshold_out_int16", spec(threshold_out=-32769), ValueError,
     r"threshold_out: value -32769 at index \(0,\) is outside the int16 range -32768..32767"),
    ("bias_int16", spec(bias=[0, 0, 40000], version=2), ValueError,
     r"bias: value 40000 at index \(2,\) is outside the int16 range"),
    ("dash_mem_16", spec(dash_mem=16), ValueError, r"dash_mem: value 16 at index \(0,\) is outside the 4-bit range 0..15"),
    ("dash_syn_negative", spec(dash_syn=[0, -1, 0]), ValueError,
     r"dash_syn: value -1 at index \(1,\) is outside the 4-bit range 0..15"),
    ("dash_syn_2", spec(dash_syn_2=20), ValueError, "dash_syn_2: value 20 at index .* 4-bit range 0..15"),
    ("dash_mem_out", spec(dash_mem_out=[0, 16]), ValueError, r"dash_mem_out: value 16 at index \(1,\) .* 0..15"),
    ("dash_syn_out", spec(dash_syn_out=-2), ValueError, "dash_syn_out: value -2 .* 4-bit range 0..15"),
    ("weight_shift_in", spec(weight_shift_in=8), ValueError, "weight_shift_in: value 8 is outside the 3-bit range 0..7"),
    ("weight_shift_rec", spec(weight_shift_rec=-1), ValueError, "weight_shift_rec: value -1 is outside the 3-bit range"),
    ("weight_shift_float", spec(weight_shift_out=1.5), TypeError, "weight_shift_out: expected an integer, got 1.5"),
    ("weight_shift_bool", spec(weight_shift_out=True), TypeError, "weight_shift_out: expected an integer, got True"),
    ("fanout_per_neuron", spec(n_hid=40, weights_rec=fanout_over(65, 2, 40)), ValueError,
     r"weights_rec: neuron 0 has 65 recurrent targets \(post, synapse\), over the fan-out limit of 64"),
    ("fanout_total", spec(n_hid=1000, weights_rec=fanout_over(33, 1000, 1000)), ValueError,
     "weights_rec: 33000 recurrent synapses in total, over the limit of 32000"),
    ("alias_two_targets", spec(aliases=[[1, 2], [], []]), ValueError,
     r"aliases\[0\]: \[1, 2\] has 2 targets; the limit is 1"),
    ("alias_self", spec(aliases=[[], [1], []]), ValueError, r"aliases\[1\]: a neuron cannot alias itself"),
    ("alias_out_of_range", spec(aliases=[[], [], [3]]), ValueError,
     r"aliases\[2\]: target 3 is outside the hidden neurons 0..2"),
    ("alias_negative", spec(aliases=[[-1], [], []]), ValueError, r"aliases\[0\]: target -1 is outside"),
    ("aliases_length", spec(aliases=[[], []]), ValueError, r"aliases: expected one list per hidden neuron \(3\), got 2"),
    ("weights_in_shape", spec(weights_in=np.ones((2, 3, 3), int)), ValueError,
     r"weights_in: expected shape \(Nin, Nhid\) or \(Nin, Nhid, 2\), got \(2, 3, 3\)"),
    ("weights_out_shape", spec(weights_out=np.ones((4, 2), int)), ValueError,
     r"weights_out: expected shape \(Nhid=3, Nout\), got \(4, 2\)"),
    ("weights_rec_shape", spec(weights_rec=np.ones((3, 4), int)), ValueError,
     r"weights_rec: expected shape \(Nhid, Nhid\) or \(Nhid, Nhid, 2\) with Nhid=3, got \(3, 4\)"),
    ("threshold_shape", spec(threshold=[1, 2]), ValueError, r"threshold: expected shape \(3,\), got \(2,\)"),
    ("dash_out_shape", spec(dash_syn_out=[1, 2, 3]), ValueError, r"dash_syn_out: expected shape \(2,\), got \(3,\)"),
    ("weights_fraction", spec(weights_in=[[0.5, 0, 0], [0, 0, 0]]), TypeError,
     r"weights_in: expected integer values, got 0.5 at index \(0, 0\)"),
    ("threshold_nan", spec(threshold=[1, np.nan, 1]), TypeError, r"threshold: expected integer values, got nan at index \(1,\)"),
    ("weights_bool", spec(weights_out=np.ones((3, 2), bool)), TypeError,
     "weights_out: expected an integer array, got dtype bool"),
    ("threshold_string", spec(threshold="high"), TypeError, "threshold: expected an integer array, got dtype <U4"),
    ("bias_on_v1", spec(bias=[0, 5, 0]), ValueError,
     r"bias: value 5 at index 1 is non-zero, but Xylo v1 has no bias \(use version=2\)"),
    ("bias_out_on_v1", spec(bias_out=[0, -1]), ValueError, "bias_out: value -1 at index 1 is non-zero, but Xylo v1"),
    ("version", spec(version=3), ValueError, r"version: value 3 is not one of \(1, 2\)"),
    ("version_bool", spec(version=True), ValueError, r"version: value True is not one of \(1, 2\)"),
    ("thresholds_missing", spec(threshold=None), ValueError, "threshold and threshold_out are required"),
]


@pytest.mark.parametrize("fields, error, message", [case[1:] for case in WRONG], ids=[case[0] for case in WRONG])
def test_from_spec_wrong(fields, error, message):
    with pytest.raises(error, match=message):
        XyloConfig.from_spec(**fields)


def test_from_spec_unknown_fields_wrong():
    with pytest.raises(TypeError, match=r"unknown Xylo specification fields: \['tau_mem', 'weigths_in'\]"):
        XyloConfig.from_spec(**spec(weigths_in=1, tau_mem=0.02))


def test_from_json_wrong():
    with pytest.raises(ValueError, match="not a spikegate Xylo config: the 'format' field is missing"):
        XyloConfig.from_json('{"weights_in": [[1]]}')
