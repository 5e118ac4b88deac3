"""XyloSim: the worked examples of docs/xylo-core.md (hand-computed values, each also checked
against xylosim), equivalence with xylosim on seeded random configs, batches, state, input checks."""

import numpy as np
import pytest

from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig, XyloSim
from xylo_reference import Reference, random_config, random_raster

NAMES = ("xylosim", "spikegate")


def config(n_in=1, n_hid=1, n_out=1, **fields) -> XyloConfig:
    """A small config: zero weights, every dash 15, thresholds 32767, unless given."""
    spec = dict(weights_in=np.zeros((n_in, n_hid), int), weights_out=np.zeros((n_hid, n_out), int), dash_mem=15,
                dash_syn=15, dash_syn_2=15, dash_mem_out=15, dash_syn_out=15, threshold=32767, threshold_out=32767)
    spec.update(fields)
    return XyloConfig.from_spec(**spec)


def run(cfg: XyloConfig, raster) -> dict:
    """Records and ``out`` of spikegate, after checking that xylosim gives the same."""
    raster = np.asarray(raster)
    out, _, rec = XyloSim(cfg).evolve(raster, record=True)
    rec = dict(rec, out=out)
    ref_out, ref_rec = Reference(cfg).evolve(raster)
    assert_same(dict(ref_rec, out=ref_out), rec, names=NAMES)
    return rec


def trace(rec, field, neuron=0):
    return rec[field][:, neuron].tolist()


# ---------------------------------------------------------------- §2 building blocks
@pytest.mark.parametrize("weight, dash, expected", [(7, 4, 6), (-25, 1, -12), (-3, 1, -1), (-1, 1, 0)])
def test_leak_examples(weight, dash, expected):
    rec = run(config(weights_in=[[weight]], dash_syn=dash), [[1]])
    assert trace(rec, "Isyn") == [expected]


def test_leak_positive_dash_15_loses_one():
    rec = run(config(weights_in=[[100]]), [[15]])
    assert trace(rec, "Isyn") == [1499]


def test_dash_syn_0_never_reaches_membrane():
    rec = run(config(weights_in=[[100]], dash_syn=0), [[1]] * 3)
    assert trace(rec, "Isyn") == [0, 0, 0] and trace(rec, "Vmem") == [0, 0, 0]


def test_dash_mem_0_membrane_is_this_steps_input():
    rec = run(config(weights_in=[[100]], dash_mem=0), [[1]] * 3)
    assert trace(rec, "Isyn") == [99, 198, 297] and trace(rec, "Vmem") == [99, 198, 297]


# ------------------------------------------------------------------- §3 one time step
@pytest.mark.parametrize("count", [15, 16, 255])
def test_input_counts_above_15_act_as_15(count):
    rec = run(config(weights_in=[[100]]), [[count]])
    assert trace(rec, "Isyn") == [1499]


@pytest.mark.parametrize("w0, w1, expected", [(127, -100, 19966), (-100, 127, 32766)])
def test_input_channels_saturate_in_ascending_order(w0, w1, expected):
    counts = [15, 1] if w0 == 127 else [1, 15]
    rec = run(config(n_in=2, weights_in=[[w0], [w1]], weight_shift_in=7), [counts])
    assert trace(rec, "Isyn") == [expected]


def test_inputs_come_before_recurrent_spikes():
    # neuron 0 fires 31 at t 0; at t 1 neuron 1 gets input -100<<7, then 31 x 127<<7 (recurrent)
    cfg = config(n_in=2, n_hid=2, weights_in=[[127, 0], [0, -100]], weights_rec=[[0, 127], [0, 0]],
                 threshold=[1, 32767], weight_shift_in=7, weight_shift_rec=7)
    rec = run(cfg, [[15, 0], [0, 1]])
    assert trace(rec, "Spikes") == [31, 31]
    assert trace(rec, "Isyn", 1) == [0, 32766]


