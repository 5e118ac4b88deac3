"""The Xylo family profiles (v1, Audio 2, IMU, Audio 3): their limits in XyloConfig validation, XyloSim on
IMU- and Audio-3-sized networks against xylosim.v2 (the simulator rockpool uses for both), and the HDL core
built with a profile's parameters, against XyloSim."""

import numpy as np
import pytest
from amaranth.back import rtlil
from xylo_reference import Reference, random_config, random_raster

from spikegate.hdl.xylo import XyloCore, XyloCoreParams, simulate
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import PROFILES, XyloConfig, XyloSim, get_profile


def test_family_table():
    """The limits as rockpool states them (family overview, mappers, IMU introduction, Audio 3 RAM map)."""
    table = {key: (p.part, p.version, p.max_inputs, p.max_hidden, p.max_outputs, p.synapses, p.max_fanout,
                   p.max_recurrent_synapses, p.input_neurons, p.readout_neurons) for key, p in PROFILES.items()}
    assert table == {"v1": ("SYNS61300", 1, 16, 1000, 8, 2, 64, 32000, 1000, 1000),
                     "audio2": ("SYNS61201", 2, 16, 1000, 8, 2, 64, 32000, 1000, 1000),
                     "imu": ("SYNS63300", 2, 16, 496, 16, 1, 512, 31744, 128, 128),
                     "audio3": ("SYNS65302", 2, 16, 992, 32, 2, 1024, 31744, 128, 128)}
    assert get_profile("SYNS63300") is get_profile("imu") is PROFILES["imu"]


def spec(n_in=2, n_hid=3, n_out=2, **fields):
    base = dict(weights_in=np.ones((n_in, n_hid), int), weights_out=np.ones((n_hid, n_out), int), threshold=5,
                threshold_out=5)
    return base | fields


def test_profile_defaults_and_round_trip(tmp_path):
    assert XyloConfig.from_spec(**spec()).profile.key == "v1"
    assert XyloConfig.from_spec(**spec(version=2)).profile.key == "audio2"
    imu = XyloConfig.from_spec(**spec(n_out=16, dash_syn=3, dash_syn_2=9), profile="SYNS63300")
    assert (imu.version, imu.profile.key) == (2, "imu")
    assert imu.dash_syn_2.tolist() == [3, 3, 3]  # no Isyn2 register on Xylo IMU
    imu.save(tmp_path / "imu.json")
    assert XyloConfig.load(tmp_path / "imu.json").to_json() == imu.to_json()
    assert imu.to_spec()["profile"] == "imu" and "profile" not in XyloConfig.from_spec(**spec()).to_spec()
    assert repr(imu) == "XyloConfig(Nin=2, Nhid=3, Nout=16, version=2, profile='imu', synapses=0 recurrent)"


def one_synapse_too_many(n_hid):
    w_rec = np.zeros((n_hid, n_hid, 2), int)
    w_rec[0, 0, 1] = 1
    return w_rec


def fanout(n_hid, per_neuron):
    w_rec = np.zeros((n_hid, n_hid), int)
    w_rec[0, :per_neuron] = 1
    return w_rec


def readout_from_first_neuron(n_hid):
    w_out = np.zeros((n_hid, 2), int)
    w_out[0, 1] = 1
    return w_out


WRONG = [
    ("imu_17_readouts", "imu", spec(n_out=17),
     r"Nout: 17 is outside the chip's range 1..16 \(Xylo IMU \(SYNS63300\)\)"),
    ("imu_497_hidden", "imu", spec(n_hid=497, weights_in=np.zeros((2, 497), int)),
     r"Nhid: 497 is outside the chip's range 1..496 \(Xylo IMU"),
    ("imu_synapse_2", "imu", spec(weights_rec=one_synapse_too_many(3)),
     r"weights_rec: synapse-2 weight at index \(0, 0, 1\) is non-zero, but Xylo IMU \(SYNS63300\) has one synaptic "
     "state per neuron"),
    ("imu_input_beyond_128", "imu", spec(n_hid=200),
     "weights_in: channel 0 reaches hidden neuron 128, but Xylo IMU .* first 128 hidden neurons only"),
    ("imu_readout_from_first", "imu", spec(n_hid=200, weights_in=np.zeros((2, 200), int),
                                           weights_out=readout_from_first_neuron(200)),
     r"weights_out: hidden neuron 0 drives readout neuron 1, but Xylo IMU .* last 128 hidden neurons only \(72..199\)"),
    ("imu_total_synapses", "imu", spec(n_hid=496, weights_in=np.zeros((2, 496), int),
                                       weights_out=np.zeros((496, 2), int),
                                       weights_rec=np.ones((496, 496), int) * (np.arange(496)[None] < 65)),
     r"weights_rec: 32240 recurrent synapses in total, over the limit of 31744 \(Xylo IMU"),
    ("audio3_33_readouts", "audio3", spec(n_out=33), r"Nout: 33 is outside the chip's range 1..32 \(Xylo Audio 3"),
    ("audio3_993_hidden", "audio3", spec(n_hid=993, weights_in=np.zeros((2, 993), int)), "Nhid: 993 .* 1..992"),
    ("audio3_fanout", "audio3", spec(n_hid=992, weights_in=np.zeros((2, 992), int), weights_out=np.zeros((992, 2), int),
                                     weights_rec=np.stack([fanout(992, 600)] * 2, -1)),
     r"weights_rec: neuron 0 has 1200 recurrent targets \(post, synapse\), over the fan-out limit of 1024 "
     r"\(Xylo Audio 3"),
    ("version_mismatch", "imu", spec(version=1),
     r"version: value 1 does not match profile 'imu' \(Xylo IMU \(SYNS63300\) has version 2 arithmetic\); leave "
     "version out"),
    ("unknown_profile", "xylo9", spec(),
     r"profile: 'xylo9' is not a Xylo family member; choose one of 'v1' \(SYNS61300\)"),
]


