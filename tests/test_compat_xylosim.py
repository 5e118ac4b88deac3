"""spikegate.compat.xylosim (xylosim's v1/v2 API on XyloSim) against the real xylosim 0.1.3: the same
constructor arguments give the same outputs and every ``rec_*`` attribute (hibernation flag included), call
after call; then the record layout, the family profiles a v2 layer picks, and the refusals."""

import numpy as np
import pytest
import xylosim.v1
import xylosim.v2
from xylo_reference import Reference, random_config

import spikegate.compat.xylosim.v1 as compat_v1
import spikegate.compat.xylosim.v2 as compat_v2
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloSim

REAL = {1: xylosim.v1, 2: xylosim.v2}
COMPAT = {1: compat_v1, 2: compat_v2}
RECORDS = ("rec_i_syn", "rec_i_syn2", "rec_v_mem", "rec_recurrent_spikes", "rec_v_mem_out", "rec_i_syn_out",
           "rec_i_syn2_out", "rec_out_spikes")


def attributes(layer, version):
    """Every record attribute of a layer (and v2's hibernation flags) as numpy arrays for assert_same."""
    names = RECORDS + (("rec_hibernation_mode", "in_hibernation_mode") if version == 2 else ())
    return {name: np.array(getattr(layer, name), dtype=np.int64).reshape(-1)[None] for name in names}


def case(seed):
    """A small random network and three rasters: some sparse (long quiet stretches, so that the
    hibernation flag turns on), some busy; decays of 0 and thresholds of 0 in some networks."""
    rng = np.random.default_rng(seed)
    version = 1 + seed % 2
    cfg = random_config(rng, int(rng.integers(1, 6)), int(rng.integers(1, 12)), int(rng.integers(1, 4)), version,
                        regime=("quiet", "medium", "saturated")[seed % 3])
    if seed % 5 == 0:
        zeros = {name: 0 for name in ("dash_mem", "dash_syn", "dash_syn_2", "dash_mem_out", "dash_syn_out")}
        cfg = cfg.replace(**{k: np.full(getattr(cfg, k).shape, v) for k, v in zeros.items()})
    if seed % 7 == 3:
        cfg = cfg.replace(threshold=np.zeros(cfg.n_hidden, int))
    rasters = [rng.poisson(rate, (int(rng.integers(1, 25)), cfg.n_inputs)) for rate in (0.05, 1.0, 0.02)]
    has_bias = cfg.has_bias or (version == 2 and seed % 4 == 1)  # the flag set with all biases zero
    return cfg, rasters, has_bias


@pytest.mark.parametrize("seed", range(160))
def test_equals_xylosim_on_every_record(seed):
    cfg, rasters, has_bias = case(seed)
    real = Reference(cfg, REAL[cfg.version], has_bias)
    ours = Reference(cfg, COMPAT[cfg.version], has_bias)
    sim = XyloSim(cfg)
    assert_same(attributes(real.layer, cfg.version), attributes(ours.layer, cfg.version),
                names=("xylosim", "compat"), context="before evolve")
    for call, raster in enumerate(rasters + [rasters[0]]):
        if call == 3:
            real.layer.reset_all(), ours.layer.reset_all(), sim.reset_state()
        expected = real.layer.evolve(raster.tolist())
        assert ours.layer.evolve(raster) == expected  # numpy input, as rockpool's v1 module passes it
        assert_same(attributes(real.layer, cfg.version), attributes(ours.layer, cfg.version),
                    names=("xylosim", "compat"), context=f"seed {seed}, call {call}, {cfg!r}")
        out, _, rec = sim.evolve(raster, record=True)
        assert_same(dict(rec, out=out), dict(ours.records(), out=np.array(expected)), names=("XyloSim", "compat"))
    ours.layer.reset_all(), real.layer.reset_all()
    assert_same(attributes(real.layer, cfg.version), attributes(ours.layer, cfg.version),
                names=("xylosim", "compat"), context="after reset_all")