@pytest.mark.parametrize("fires, weights, expected", [((31, 1), (-100, 127), -30735), ((1, 31), (127, -100), -32767)])
def test_recurrent_sources_saturate_in_ascending_order(fires, weights, expected):
    # a neuron fires 31 (w_in 127 x 15, threshold 1) or 1 (w_in 10, threshold 9); both project onto neuron 2
    w_in = np.zeros((2, 3), int)
    w_in[0, fires.index(31)], w_in[1, fires.index(1)] = 127, 10
    threshold = [1 if f == 31 else 9 for f in fires] + [32767]
    w_rec = np.zeros((3, 3), int)
    w_rec[:2, 2] = weights
    rec = run(config(n_in=2, n_hid=3, weights_in=w_in, weights_rec=w_rec, threshold=threshold, weight_shift_rec=4),
              [[15, 1], [0, 0]])
    assert rec["Spikes"][0, :2].tolist() == list(fires)
    assert trace(rec, "Isyn", 2) == [0, expected]


def readout_counts_config(**fields):
    """One hidden neuron whose counts are 3, 6, 8, 12, 14 (dash_mem 0: V = Isyn, threshold 1) for
    inputs 4, 4, 3, 5, 3, onto one readout neuron with weight 10."""
    return config(weights_in=[[1]], dash_mem=0, threshold=1, weights_out=[[10]], **fields)


def test_readout_sees_previous_step_spikes():
    rec = run(readout_counts_config(dash_syn_out=1, dash_mem_out=1, threshold_out=20), [[4], [4], [3], [5], [3]])
    assert trace(rec, "Spikes") == [3, 6, 8, 12, 14]
    assert trace(rec, "Isyn_out") == [0, 15, 38, 59, 90]
    assert trace(rec, "Vmem_out") == [0, 15, 26, 52, 96]
    assert trace(rec, "out") == [0, 0, 1, 1, 1]


def test_readout_fires_at_most_once_per_step():
    cfg = config(weights_in=[[127]], threshold=1, weights_out=[[127]], weight_shift_out=4, dash_mem_out=0,
                 threshold_out=1)
    rec = run(cfg, [[15], [0]])
    assert trace(rec, "Spikes")[0] == 31
    assert trace(rec, "Vmem_out") == [0, 32765] and trace(rec, "out") == [0, 1]


def test_event_reaches_isyn_and_vmem_decayed_once():
    rec = run(config(weights_in=[[100]], dash_syn=1, dash_mem=1), [[1]] + [[0]] * 7)
    assert trace(rec, "Isyn") == [50, 25, 13, 7, 4, 2, 1, 0]
    assert trace(rec, "Vmem") == [50, 50, 38, 26, 17, 11, 7, 4]


def test_synapse_2():
    cfg = config(weights_in=np.array([[[100, 40]]]), dash_syn=2, dash_syn_2=4, dash_mem=1)
    rec = run(cfg, [[1], [0], [0], [0]])
    assert trace(rec, "Isyn") == [75, 57, 43, 33]
    assert trace(rec, "Isyn2") == [38, 36, 34, 32]
    assert trace(rec, "Vmem") == [113, 150, 152, 141]


def membrane_saturation_config(version, **fields):
    """t 0: V -16383 (input -128<<7, dash 15); t 1: I1 32766 (15 x 127<<7 clipped, decayed); dash_mem 8."""
    return config(n_in=2, weights_in=[[-128], [127]], weight_shift_in=7, dash_mem=8, version=version, **fields)


@pytest.mark.parametrize("version, expected", [(1, 16447), (2, 16384)])
def test_membrane_saturation_v1_against_v2(version, expected):
    rec = run(membrane_saturation_config(version), [[1, 0], [0, 15]])
    assert trace(rec, "Isyn") == [-16383, 32766]
    assert trace(rec, "Vmem") == [-16383, expected]


def test_v2_bias_is_added_after_the_clip():
    rec = run(membrane_saturation_config(2, bias=-100), [[1, 0], [0, 15]])
    assert trace(rec, "Vmem") == [-16483, 16184]


@pytest.mark.parametrize("version, expected", [(1, [-32768, -16384, -8192]), (2, [-32768, -32768, -32768])])
def test_v2_wraps_the_leak_of_minus_32768(version, expected):
    cfg = config(weights_in=np.array([[[-128, -128]]]), weight_shift_in=7, dash_syn=1, dash_syn_2=1, dash_mem=0,
                 version=version)
    rec = run(cfg, [[2], [0], [0]])
    assert trace(rec, "Isyn") == trace(rec, "Isyn2") == [-16384, -8192, -4096]
    assert trace(rec, "Vmem") == expected


