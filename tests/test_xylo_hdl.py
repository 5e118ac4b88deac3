"""XyloCore in Amaranth's simulator against the numpy model (every recorded array), the spec's worked
examples, the cycle formula, the address map and its errors."""

import numpy as np
import pytest
from amaranth.hdl import Fragment
from xylo_reference import random_config, random_raster

from spikegate.hdl.xylo import (Ctrl, Region, XyloCore, XyloCoreParams, address, config_writes, simulate,
                                state_addresses)
from spikegate.hdl.xylo.core import step_cycles
from spikegate.hdl.xylo.simulate import read_words, write_words
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig, XyloSim

# slow hardware tests: a limit their slowest run on a loaded 2-core machine fits in (default 120 s)
pytestmark = pytest.mark.timeout(300)

NAMES = ("numpy", "rtl")


def run_both(config, raster, **kwargs):
    """Simulate the core and the numpy model; assert every record, the outputs and the final state agree."""
    out, state, rec, cycles = simulate(config, raster, **kwargs)
    ref_out, ref_state, ref_rec = XyloSim(config).evolve(raster, record=True)
    assert_same(ref_rec | {"out": ref_out}, rec | {"out": out}, names=NAMES, context=repr(config))
    assert_same({k: v[None] for k, v in ref_state.items()}, {k: v[None] for k, v in state.items()}, names=NAMES,
                context="final state")
    return rec, out, cycles