@pytest.mark.parametrize("version", [1, 2])
def test_record_layout_and_views(version):
    """Axis order as xylosim's: membranes and currents (N, T), spike records (T, N); views of the config."""
    module = COMPAT[version]
    syn = module.XyloSynapse
    bias = dict(has_bias=True, bias=[0, 0, 3], bias_out=[0, 0]) if version == 2 else {}
    layer = module.XyloLayer(
        synapses_in=[[syn(0, 0, 100), syn(1, 1, 50)]], synapses_rec=[[syn(1, 0, 10)], [], []],
        synapses_out=[[syn(0, 0, 30)], [syn(1, 0, 20)], []], aliases=[[], [2], []], threshold=[100, 200, 300],
        threshold_out=[50, 60], **bias, weight_shift_inp=2, weight_shift_rec=1, weight_shift_out=0,
        dash_mem=[2, 2, 2], dash_mem_out=[1, 1], dash_syns=[[1, 2]] * 3, dash_syns_out=[[1], [1]], name="x")
    assert layer.rec_v_mem == [[], [], []] and layer.rec_out_spikes == [] and layer.rec_i_syn2_out == [[], []]
    out = layer.evolve([[3], [0], [1]])
    assert np.shape(out) == (3, 2) and np.shape(layer.rec_out_spikes) == (3, 2)
    assert np.shape(layer.rec_v_mem) == (3, 3) and np.shape(layer.rec_i_syn_out) == (2, 3)
    assert np.shape(layer.rec_recurrent_spikes) == (3, 3) and layer.rec_i_syn2_out == [[], []]
    assert [(s.target_neuron_id, s.target_synapse_id, s.weight) for s in layer.synapses_in[0]] == [(0, 0, 100),
                                                                                                  (1, 1, 50)]
    assert layer.aliases == [[], [2], []] and layer.weight_shift_inp == 2 and layer.name == "x"
    neuron = layer.iaf_neurons[2]
    assert (neuron.dash_mem, neuron.dash_syns, neuron.v_th) == (2, [1, 2], 300)
    if version == 2:
        assert (neuron.has_bias, neuron.bias) == (True, 3) and len(layer.rec_hibernation_mode) == 3
    assert layer.evolve([]) == [] and layer.rec_v_mem == [[], [], []]
    assert layer.config.profile.key == ("v1", "audio2")[version - 1]


def v2_layer(n_hid, n_out, w_in=1, w_out=1, synapse=0, **fields):
    """A v2 layer with ``n_hid`` hidden and ``n_out`` readout neurons: input 0 reaches neuron 0 (on
    ``synapse``), the last hidden neuron drives every readout neuron."""
    syn = compat_v2.XyloSynapse
    args = dict(synapses_in=[[syn(0, synapse, w_in)]], synapses_rec=[[] for _ in range(n_hid)],
                synapses_out=[[] for _ in range(n_hid - 1)] + [[syn(o, 0, w_out) for o in range(n_out)]],
                aliases=[[] for _ in range(n_hid)], threshold=[10] * n_hid, threshold_out=[10] * n_out,
                has_bias=False, bias=[0] * n_hid, bias_out=[0] * n_out, weight_shift_inp=0, weight_shift_rec=0,
                weight_shift_out=0, dash_mem=[1] * n_hid, dash_mem_out=[1] * n_out, dash_syns=[[1, 1]] * n_hid,
                dash_syns_out=[[1]] * n_out, name="family")
    args.update(fields)
    return compat_v2.XyloLayer(**args)


@pytest.mark.parametrize("n_hid, n_out, synapse, profile", [(1000, 8, 1, "audio2"), (496, 16, 0, "imu"),
                                                            (300, 16, 1, "audio3"), (992, 32, 0, "audio3")])
def test_v2_layer_picks_the_family_member_that_holds_it(n_hid, n_out, synapse, profile):
    """rockpool simulates Audio 2, IMU and Audio 3 with xylosim.v2: a v2 layer of any of their sizes runs."""
    layer = v2_layer(n_hid, n_out, w_in=100, synapse=synapse)
    assert layer.config.profile.key == profile
    layer.evolve([[15]] * 3)
    assert np.shape(layer.rec_v_mem) == (n_hid, 3) and np.shape(layer.rec_out_spikes) == (3, n_out)


def test_v2_layer_that_fits_no_member_wrong():
    with pytest.raises(ValueError, match=r"fits no Xylo chip with this arithmetic: audio2: Nout: 33 is outside the "
                                         r"chip's range 1..8 .*; imu: Nout: 33 .*1..16 .*; audio3: Nout: 33 .*1..32"):
        v2_layer(40, 33)