def test_v2_bias_and_bias_out():
    cfg = config(dash_mem=1, dash_mem_out=1, bias=7, bias_out=5, version=2)
    rec = run(cfg, [[0]] * 5)
    assert trace(rec, "Vmem") == [7, 11, 13, 14, 14]
    assert trace(rec, "Vmem_out") == [5, 8, 9, 10, 10]


# ------------------------------------------------------------------------ hidden spikes
@pytest.mark.parametrize("threshold, spikes, vmem", [(99, 1, 0), (100, 0, 99), (33, 3, 0), (49, 2, 1)])
def test_threshold_equality_and_multi_spike(threshold, spikes, vmem):
    rec = run(config(weights_in=[[100]], threshold=threshold), [[1]])
    assert trace(rec, "Spikes") == [spikes] and trace(rec, "Vmem") == [vmem]


@pytest.mark.parametrize("threshold, spikes, vmem", [(1, 31, 30448), (1000, 30, 479)])
def test_31_spike_cap(threshold, spikes, vmem):
    rec = run(config(weights_in=[[127]], weight_shift_in=4, threshold=threshold), [[15]])
    assert trace(rec, "Isyn") == [30479]
    assert trace(rec, "Spikes") == [spikes] and trace(rec, "Vmem") == [vmem]


def test_membrane_saturates_before_the_subtraction():
    cfg = config(weights_in=np.array([[[127, 127]]]), weight_shift_in=7, threshold=100)
    rec = run(cfg, [[15]])
    assert trace(rec, "Spikes") == [31] and trace(rec, "Vmem") == [29667]


@pytest.mark.parametrize("threshold, spikes, vmem", [(0, 31, 99), (-1, 31, 130)])
def test_thresholds_at_or_below_zero(threshold, spikes, vmem):
    rec = run(config(weights_in=[[100]], threshold=threshold), [[1]])
    assert trace(rec, "Spikes") == [spikes] and trace(rec, "Vmem") == [vmem]


def test_negative_threshold_wraps():
    rec = run(config(weights_in=[[125]], weight_shift_in=4, threshold=-1000), [[12]])
    assert trace(rec, "Isyn") == [23999]
    assert trace(rec, "Spikes") == [9] and trace(rec, "Vmem") == [-32537]


def test_readout_threshold_minus_32768_wraps():
    rec = run(config(threshold_out=-32768), [[0]])
    assert trace(rec, "out") == [1] and trace(rec, "Vmem_out") == [-32768]


# ------------------------------------------------------------------ §4 recurrent timing
def test_recurrent_spike_arrives_next_step():
    cfg = config(n_hid=2, weights_in=[[100, 0]], weights_rec=[[0, 50], [0, 0]], dash_syn=[4, 15], dash_mem=[4, 15],
                 threshold=[30, 32767])
    rec = run(cfg, [[1], [0], [0]])
    assert trace(rec, "Spikes") == [3, 3, 2]
    assert trace(rec, "Isyn", 1) == [0, 149, 298]


# ---------------------------------------------------------------------------- §5 aliases
def alias_config(thresholds, aliases, **fields):
    """Every neuron at V 99 at t 0 (w_in 100, dash 15)."""
    n = len(thresholds)
    return config(n_hid=n, weights_in=[[100] * n], threshold=thresholds, aliases=aliases, **fields)


def test_alias_target_full_from_source_does_not_fire():
    rec = run(alias_config([3, 20], [[1], []]), [[1], [0]])
    assert rec["Spikes"].tolist() == [[31, 31], [31, 31]]
    assert trace(rec, "Vmem", 1) == [99, 196]


def test_alias_partial():
    rec = run(alias_config([5, 5], [[1], []]), [[1]])
    assert rec["Spikes"].tolist() == [[19, 31]]
    assert rec["Vmem"].tolist() == [[4, 39]]


def test_alias_chain_propagates_upward():
    rec = run(alias_config([33, 49, 24], [[1], [2], []]), [[1]])
    assert rec["Spikes"].tolist() == [[3, 5, 9]]


@pytest.mark.parametrize("aliases, expected", [([[], [0], []], [5, 2, 4]), ([[], [0], [1]], [5, 6, 4])])
def test_alias_below_is_not_forwarded(aliases, expected):
    rec = run(alias_config([33, 49, 24], aliases), [[1]])
    assert rec["Spikes"].tolist() == [expected]


def test_alias_below_caps_at_31():
    rec = run(alias_config([5, 5], [[], [0]]), [[1]])
    assert rec["Spikes"].tolist() == [[31, 19]]