@pytest.mark.parametrize("profile, fields, message", [case[1:] for case in WRONG], ids=[case[0] for case in WRONG])
def test_profile_limits_wrong(profile, fields, message):
    with pytest.raises(ValueError, match=message):
        XyloConfig.from_spec(**fields, profile=profile)


@pytest.mark.parametrize("profile, n_hid, n_out", [("imu", 496, 16), ("audio3", 992, 32)])
def test_full_size_members_accepted(profile, n_hid, n_out):
    w_in = np.zeros((16, n_hid), int)
    w_in[:, :128] = 1
    w_out = np.zeros((n_hid, n_out), int)
    w_out[-128:] = 1
    config = XyloConfig.from_spec(weights_in=w_in, weights_out=w_out, weights_rec=fanout(n_hid, 500), threshold=5,
                                  threshold_out=5, profile=profile)
    assert (config.n_hidden, config.n_outputs) == (n_hid, n_out)


@pytest.mark.parametrize("seed", range(24))
def test_xylosim_v2_equals_xylosim_on_imu_and_audio3(seed):
    """The IMU and Audio 3 arithmetic is xylosim.v2's (what rockpool simulates both with), on their sizes."""
    rng = np.random.default_rng(500 + seed)
    profile = ("imu", "audio3")[seed % 2]
    p = get_profile(profile)
    config = random_config(rng, int(rng.integers(1, 17)), int(rng.integers(100, p.max_hidden + 1)),
                           int(rng.integers(9, p.max_outputs + 1)), 2, ("quiet", "medium", "saturated")[seed % 3],
                           max_fanout=16, profile=profile)
    raster = random_raster(rng, 8, config.n_inputs, rate=1.0)
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    ref_out, ref_rec = Reference(config).evolve(raster)
    assert_same(dict(ref_rec, out=ref_out), dict(rec, out=out), names=("xylosim", "spikegate"), context=repr(config))


# ------------------------------------------------------------------ HDL core with a profile's parameters
@pytest.mark.parametrize("profile, sizes", [("imu", (16, 496, 16, 512, 31744)), ("audio3", (16, 992, 32, 1024, 31744))])
def test_full_size_core_builds(profile, sizes):
    params = XyloCoreParams(profile=profile)
    assert (params.n_inputs, params.n_hidden, params.n_outputs, params.max_fanout, params.max_synapses) == sizes
    assert (params.version, params.profile) == (2, profile)
    assert "module" in rtlil.convert(XyloCore(params))


@pytest.mark.parametrize("profile, n_out", [("imu", 16), ("audio3", 32)])
def test_member_core_equals_xylosim(profile, n_out):
    """A small network with the member's readout neurons, on the core built for it: every record equal."""
    rng = np.random.default_rng(7 if profile == "imu" else 8)
    config = random_config(rng, 3, 20, n_out, 2, "saturated", max_fanout=6, profile=profile)
    raster = random_raster(rng, 4, 3, rate=1.0)
    out, state, rec, cycles = simulate(config, raster, params=XyloCoreParams.for_config(config))
    ref_out, ref_state, ref_rec = XyloSim(config).evolve(raster, record=True)
    assert_same(dict(ref_rec, out=ref_out), dict(rec, out=out), names=("XyloSim", "rtl"), context=profile)
    assert XyloCoreParams.for_config(config).profile == profile


def test_core_params_wrong():
    with pytest.raises(ValueError, match=r"n_outputs: 17 is outside the chip's range 1..16 \(Xylo IMU"):
        XyloCoreParams(n_outputs=17, profile="imu")
    with pytest.raises(ValueError, match=r"n_hidden: 993 is outside the chip's range 1..992 \(Xylo Audio 3"):
        XyloCoreParams(n_hidden=993, profile="audio3")
    with pytest.raises(ValueError, match=r"version: 1 does not match profile 'audio3'"):
        XyloCoreParams(version=1, profile="audio3")
    with pytest.raises(ValueError, match="profile: 'syns99999' is not a Xylo family member"):
        XyloCoreParams(profile="syns99999")