def test_layer_wrong():
    syn = compat_v1.XyloSynapse
    with pytest.raises(TypeError, match=r"XyloSynapse.weight: 200 is outside the int8 range -128..127"):
        syn(0, 0, 200)
    with pytest.raises(TypeError, match=r"XyloSynapse.target_neuron_id: -1 is outside"):
        syn(-1, 0, 1)
    with pytest.raises(TypeError, match=r"XyloSynapse.weight: expected an integer, got 1.5"):
        syn(0, 0, 1.5)
    with pytest.raises(ValueError, match=r"synapses_in\[0\]\[0\]: target neuron 5 is outside the hidden neurons 0..2"):
        v1_layer(synapses_in=[[syn(5, 0, 1)]])
    with pytest.raises(ValueError, match=r"synapses_out\[2\]\[0\]: target synapse 1 is outside 0..0 \(readout"):
        v1_layer(synapses_out=[[], [], [syn(0, 1, 1)]])
    with pytest.raises(ValueError, match=r"synapses_in\[0\]\[1\]: a second synapse from source 0 to neuron 1"):
        v1_layer(synapses_in=[[syn(1, 0, 1), syn(1, 0, 2)]])
    with pytest.raises(TypeError, match=r"synapses_rec\[0\]\[0\]: expected a .*v1.XyloSynapse"):
        v1_layer(synapses_rec=[[compat_v2.XyloSynapse(1, 0, 1)], [], []])
    with pytest.raises(ValueError, match=r"dash_syns\[1\]: expected 2 decay shifts, got \[3\]"):
        v1_layer(dash_syns=[[1, 1], [3], [1, 1]])
    with pytest.raises(ValueError, match=r"threshold_out.*|dash_mem_out: expected 1 entries \(one per neuron\), got 2"):
        v1_layer(dash_mem_out=[1, 1])
    with pytest.raises(ValueError, match=r"dash_mem: value 16 at index \(1,\) is outside the 4-bit range 0..15"):
        v1_layer(dash_mem=[1, 16, 1])
    with pytest.raises(ValueError, match=r"aliases\[0\]: \[1, 2\] has 2 targets; the limit is 1"):
        v1_layer(aliases=[[1, 2], [], []])
    with pytest.raises(ValueError, match=r"Nhid: 1001 is outside the chip's range 1..1000 \(Xylo v1 \(SYNS61300\)\)"):
        v1_layer(n_hid=1001)


def v1_layer(n_hid=3, **fields):
    syn = compat_v1.XyloSynapse
    args = dict(synapses_in=[[syn(0, 0, 50)]], synapses_rec=[[] for _ in range(n_hid)],
                synapses_out=[[syn(0, 0, 5)]] + [[] for _ in range(n_hid - 1)], aliases=[[] for _ in range(n_hid)],
                threshold=[10] * n_hid, threshold_out=[10], weight_shift_inp=0, weight_shift_rec=0,
                weight_shift_out=0, dash_mem=[1] * n_hid, dash_mem_out=[1], dash_syns=[[1, 1]] * n_hid,
                dash_syns_out=[[1]], name="small")
    args.update(fields)
    return compat_v1.XyloLayer(**args)


def test_evolve_wrong():
    """Refused as xylosim refuses them (a long row is an IndexError there too), and the state stays as it was."""
    layer = v1_layer()
    layer.evolve([[3]])
    before = layer.rec_v_mem
    with pytest.raises(IndexError, match=r"evolve: row 1 has 2 channels, the layer has 1 inputs"):
        layer.evolve([[1], [1, 1]])
    with pytest.raises(TypeError, match=r"evolve: count 256 at step 0, channel 0 is outside the input count range "
                                        r"0..255"):
        layer.evolve([[256]])
    with pytest.raises(TypeError, match=r"evolve: count -1 at step 1, channel 0"):
        layer.evolve(np.array([[0], [-1]]))
    with pytest.raises(TypeError, match=r"evolve: row 0 is not a list of integer event counts: \[\[1.5\]\]"):
        layer.evolve([[1.5]])
    with pytest.raises(TypeError, match=r"evolve: expected T rows of input event counts, got 3"):
        layer.evolve(3)
    assert layer.rec_v_mem == before
    assert len(layer.evolve([[True]])) == 1 and len(layer.evolve([[]])) == 1  # bools count; a short row pads


def test_configuration_is_read_only_wrong():
    layer = v1_layer()
    with pytest.raises(AttributeError, match=r"XyloLayer.weight_shift_inp is read-only in spikegate.compat.xylosim"):
        layer.weight_shift_inp = 3
    layer.name = "renamed"  # plain attributes stay writable, as in xylosim
    layer.rec_v_mem = []
    assert layer.name == "renamed"