def test_alias_count_is_what_recurrent_and_readout_weights_carry():
    w_rec = np.zeros((4, 4), int)
    w_rec[1, 2] = w_rec[0, 3] = 1
    w_out = np.array([[1], [1], [0], [0]])
    cfg = config(n_hid=4, weights_in=[[100, 100, 0, 0]], weights_rec=w_rec, weights_out=w_out, dash_syn_out=0,
                 dash_mem_out=0, threshold=[33, 49, 32767, 32767], aliases=[[1], [], [], []])
    rec = run(cfg, [[1], [0]])
    assert rec["Spikes"][0].tolist() == [3, 5, 0, 0]
    assert trace(rec, "Isyn", 2) == [0, 4] and trace(rec, "Isyn", 3) == [0, 2]


# ------------------------------------------------------------------------- §6 evolve()
def test_state_persists_across_calls():
    cfg = random_config(np.random.default_rng(5), 4, 30, 3, 1, "saturated")
    raster = random_raster(np.random.default_rng(6), 20, 4, 1.0)
    whole = XyloSim(cfg).evolve(raster, record=True)
    sim = XyloSim(cfg)
    first, second = sim.evolve(raster[:10], record=True), sim.evolve(raster[10:], record=True)
    joined = {name: np.concatenate([first[2][name], second[2][name]]) for name in whole[2]}
    assert_same(whole[2], joined, names=("20 steps", "10 + 10"))
    np.testing.assert_array_equal(whole[0], np.concatenate([first[0], second[0]]))
    assert all(np.array_equal(whole[1][k], second[1][k]) for k in whole[1])
    sim.reset_state()
    assert_same(whole[2], sim.evolve(raster, record=True)[2], names=("first run", "after reset_state"))
    sim.reset_all()  # xylosim's name
    assert_same(whole[2], sim.evolve(raster, record=True)[2], names=("first run", "after reset_all"))


def test_state_is_the_last_recorded_step():
    cfg = random_config(np.random.default_rng(7), 3, 12, 2, 2, "medium")
    out, state, rec = XyloSim(cfg).evolve(random_raster(np.random.default_rng(8), 15, 3, 1.5), record=True)
    assert set(state) == {"Isyn", "Isyn2", "Vmem", "Isyn_out", "Vmem_out", "Spikes"}
    for name, value in state.items():
        np.testing.assert_array_equal(value, rec[name][-1], err_msg=name)


def test_records_shapes_and_dtypes():
    cfg = config(n_in=3, n_hid=5, n_out=2)
    out, state, rec = XyloSim(cfg).evolve(np.zeros((7, 3), np.int64), record=True)
    assert out.shape == (7, 2)
    assert {k: v.shape for k, v in rec.items()} == {"Isyn": (7, 5), "Isyn2": (7, 5), "Vmem": (7, 5),
                                                   "Spikes": (7, 5), "Isyn_out": (7, 2), "Vmem_out": (7, 2)}
    assert all(v.dtype == np.int16 for v in rec.values())
    assert XyloSim(cfg).evolve(np.zeros((7, 3), np.uint8))[2] == {}
    assert XyloSim(cfg).evolve(np.zeros((0, 3), np.int64), record=True)[0].shape == (0, 2)


def test_from_specification_and_repr():
    sim = XyloSim.from_specification(weights_in=[[1, 2]], weights_out=[[1], [1]], threshold=5, threshold_out=5)
    assert sim.config.n_hidden == 2 and "Nhid=2" in repr(sim)


# ---------------------------------------------------------------------- input checks
@pytest.fixture(scope="module")
def small():
    return XyloSim(config(n_in=2, n_hid=3))


@pytest.mark.parametrize("raster, error, message", [
    (np.zeros(4, int), ValueError, r"raster: expected shape \(T, Nin\) or \(B, T, Nin\), got 1 axes"),
    (np.zeros((1, 2, 3, 2), int), ValueError, "got 4 axes"),
    (np.zeros((4, 3), int), ValueError, r"raster: expected Nin=2 channels in the last axis, got shape \(4, 3\)"),
    (np.zeros((4, 2)), TypeError, "raster: expected an integer array of event counts, got dtype float64"),
    (np.zeros((4, 2), bool), TypeError, "got dtype bool"),
    ([["a", "b"]], TypeError, "raster: expected an integer array"),
    (np.array([[0, 1], [-1, 0]]), ValueError, r"raster: value -1 at index \(1, 0\) is outside the input count range 0..255"),
    (np.array([[[0, 256]]]), ValueError, r"raster: value 256 at index \(0, 0, 1\) is outside the input count range 0..255"),
])
def test_evolve_wrong_input(small, raster, error, message):
    with pytest.raises(error, match=message):
        small.evolve(raster)