# ------------------------------------------------------------------ random configs
def small_case(seed):
    rng = np.random.default_rng(seed)
    regime = ("quiet", "medium", "saturated")[seed % 3]
    config = random_config(rng, int(rng.integers(1, 5)), int(rng.integers(1, 13)), int(rng.integers(1, 4)),
                           version=1 + (seed % 4 == 3), regime=regime)
    if seed % 5 == 4:  # thresholds at and below 0 (spec §7: 31 spikes, wrapping subtraction)
        threshold = np.array(config.threshold)
        threshold[:: 2] = rng.integers(-2000, 1, threshold[:: 2].size)
        config = config.replace(threshold=threshold, threshold_out=-np.abs(config.threshold_out) // 4)
    return config, random_raster(rng, 5, config.n_inputs, rate=float(rng.uniform(0.3, 4)))


@pytest.mark.parametrize("seed", range(44))
def test_random_small_equals_numpy(seed):
    config, raster = small_case(seed)
    run_both(config, raster)


@pytest.mark.parametrize("seed", range(8))
def test_random_medium_equals_numpy(seed):
    rng = np.random.default_rng(1000 + seed)
    config = random_config(rng, int(rng.integers(6, 17)), int(rng.integers(20, 49)), int(rng.integers(3, 9)),
                           version=1 + seed % 2, regime=("medium", "saturated")[seed % 2], max_fanout=12)
    raster = random_raster(rng, 3, config.n_inputs, rate=1.0)
    run_both(config, raster, load="direct" if seed % 2 else "port")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_random_large_equals_numpy(seed):
    """100-1000 hidden neurons, up to 64 fan-out entries each (opt in with --run-slow: 10-20 s per config)."""
    rng = np.random.default_rng(2000 + seed)
    config = random_config(rng, 16, int(rng.integers(100, 1001)), 8, version=1 + seed % 2,
                           regime=("quiet", "medium", "saturated")[seed % 3])
    run_both(config, random_raster(rng, 3, 16, rate=0.5), load="direct")


def test_full_size_equals_numpy():
    """16/1000/8 with 32 recurrent targets per neuron (32,000 synapses), every record over 3 steps."""
    rng = np.random.default_rng(7)
    n_hid = 1000
    w_rec = np.zeros((n_hid, n_hid, 2), np.int64)
    for pre in range(n_hid):
        flat = rng.choice(2 * n_hid, size=32, replace=False)
        w_rec[pre].reshape(-1)[flat] = rng.integers(-128, 128, 32)
    config = XyloConfig.from_spec(
        weights_in=rng.integers(-128, 128, (16, n_hid, 2)), weights_rec=w_rec,
        weights_out=rng.integers(-128, 128, (n_hid, 8)), dash_mem=rng.integers(0, 16, n_hid),
        dash_syn=rng.integers(0, 16, n_hid), dash_syn_2=rng.integers(0, 16, n_hid), dash_mem_out=2, dash_syn_out=3,
        threshold=rng.integers(200, 5000, n_hid), threshold_out=rng.integers(100, 3000, 8), weight_shift_in=4,
        weight_shift_rec=2, weight_shift_out=1,
        aliases=[[int(t)] if t != s and rng.random() < 0.1 else [] for s, t in enumerate(rng.integers(0, n_hid, n_hid))])
    raster = np.zeros((3, 16), np.int64)
    raster[0, [1, 5, 9]] = [3, 15, 40]
    raster[2, 2] = 1
    rec, out, cycles = run_both(config, raster, params=XyloCoreParams(), load="direct")
    assert rec["Spikes"][1].any() and rec["Spikes"][2].any()  # recurrent traffic in the later steps


# ------------------------------------------------------------------ spec worked examples
def one_neuron(**spec):
    """A config from spec fields, defaults for what a worked example leaves open."""
    n_hid = np.asarray(spec["weights_in"]).shape[1]
    defaults = dict(weights_out=np.zeros((n_hid, 1), int), threshold=32767, threshold_out=32767, dash_mem=15,
                    dash_syn=15, dash_syn_2=15, dash_mem_out=1, dash_syn_out=1)
    return XyloConfig.from_spec(**(defaults | spec))


def check_known(config, raster, field, neuron, expected):
    """The core equals the numpy model everywhere and the spec's numbers at ``field[:, neuron]``."""
    rec, out, _ = run_both(config, np.asarray(raster))
    values = (rec | {"out": out})[field][:, neuron]
    assert values.tolist() == expected, f"{field}[:, {neuron}]: rtl {values.tolist()}, spec {expected}"


@pytest.mark.parametrize("weights, counts, expected", [((127, -100), [15, 1], 19966), ((-100, 127), [1, 15], 32766)])
def test_input_channels_saturate_in_ascending_order(weights, counts, expected):
    """Spec §3.2: 127 << 7 × 15 events then −100 << 7 × 1 gives 19966; the other channel order 32766."""
    config = one_neuron(weights_in=[[weights[0]], [weights[1]]], weight_shift_in=7)
    check_known(config, [counts], "Isyn", 0, [expected])


def test_inputs_come_before_recurrent_spikes():
    """Spec §3.2: input −12800 then 31 × (127 << 7) gives 32766; recurrent-first would give 19966."""
    config = one_neuron(weights_in=[[127, 0], [0, -100]], weights_rec=[[0, 127], [0, 0]], threshold=[1000, 32767],
                        weight_shift_in=7, weight_shift_rec=7)
    check_known(config, [[15, 0], [0, 1]], "Isyn", 1, [0, 32766])


@pytest.mark.parametrize("swap, expected", [(False, -30735), (True, -32767)])
def test_recurrent_sources_saturate_in_ascending_order(swap, expected):
    """Neuron 0 sends 31 × (−100 << 4), neuron 1 sends 1 × (127 << 4) to neuron 2 (spec §3.2)."""
    big, one = (1, 0) if swap else (0, 1)
    w_in = np.zeros((2, 3), int)
    w_in[0, big], w_in[1, one] = 127, 10
    w_rec = np.zeros((3, 3), int)
    w_rec[big, 2], w_rec[one, 2] = -100, 127
    threshold = np.full(3, 32767)
    threshold[big], threshold[one] = 900, 100
    config = one_neuron(weights_in=w_in, weights_rec=w_rec, threshold=threshold, weight_shift_in=4,
                        weight_shift_rec=4)
    rec, _, _ = run_both(config, np.array([[15, 1], [0, 0]]))
    assert rec["Spikes"][0, [big, one]].tolist() == [31, 1]
    assert rec["Isyn"][1, 2] == expected


def test_recurrent_spikes_arrive_one_step_later():
    """Spec §4: neuron 0 fires 3, 3, 2; weight 50 onto neuron 1 gives its Isyn 0, 149, 298."""
    config = one_neuron(weights_in=[[100, 0]], weights_rec=[[0, 50], [0, 0]], threshold=[30, 32767],
                        dash_syn=[4, 15], dash_mem=[4, 15])
    check_known(config, [[1], [0], [0]], "Spikes", 0, [3, 3, 2])
    check_known(config, [[1], [0], [0]], "Isyn", 1, [0, 149, 298])


@pytest.mark.parametrize("threshold, spikes, vmem", [(1, 31, 30448), (1000, 30, 479)])
def test_spike_counter_caps_at_31(threshold, spikes, vmem):
    config = one_neuron(weights_in=[[127]], weight_shift_in=4, threshold=threshold)
    check_known(config, [[15]], "Spikes", 0, [spikes])
    check_known(config, [[15]], "Vmem", 0, [vmem])


@pytest.mark.parametrize("threshold, spikes, vmem", [(99, 1, 0), (100, 0, 99), (33, 3, 0), (49, 2, 1)])
def test_multi_spike_and_equality(threshold, spikes, vmem):
    config = one_neuron(weights_in=[[100]], threshold=threshold)
    check_known(config, [[1]], "Spikes", 0, [spikes])
    check_known(config, [[1]], "Vmem", 0, [vmem])


def test_membrane_saturates_before_the_subtraction():
    config = one_neuron(weights_in=[[[127, 127]]], weight_shift_in=7, threshold=100)
    check_known(config, [[15]], "Vmem", 0, [29667])


def test_dash_zero_erases_the_synapse():
    config = one_neuron(weights_in=[[100]], dash_syn=0, threshold=1)
    check_known(config, [[1], [1], [1]], "Isyn", 0, [0, 0, 0])
    check_known(config, [[1], [1], [1]], "Vmem", 0, [0, 0, 0])


def test_synapse_2_example():
    config = one_neuron(weights_in=[[[100, 40]]], dash_syn=2, dash_syn_2=4, dash_mem=1)
    raster = [[1], [0], [0], [0]]
    check_known(config, raster, "Isyn2", 0, [38, 36, 34, 32])
    check_known(config, raster, "Vmem", 0, [113, 150, 152, 141])


@pytest.mark.parametrize("aliases, thresholds, expected", [
    ([[1], [2], []], [33, 49, 24], [3, 5, 9]),  # chain upwards
    ([[], [0], []], [33, 49, 24], [5, 2, 4]),  # target below the source
    ([[], [0], [1]], [33, 49, 24], [5, 6, 4]),  # chain downwards: 0 gets 1's own 2, not 2's
    ([[1], [], []], [5, 5, 32767], [19, 31, 0]),  # partial: b fires 12 of its own
    ([[1], [], []], [3, 20, 32767], [31, 31, 0]),  # b received 31: emits none
])
def test_alias_pushes(aliases, thresholds, expected):
    config = one_neuron(weights_in=[[100, 100, 100]], threshold=thresholds, aliases=aliases)
    check_known(config, [[1]], "Spikes", slice(None), [expected])


def test_alias_target_that_received_31_keeps_its_membrane():
    config = one_neuron(weights_in=[[100, 100]], threshold=[3, 20], aliases=[[1], []])
    check_known(config, [[1], [0]], "Vmem", 1, [99, 196])


def test_readout_neurons_spike_once_per_step():
    """Spec §3.7: threshold_out 1 with Vmem_out 32766 gives one spike and 32765."""
    config = one_neuron(weights_in=[[127]], weight_shift_in=7, threshold=1, weights_out=[[127]], weight_shift_out=7,
                        threshold_out=[1], dash_syn_out=15, dash_mem_out=15)
    rec, out, _ = run_both(config, np.array([[15], [0]]))
    assert out[:, 0].tolist() == [0, 1]


@pytest.mark.parametrize("version, expected", [(1, [-32768, -16384, -8192]), (2, [-32768, -32768, -32768])])
def test_membrane_rule_of_each_version(version, expected):
    """Spec §5: two synapses at −32768 decaying with dash 1, dash_mem 0."""
    config = one_neuron(weights_in=[[[-128, -128]]], weight_shift_in=7, dash_syn=1, dash_syn_2=1, dash_mem=0,
                        version=version)
    check_known(config, [[2], [0], [0]], "Vmem", 0, expected)


def test_bias_example():
    config = one_neuron(weights_in=[[0]], dash_mem=1, bias=[7], bias_out=[5], dash_mem_out=1, version=2)
    check_known(config, [[0]] * 5, "Vmem", 0, [7, 11, 13, 14, 14])
    check_known(config, [[0]] * 5, "Vmem_out", 0, [5, 8, 9, 10, 10])


# ------------------------------------------------------------------ cycles
def activity(config, raster, spikes):
    """Per step, the counts :func:`step_cycles` takes, from the numpy model's records (aliases upwards)."""
    fanout = np.count_nonzero(config.weights_rec, axis=(1, 2))
    alias = config.alias_target
    previous = np.vstack([np.zeros(config.n_hidden, int), spikes[:-1]])
    rows = []
    for t in range(len(raster)):
        pushed = np.zeros(config.n_hidden, int)
        for source in np.nonzero((alias >= 0) & (spikes[t] > 0))[0]:
            pushed[alias[source]] += spikes[t, source]
        own = spikes[t] - np.minimum(pushed, 31)
        rows.append(dict(active_inputs=int(np.count_nonzero(raster[t])), active_sources=int(np.count_nonzero(previous[t])),
                         fanout_entries=int(fanout[previous[t] > 0].sum()), own_spikes=int(own.sum()),
                         alias_pushes=int(np.count_nonzero((alias >= 0) & (spikes[t] > 0)))))
    return rows


@pytest.mark.parametrize("seed", range(3))
def test_cycles_follow_the_formula(seed):
    rng = np.random.default_rng(50 + seed)
    config = random_config(rng, 5, 16, 3, version=1 + seed % 2, regime="medium", max_fanout=6)
    upwards = [[int(rng.integers(s + 1, 16))] if s < 15 and rng.random() < 0.3 else [] for s in range(16)]
    config = config.replace(aliases=upwards)
    raster = random_raster(rng, 6, 5, rate=1.0)
    out, _, rec, cycles = simulate(config, raster)
    params = XyloCoreParams.for_config(config)
    expected = [step_cycles(params, output_spikes=int(out[t].sum()), **row)
                for t, row in enumerate(activity(config, raster, rec["Spikes"]))]
    assert cycles.tolist() == expected


def test_cycle_register_and_state_readback():
    """CTRL CYCLES_LO/HI hold the last step's cycles; written state reads back through the port."""
    config = one_neuron(weights_in=[[100, -3]], threshold=[5, 9])
    core = XyloCore(XyloCoreParams.for_config(config))
    seen = {}

    async def testbench(ctx):
        from spikegate.hdl.xylo.simulate import run_step
        await write_words(ctx, core, config_writes(config, core.params))
        _, seen["cycles"] = await run_step(ctx, core, [4])
        seen["register"] = await read_words(ctx, core, [address(Region.CTRL, Ctrl.CYCLES_LO),
                                                        address(Region.CTRL, Ctrl.CYCLES_HI)])
        await write_words(ctx, core, [(address(Region.VMEM, 1), 0xFFFE), (address(Region.ISYN_OUT, 0), 1234)])
        seen["state"] = await read_words(ctx, core, [address(Region.VMEM, 1), address(Region.ISYN_OUT, 0)])
        seen["threshold"] = await read_words(ctx, core, [address(Region.THRESHOLD, 1), address(Region.W_IN, 1)])
        await write_words(ctx, core, [(address(Region.CTRL, Ctrl.CLEAR), 0)])
        assert ctx.get(core.busy)
        await ctx.tick().until(~core.busy)
        seen["cleared"] = await read_words(ctx, core, [a for addrs in state_addresses(core.params).values()
                                                       for a in addrs])
        seen["register after clear"] = await read_words(ctx, core, [address(Region.CTRL, Ctrl.CYCLES_LO)])

    from amaranth.sim import Simulator
    sim = Simulator(core)
    sim.add_clock(1e-7)
    sim.add_testbench(testbench)
    sim.run()
    assert seen["register"][0] | seen["register"][1] << 16 == seen["cycles"]
    assert seen["state"] == [0xFFFE, 1234]
    assert seen["threshold"] == [9, 0xFD & 0xFF]
    assert not any(seen["cleared"])
    assert seen["register after clear"] == seen["register"][:1]  # a clear is not a step


def test_readback_under_back_pressure():
    """Words come out in order, none lost or repeated, whatever the consumer's ready pattern."""
    from amaranth.sim import Simulator
    config = one_neuron(weights_in=[np.arange(1, 13)], threshold=np.arange(100, 112))
    core = XyloCore(XyloCoreParams.for_config(config))
    addresses = [address(Region.THRESHOLD, n) for n in range(12)] + [address(Region.W_IN, n) for n in range(12)]
    ready = np.random.default_rng(0).random(200) < 0.5
    got = []

    async def testbench(ctx):
        await write_words(ctx, core, config_writes(config, core.params))
        issued = 0
        for cycle in range(200):
            ctx.set(core.readback_addr.valid, issued < len(addresses))
            ctx.set(core.readback_addr.payload.addr, addresses[min(issued, len(addresses) - 1)])
            ctx.set(core.readback_data.ready, bool(ready[cycle]))
            accepted = ctx.get(core.readback_addr.valid & core.readback_addr.ready)
            taken = ctx.get(core.readback_data.valid & core.readback_data.ready)
            value = ctx.get(core.readback_data.payload.data)
            await ctx.tick()
            issued += bool(accepted)
            if taken:
                got.append(value)

    sim = Simulator(core)
    sim.add_clock(1e-7)
    sim.add_testbench(testbench)
    sim.run()
    assert got == list(range(100, 112)) + list(range(1, 13))


def test_vcd_waveform(tmp_path):
    config = one_neuron(weights_in=[[100]], threshold=30)
    simulate(config, [[1], [0]], vcd=tmp_path / "xylo.vcd")
    assert b"$enddefinitions" in (tmp_path / "xylo.vcd").read_bytes()
    assert "busy" in (tmp_path / "xylo.gtkw").read_text()


# ------------------------------------------------------------------ address map and errors
def test_memory_map_layout_at_full_size():
    params = XyloCoreParams()
    assert (params.w_in_depth, params.max_synapses, params.misc_depth) == (16384, 32000, 13000)
    assert params.misc_out_base == 8000 and params.misc_len_base == 12000
    assert address(Region.VMEM, 999) == 18 << 16 | 999


def test_config_writes_cover_every_config_memory():
    rng = np.random.default_rng(3)
    config = random_config(rng, 3, 10, 2, version=2, regime="medium", max_fanout=5)
    params = XyloCoreParams.for_config(config)
    writes = config_writes(config, params)
    regions = {Region(a >> 16) for a, _ in writes}
    assert regions == {Region.CTRL, Region.W_IN, Region.FAN, Region.MISC, Region.THRESHOLD, Region.DASH, Region.ALIAS,
                       Region.BIAS, Region.THRESHOLD_OUT, Region.DASH_OUT, Region.BIAS_OUT}
    for region in regions - {Region.CTRL}:
        offsets = sorted(a & 0xFFFF for a, _ in writes if a >> 16 == region)
        assert offsets == list(range(params.region_depth(region))), region


def test_core_constructor_forms():
    cores = [XyloCore(4, 10, 2, 8, 40), XyloCore(XyloCoreParams(4, 10, 2, 8, 40)), XyloCore(n_inputs=4, n_hidden=10,
                                                                                           n_outputs=2, max_fanout=8,
                                                                                           max_synapses=40)]
    for core in cores:
        Fragment.get(core, None)  # elaborates
        assert core.params == XyloCoreParams(4, 10, 2, 8, 40)


def test_params_wrong():
    with pytest.raises(ValueError, match="n_hidden: 1001 is outside the chip's range 1..1000"):
        XyloCoreParams(n_hidden=1001)
    with pytest.raises(ValueError, match="max_fanout: 65 is outside the chip's range 1..64"):
        XyloCoreParams(max_fanout=65)
    with pytest.raises(TypeError, match="n_inputs: expected an integer"):
        XyloCoreParams(n_inputs=2.5)
    with pytest.raises(ValueError, match="version"):
        XyloCoreParams(version=3)
    with pytest.raises(ValueError, match="n_outputs: 9 is outside the chip's range 1..8"):
        XyloCoreParams(4, 10, 9)


def test_config_too_big_for_core_wrong():
    config = one_neuron(weights_in=[[1, 1]], weights_rec=[[0, 1], [1, 1]], threshold=[1, 1])
    with pytest.raises(ValueError, match="Nhid: the config has 2, the core is built for 3"):
        config_writes(config, XyloCoreParams(n_inputs=1, n_hidden=3, n_outputs=1))
    with pytest.raises(ValueError, match="neuron 1 has 2 recurrent targets, over the core's max_fanout of 1"):
        config_writes(config, XyloCoreParams(n_inputs=1, n_hidden=2, n_outputs=1, max_fanout=1))
    with pytest.raises(ValueError, match="3 recurrent synapses in total, over the core's max_synapses of 2"):
        config_writes(config, XyloCoreParams(n_inputs=1, n_hidden=2, n_outputs=1, max_synapses=2))
    with pytest.raises(ValueError, match="version: the config is version 1, the core version 2"):
        config_writes(config, XyloCoreParams(n_inputs=1, n_hidden=2, n_outputs=1, version=2))


def test_simulate_wrong():
    config = one_neuron(weights_in=[[1]])
    with pytest.raises(ValueError, match="raster: value 256 at index \\(0, 0\\) is outside the input count range 0..255"):
        simulate(config, [[256]])
    with pytest.raises(ValueError, match="raster: expected shape \\(T, Nin=1\\)"):
        simulate(config, [[1, 2]])
    with pytest.raises(TypeError, match="raster: expected an integer array"):
        simulate(config, [[1.0]])
    with pytest.raises(ValueError, match="load: 'fast' is not one of"):
        simulate(config, [[1]], load="fast")
    with pytest.raises(ValueError, match="offset: 65536 is outside the 16-bit range"):
        address(Region.FAN, 1 << 16)


# ------------------------------------------------------------------ single-port RAM
def test_single_port_ram_writes_then_reads():
    from amaranth.sim import Simulator

    from spikegate.hdl.xylo import SinglePortRAM
    ram = SinglePortRAM(20)
    seen = []

    async def testbench(ctx):
        for addr in (3, 19):
            ctx.set(ram.addr, addr)
            ctx.set(ram.wdata, 0xBEEF ^ addr)
            ctx.set(ram.we, 1)
            await ctx.tick()
        ctx.set(ram.we, 0)
        for addr in (3, 19, 4):
            ctx.set(ram.addr, addr)
            await ctx.tick()
            seen.append(ctx.get(ram.rdata))  # the word of the address presented one cycle earlier

    sim = Simulator(ram)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert seen == [0xBEEF ^ 3, 0xBEEF ^ 19, 0]


def test_single_port_ram_is_spram_on_ultraplus():
    from amaranth_boards.icebreaker import ICEBreakerPlatform

    from spikegate.hdl.xylo import SinglePortRAM
    ram = SinglePortRAM(32000)
    fragment = Fragment.get(ram, ICEBreakerPlatform())
    types = [sub.type for sub, _name, _loc in fragment.subfragments if hasattr(sub, "type")]
    assert ram.banks == 2 and types == ["SB_SPRAM256KA", "SB_SPRAM256KA"]
    generic = SinglePortRAM(32000)
    assert not any(hasattr(sub, "type") for sub, _, _ in Fragment.get(generic, None).subfragments)