def test_evolve_wrong_batch_for_carried_state(small):
    small.reset_state()
    small.evolve(np.ones((2, 3, 2), int))
    with pytest.raises(ValueError, match="raster: batch of 3 samples, but the carried state holds 2; call reset_state"):
        small.evolve(np.ones((3, 3, 2), int))
    small.reset_state()
    assert small.evolve(np.ones((3, 3, 2), int))[0].shape == (3, 3, 1)


def test_config_wrong_type():
    with pytest.raises(TypeError, match="config: expected a XyloConfig, got dict"):
        XyloSim({})


# ------------------------------------------------------------ work done per step
def test_synaptic_events_count_additions():
    w_rec = np.zeros((3, 3, 2), int)
    w_rec[0, 1, 0] = w_rec[0, 2, 1] = w_rec[1, 2, 0] = 1
    cfg = config(n_in=2, n_hid=3, n_out=2, weights_in=[[100, 0, 5], [0, 0, 0]], weights_rec=w_rec,
                 weights_out=[[1, 1], [0, 1], [0, 0]], threshold=[1, 1, 32767])
    sim = XyloSim(cfg)
    raster = np.array([[1, 0], [0, 3], [2, 0]])
    _, _, rec = sim.evolve(raster, record=True)
    events = sim.synaptic_events(raster, rec["Spikes"])
    assert events["input"].tolist() == [2, 0, 2]  # channel 0 reaches 2 (neuron, synapse) entries, channel 1 none
    spiking = rec["Spikes"] > 0  # the step before: neuron 0 -> 2 recurrent + 2 readout entries, neuron 1 -> 1 + 1
    expected_rec = [0] + [2 * s[0] + 1 * s[1] for s in spiking[:-1]]
    expected_out = [0] + [2 * s[0] + 1 * s[1] for s in spiking[:-1]]
    assert events["recurrent"].tolist() == expected_rec and events["readout"].tolist() == expected_out
    batched = sim.synaptic_events(raster[None], rec["Spikes"][None], initial_spikes=np.ones((1, 3)))
    assert batched["recurrent"].tolist() == [[3] + expected_rec[1:]]


# -------------------------------------------------------- equivalence with xylosim
def random_case(seed: int):
    """A seeded random valid config (mostly small and medium) and raster."""
    rng = np.random.default_rng(seed)
    size = rng.random()
    n_hid = int(rng.integers(1, 9) if size < 0.3 else rng.integers(9, 101) if size < 0.8 else rng.integers(101, 400))
    n_in, n_out = int(rng.integers(1, 17)), int(rng.integers(1, 9))
    regime = ("quiet", "medium", "saturated")[seed % 3]
    cfg = random_config(rng, n_in, n_hid, n_out, 1 + seed % 2, regime)
    return cfg, random_raster(rng, int(rng.integers(20, 200)), n_in, rng.uniform(0.05, 3.0))


FEATURES = ("multi-spike", "31 cap", "Vmem >= 16384", "Vmem -sat", "Isyn sat", "negative Isyn", "syn2", "aliases",
            "both versions", "readout spikes")


def features(cfg, rec, out) -> set:
    found = {"multi-spike"} if np.any(rec["Spikes"] > 1) else set()
    checks = {"31 cap": np.any(rec["Spikes"] == 31), "Vmem >= 16384": np.any(rec["Vmem"] >= 16384),
              "Vmem -sat": np.any(rec["Vmem"] == -32768), "Isyn sat": np.any(np.abs(rec["Isyn"]) >= 32766),
              "negative Isyn": np.any(rec["Isyn"] < 0), "syn2": np.any(rec["Isyn2"] != 0),
              "aliases": any(cfg.aliases) and np.any(rec["Spikes"] > 0), "readout spikes": np.any(out)}
    return found | {name for name, hit in checks.items() if hit} | {f"v{cfg.version}"}


CHUNK = 25


@pytest.mark.parametrize("chunk", range(40))
def test_equivalence_with_xylosim(chunk):
    """1000 random configs in all: every record at every step equal; each chunk covers every feature."""
    covered = set()
    for seed in range(chunk * CHUNK, (chunk + 1) * CHUNK):
        cfg, raster = random_case(seed)
        ref_out, ref_rec = Reference(cfg).evolve(raster)
        out, _, rec = XyloSim(cfg).evolve(raster, record=True)
        assert_same(dict(ref_rec, out=ref_out), dict(rec, out=out), names=NAMES, context=f"seed {seed}, {cfg!r}")
        covered |= features(cfg, rec, out)
    covered |= {"both versions"} if {"v1", "v2"} <= covered else set()
    assert set(FEATURES) <= covered, f"chunk {chunk} misses {set(FEATURES) - covered}"


@pytest.mark.parametrize("seed, version", [(1000 + i, 1 + i % 2) for i in range(8)])
def test_equivalence_full_size(seed, version):
    """16/1000/8 with a full recurrent RAM (≤ 64 targets per neuron, ≤ 32000 in total), short runs."""
    rng = np.random.default_rng(seed)
    cfg = random_config(rng, 16, 1000, 8, version, ("medium", "saturated")[seed % 2], max_fanout=64)
    raster = random_raster(rng, 30, 16, 0.5)
    ref_out, ref_rec = Reference(cfg).evolve(raster)
    out, _, rec = XyloSim(cfg).evolve(raster, record=True)
    assert_same(dict(ref_rec, out=ref_out), dict(rec, out=out), names=NAMES, context=f"seed {seed}")
    assert np.count_nonzero(cfg.weights_rec) > 15000  # 16-32 per neuron (some draws drop synapse 2)


@pytest.mark.parametrize("seed", range(2000, 2008))
def test_batch_equals_per_sample_runs(seed):
    """A batch of B samples, in two evolve calls, gives each sample's xylosim run."""
    rng = np.random.default_rng(seed)
    cfg = random_config(rng, int(rng.integers(1, 17)), int(rng.integers(1, 120)), int(rng.integers(1, 9)),
                        1 + seed % 2, ("medium", "saturated")[seed % 2])
    batch = np.stack([random_raster(rng, 30, cfg.n_inputs, rng.uniform(0.1, 2.0)) for _ in range(5)])
    sim = XyloSim(cfg)
    first, second = sim.evolve(batch[:, :12], record=True), sim.evolve(batch[:, 12:], record=True)
    assert first[0].shape == (5, 12, cfg.n_outputs) and second[2]["Vmem"].shape == (5, 18, cfg.n_hidden)
    for b in range(5):
        ref_out, ref_rec = Reference(cfg).evolve(batch[b])
        ours = {name: np.concatenate([first[2][name][b], second[2][name][b]]) for name in ref_rec}
        ours["out"] = np.concatenate([first[0][b], second[0][b]])
        assert_same(dict(ref_rec, out=ref_out), ours, names=NAMES, context=f"seed {seed}, sample {b}")
        assert all(np.array_equal(second[1][k][b], ours[k][-1]) for k in second[1])
    unrecorded = XyloSim(cfg).evolve(batch)
    np.testing.assert_array_equal(unrecorded[0], np.concatenate([first[0], second[0]], axis=1))


def test_compiled_code_is_loaded_from_cache():
    """numba's cache=True: a second process runs both step loops without compiling them."""
    import subprocess
    import sys

    sim = XyloSim(config())
    sim.evolve(np.zeros((2, 1), int))
    sim.reset_state()
    sim.evolve(np.zeros((2, 2, 1), int))  # both loops compiled (or loaded) and saved in this process
    code = ("import numpy as np; from spikegate.sim.xylo import XyloSim, kernels; "
            "s = XyloSim.from_specification(weights_in=[[1]], weights_out=[[1]], threshold=1, threshold_out=1); "
            "s.evolve(np.zeros((2, 1), int)); s.reset_state(); s.evolve(np.zeros((2, 2, 1), int)); "
            "print(sum(kernels.run_sample.stats.cache_misses.values()), sum(kernels.run_batch.stats.cache_misses.values()),"
            " sum(kernels.run_sample.stats.cache_hits.values()), sum(kernels.run_batch.stats.cache_hits.values()))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0", "0", "1", "1"], result.stdout + result.stderr
