"""The Xylo converter: torch modules, quantization to rockpool specs, NIR import/export.

Hand cases with known answers (dashes, scales, rounding, stacking, aliases), a `_wrong` test for every
error path, NIR graphs built with the nir package and exported by snnTorch, round trips, and the
trained tutorial network's float/chip agreement.
"""

import math

import nir
import numpy as np
import pytest
import torch
from torch import nn

from spikegate.converter.xylo import (LIF, Layout, Readout, Residual, XyloNet, dash_from_tau, dequantize,
                                      fake_quantize, from_nir, quantize, to_nir, to_xylo_spec)
from spikegate.converter.xylo.modules import Population
from spikegate.sim.compare import first_difference
from spikegate.sim.xylo import XyloConfig, XyloSim

DT = 1e-3


def linear(n_in, n_out, weight=None):
    layer = nn.Linear(n_in, n_out, bias=False)
    if weight is not None:
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
    return layer


def residual_net(seed=0, n_in=3, n=4, n_out=2):
    torch.manual_seed(seed)
    return XyloNet(linear(n_in, n), LIF(n, dt=DT), Residual(linear(n, n), LIF(n, dt=DT, recurrent=True)),
                   linear(n, n_out), Readout(n_out, dt=DT))


def hand_layout(w_in, w_rec, w_out, threshold, threshold_out, populations=None, dash=(4, 2), dash_out=(4, 2)):
    w_in, w_rec, w_out = (torch.tensor(np.asarray(w, dtype=np.float64), dtype=torch.float32)
                          for w in (w_in, w_rec, w_out))
    n_hid, n_out = w_rec.shape[0], w_out.shape[1]
    return Layout(w_in, w_rec, w_out, torch.tensor(threshold, dtype=torch.float32),
                  torch.tensor(threshold_out, dtype=torch.float32),
                  torch.full((n_hid,), dash[0]), torch.full((n_hid,), dash[1]),
                  torch.full((n_out,), dash_out[0]), torch.full((n_out,), dash_out[1]),
                  populations or [Population("hidden", 0, n_hid)])


# ---------------------------------------------------------------------------------------- dashes
@pytest.mark.parametrize("ratio, dash", [(1, 0), (2, 1), (16, 4), (2 ** 3.49, 3), (2 ** 3.51, 4), (2 ** 15, 15),
                                         (2 ** 20, 15), (0.1, 0)])
def test_dash_from_tau(ratio, dash):
    assert dash_from_tau(ratio * DT, DT) == dash


@pytest.mark.parametrize("tau", [0.0, -1e-3, math.nan, math.inf])
def test_dash_from_tau_wrong(tau):
    with pytest.raises(ValueError, match=r"tau_mem: .* is not a positive, finite time"):
        dash_from_tau(tau, DT, "tau_mem")


def test_lif_decays_are_the_chips():
    lif = LIF(3, tau_mem=16 * DT, tau_syn=2 * DT, dt=DT)
    assert (lif.dash_mem, lif.dash_syn) == (4, 1)


def test_lif_tau_syn_wrong():
    with pytest.raises(ValueError, match=r"tau_syn: 0.001 s gives dash_syn 0 .* tau_syn >= 0.00141 s"):
        LIF(3, tau_syn=DT, dt=DT)


def test_lif_threshold_wrong():
    with pytest.raises(ValueError, match="threshold: 0.0 is not positive"):
        LIF(3, threshold=0.0)


def test_lif_max_spikes_wrong():
    with pytest.raises(ValueError, match=r"max_spikes: 32 is outside 1..31"):
        LIF(3, max_spikes=32)


# ---------------------------------------------------------------------------------- quantization
def test_quantize_auto_scale_hand_case():
    """Hidden: largest |w| 0.5 → 127·2^k with the largest k keeping max θ 2.0 ≤ 4096: σ = 254·8 = 2032.
    weights_in 0.5·2032 = 1016 → shift 3 → 127; −0.25 → −63.5 → −64 (ties to even); weights_rec 0.1 →
    203.2 → shift 1 → 101.6 → 102. Readout: largest 1.0, θ 1.5: σ = 127·16 = 2032; 0.5 → 63.5 → 64."""
    layout = hand_layout([[0.5, -0.25]], [[0, 0.1], [0, 0]], [[1.0], [0.5]], [1.0, 2.0], [1.5])
    q = quantize(layout)
    assert q.scale_hidden == 2032 and q.scale_out == 2032
    assert q.spec["weights_in"].tolist() == [[127, -64]] and q.spec["weight_shift_in"] == 3
    assert q.spec["weights_rec"].tolist() == [[0, 102], [0, 0]] and q.spec["weight_shift_rec"] == 1
    assert q.spec["weights_out"].tolist() == [[127], [64]] and q.spec["weight_shift_out"] == 4
    assert q.spec["threshold"].tolist() == [2032, 4064] and q.spec["threshold_out"].tolist() == [3048]
    assert q.spec["dash_mem"].tolist() == [4, 4] and q.spec["dash_syn_2"].tolist() == [2, 2]
    XyloConfig.from_spec(**q.spec)


def test_quantize_large_thresholds_keep_full_weight_range():
    """θ 100 against |w| 0.5: even k = 0 gives θ·254 > 4096, so σ = min(127/0.5, 32767/100) = 254."""
    q = quantize(hand_layout([[0.5]], [[0.0]], [[1.0]], [100.0], [1.0]))
    assert q.scale_hidden == 254 and q.spec["weights_in"].tolist() == [[127]]
    assert q.spec["threshold"].tolist() == [25400]


def test_quantize_fixed_scale_is_exact_on_integers():
    q = quantize(hand_layout([[100, -3]], [[0, 4 * 120], [-8, 0]], [[7], [-128]], [300, 5], [9]), scale=1)
    assert q.spec["weights_in"].tolist() == [[100, -3]] and q.spec["weight_shift_in"] == 0
    assert q.spec["weights_rec"].tolist() == [[0, 120], [-2, 0]] and q.spec["weight_shift_rec"] == 2
    assert q.spec["weights_out"].tolist() == [[7], [-128]] and q.spec["weight_shift_out"] == 0
    assert q.spec["threshold"].tolist() == [300, 5] and q.spec["threshold_out"].tolist() == [9]


def test_quantize_weights_wrong():
    with pytest.raises(ValueError, match=r"weights_in: largest \|weight\| 20000 times scale 1 .* \(limit 16256\)"):
        quantize(hand_layout([[20000.0]], [[0.0]], [[1.0]], [1.0], [1.0]), scale=1)


def test_quantize_threshold_wrong():
    with pytest.raises(ValueError, match=r"threshold: 0.25 at scale 1 rounds to 0, below 1 \(hidden, hidden neuron "
                                         r"1\)"):
        quantize(hand_layout([[1.0, 1.0]], np.zeros((2, 2)), [[1.0], [1.0]], [1.0, 0.25], [1.0]), scale=1)
    with pytest.raises(ValueError, match=r"threshold_out: 40000 at scale 1 rounds to 40000, above the int16 limit"):
        quantize(hand_layout([[1.0]], [[0.0]], [[1.0]], [1.0], [40000.0]), scale=1)


def test_quantize_not_finite_wrong():
    with pytest.raises(ValueError, match="weights_rec: contains a value that is not finite"):
        quantize(hand_layout([[1.0]], [[math.nan]], [[1.0]], [1.0], [1.0]))


# ------------------------------------------------------------------------------ stacking, aliases
def test_residual_network_stacks_into_block_matrices():
    net = residual_net()
    l0, res, l3, lif2 = net.layers[0], net.layers[2].layers[0], net.layers[3], net.layers[2].layers[1]
    layout = net.layout()
    z = torch.zeros
    assert torch.equal(layout.weights_in, torch.cat([l0.weight.T, z(3, 4)], dim=1))
    expected_rec = torch.cat([torch.cat([z(4, 4), res.weight.T], 1), torch.cat([z(4, 4), lif2.w_rec], 1)], 0)
    assert torch.equal(layout.weights_rec, expected_rec)
    assert torch.equal(layout.weights_out, torch.cat([z(4, 2), l3.weight.T], 0))
    assert layout.aliases() == [[4], [5], [6], [7], [], [], [], []]
    spec = to_xylo_spec(net, DT)
    assert spec["aliases"] == [[4], [5], [6], [7], [], [], [], []]
    assert not spec["weights_rec"][:4, :4].any() and not spec["weights_out"][:4].any()
    assert [p.name for p in layout.populations] == ["layer 1", "layer 2.1"]


def test_plain_stack_has_no_aliases():
    net = XyloNet(linear(2, 3), LIF(3), linear(3, 5), LIF(5), linear(5, 1), Readout(1))
    layout = net.layout()
    assert layout.weights_rec.shape == (8, 8) and layout.aliases() == [[]] * 8
    assert torch.equal(layout.weights_rec[:3, 3:], net.layers[2].weight.T)
    assert not layout.weights_out[:3].any()


def test_float_alias_rule_matches_the_chip():
    """Spec §5 'partial': both thresholds 5, V 99: the source fires 19 (V 4), the target 12 of its own
    (V 39) and records 31. One input event of weight 198 with dash_syn 1 gives V 99 in step 0."""
    pops = [Population("a", 0, 1), Population("b", 1, 2, alias_source=0)]
    layout = hand_layout([[198, 198]], np.zeros((2, 2)), [[1], [1]], [5, 5], [1000], pops, dash=(4, 1))
    raster = torch.tensor([[[1], [0], [0]]], dtype=torch.float32)
    _, rec = layout.run(raster)
    assert rec["Spikes"][0, 0].tolist() == [19, 31] and rec["Vmem"][0, 0].tolist() == [4, 39]
    out, rec = layout.run(raster, integer=True)  # the float run rounds differently from step 1 on
    assert_same_as_chip(quantize(layout, scale=1).config, raster.numpy().astype(np.int64), out, rec)


def test_network_shape_wrong():
    with pytest.raises(ValueError, match="n: a population needs at least one neuron, got 0"):
        LIF(0)
    with pytest.raises(ValueError, match=r"XyloNet: expected \(nn.Linear, LIF\) pairs ending with \(nn.Linear, "
                                         r"Readout\), got 3 modules"):
        XyloNet(linear(2, 4), LIF(4), linear(4, 1))
    with pytest.raises(ValueError, match="XyloNet: needs at least one hidden LIF population before the Readout"):
        XyloNet(linear(2, 1), Readout(1)).layout()
    net = XyloNet(linear(2, 4), LIF(4), Residual(linear(4, 1), Readout(1)))
    with pytest.raises(ValueError, match=r"layer 2 \(Residual\): contains the Readout"):
        net.layout()


def test_residual_first_wrong():
    with pytest.raises(ValueError, match=r"layer 0 \(Residual\): a residual block cannot read the input channels"):
        XyloNet(Residual(linear(2, 2), LIF(2)), linear(2, 1), Readout(1))


def test_residual_size_wrong():
    net = XyloNet(linear(2, 4), LIF(4), Residual(linear(4, 5), LIF(5)), linear(5, 1), Readout(1))
    with pytest.raises(ValueError, match=r"layer 2 \(Residual\): its input has 4 neurons but its output 5"):
        net.layout()


def test_layer_order_wrong():
    with pytest.raises(ValueError, match=r"layer 1 \(Linear\): expected LIF here"):
        XyloNet(linear(2, 4), linear(4, 4), LIF(4), linear(4, 1))
    with pytest.raises(ValueError, match=r"layer 3 \(LIF\): expected Readout here"):
        XyloNet(linear(2, 4), LIF(4), linear(4, 1), LIF(1))
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\): nn.Linear has 4 outputs but the next population has 3"):
        XyloNet(linear(2, 4), LIF(3), linear(3, 1), Readout(1))


def test_linear_size_wrong():
    net = XyloNet(linear(2, 4), LIF(4), linear(5, 1), Readout(1))
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\): nn.Linear reads 5 inputs but the previous population "
                                         r"has 4 neurons"):
        net.layout()


def test_bias_wrong():
    net = XyloNet(nn.Linear(2, 4), LIF(4), linear(4, 1), Readout(1))
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\): has a bias; the Xylo v1 core has none"):
        net.layout()


def test_dt_wrong():
    with pytest.raises(ValueError, match=r"layer 1 \(LIF\): dt 0.002 s differs from the readout's 0.001 s"):
        XyloNet(linear(2, 4), LIF(4, dt=2e-3, tau_syn=8e-3), linear(4, 1), Readout(1, dt=1e-3))
    with pytest.raises(ValueError, match=r"dt: 0.002 s differs from the 0.001 s the model's layers were built for"):
        to_xylo_spec(residual_net(), dt=2e-3)


@pytest.mark.parametrize("layers, message", [
    (lambda: (linear(2, 4), LIF(4, max_spikes=1), linear(4, 1), Readout(1)),
     r"layer 1: max_spikes is 1, but the chip's neurons emit up to 31"),
    (lambda: (linear(17, 4), LIF(4), linear(4, 1), Readout(1)),
     r"layer 0 \(Linear\): reads 17 input channels; the chip has at most 16"),
    (lambda: (linear(2, 600), LIF(600), linear(600, 500), LIF(500), linear(500, 1), Readout(1)),
     r"1100 neurons in total \(layer 1: 600, layer 3: 500\); the chip has at most 1000"),
    (lambda: (linear(2, 4), LIF(4), linear(4, 9), Readout(9)),
     r"layer 3 \(Readout\): 9 readout neurons; the chip has at most 8"),
    (lambda: (linear(2, 70), LIF(70), linear(70, 70, torch.ones(70, 70)), LIF(70), linear(70, 1), Readout(1)),
     r"layer 1: neuron 0 \(hidden neuron 0\) projects to 70 hidden neurons; the chip's recurrent fan-out limit is 64"),
])
def test_chip_limits_wrong(layers, message):
    with pytest.raises(ValueError, match=message):
        to_xylo_spec(XyloNet(*layers()))


def test_total_synapses_wrong():
    w_rec = np.zeros((1000, 1000))
    for pre in range(1000):
        w_rec[pre, (pre + np.arange(1, 34)) % 1000] = 1.0
    layout = hand_layout(np.ones((1, 1000)), w_rec, np.ones((1000, 1)), np.ones(1000), [1.0])
    with pytest.raises(ValueError, match=r"weights_rec: 33000 hidden-to-hidden synapses in total; the chip holds at "
                                         r"most 32000"):
        quantize(layout)


@pytest.mark.parametrize("sources, sizes, message", [
    ((None, 0, 0), (1, 1, 1), r"a: its neurons would alias into both b and c; the chip allows 1 alias target per neuron"),
    ((1, None, None), (1, 1, 1), r"a: aliased from b, which comes after it; an alias must point to a higher hidden"),
    ((None, 0, None), (1, 2, 0), r"b: aliased from a with 1 neurons, but has 2"),
])
def test_alias_wrong(sources, sizes, message):
    starts = np.cumsum((0,) + sizes)
    pops = [Population(name, int(starts[i]), int(starts[i + 1]), alias_source=source)
            for i, (name, source) in enumerate(zip("abc", sources)) if sizes[i]]
    layout = hand_layout([[1, 1, 1]], np.zeros((3, 3)), np.ones((3, 1)), [1, 1, 1], [1], pops)
    with pytest.raises(ValueError, match=message):
        quantize(layout)


# ---------------------------------------------------------------------------------------- NIR
def cuba(n, syn, mem, threshold, dt=DT, **extra):
    """A CubaLIF as snnTorch exports it: r = tau_mem/dt, w_in = tau_syn/dt."""
    tau_syn, tau_mem = np.full(n, syn), np.full(n, mem)
    params = dict(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, v_leak=np.zeros(n),
                  v_threshold=np.full(n, float(threshold)), v_reset=np.zeros(n), w_in=tau_syn / dt)
    params.update(extra)
    return nir.CubaLIF(**params)


def small_graph(rec_bias=None, **hidden_extra):
    """input(2) → Linear → CubaLIF(3) (+ recurrent Affine) → Linear → CubaLIF(2) → output."""
    nodes = {
        "input": nir.Input(input_type={"input": np.array([2])}),
        "fc1": nir.Linear(weight=np.array([[10.0, 0.0], [-5.5, 20.0], [0.0, 63.5]])),
        "lif1": cuba(3, 2 * DT, 16 * DT, 100, **hidden_extra),
        "rec": nir.Affine(weight=np.array([[0, 8.0, 0], [0, 0, 0], [-4.0, 0, 0]]),
                          bias=np.zeros(3) if rec_bias is None else rec_bias),
        "fc2": nir.Linear(weight=np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -127.0]])),
        "lif2": cuba(2, 4 * DT, 8 * DT, 50),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "rec"), ("rec", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
             ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def test_from_nir_hand_graph():
    """snnTorch's convention (I ← αI + x) against the chip's (I ← α(I + x)): hidden dash_syn 1 (α = 1/2)
    doubles the input weights, readout dash_syn 2 (α = 3/4) scales them by 4/3."""
    config = from_nir(small_graph(), dt=DT, scale=1)
    assert not config.weights_in[..., 1].any() and not config.weights_rec[..., 1].any()  # one synapse used
    assert config.weights_in[..., 0].tolist() == [[20, -11, 0], [0, 40, 127]] and config.weight_shift_in == 0
    assert config.weights_rec[..., 0].tolist() == [[0, 0, -8], [16, 0, 0], [0, 0, 0]]
    # readout: [[1, 0], [2, 0], [3, -127]]·4/3 = [[1.33, 0], [2.67, 0], [4, -169.3]] → shift 1 → rint(x / 2)
    assert config.weights_out.tolist() == [[1, 0], [1, 0], [2, -85]] and config.weight_shift_out == 1
    assert config.dash_mem.tolist() == [4, 4, 4] and config.dash_syn.tolist() == [1, 1, 1]
    assert config.dash_mem_out.tolist() == [3, 3] and config.dash_syn_out.tolist() == [2, 2]
    assert config.threshold.tolist() == [100] * 3 and config.threshold_out.tolist() == [50, 50]
    assert config.to_spec()["aliases"] == [[], [], []]


def test_from_nir_nested_subgraph():
    graph = small_graph()
    inner = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([3])}), "lif": graph.nodes["lif1"],
                                "w_rec": graph.nodes["rec"],
                                "output": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])
    nodes = {k: v for k, v in graph.nodes.items() if k not in ("lif1", "rec")}
    nodes["lif1"] = inner
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    nested = from_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), dt=DT, scale=1)
    flat = from_nir(graph, dt=DT, scale=1)
    assert nested == flat


def test_from_nir_bias_wrong():
    with pytest.raises(ValueError, match=r"node 'rec': Affine bias .* is non-zero; the Xylo v1 core has no bias"):
        from_nir(small_graph(rec_bias=np.array([0, 0.5, 0])), dt=DT)


def test_from_nir_leak_wrong():
    with pytest.raises(ValueError, match=r"node 'lif1': v_leak 0.1 is non-zero"):
        from_nir(small_graph(v_leak=np.full(3, 0.1)), dt=DT)


def test_from_nir_tau_syn_wrong():
    with pytest.raises(ValueError, match=r"node 'lif1': tau_syn 0.0005 s gives dash_syn 0 at dt 0.001 s"):
        from_nir(small_graph(tau_syn=np.full(3, 0.5 * DT)), dt=DT)


def test_from_nir_node_wrong():
    graph = small_graph()
    nodes = dict(graph.nodes, fc1=nir.Scale(scale=np.ones(2)))
    with pytest.raises(ValueError, match=r"node 'fc1': nir.Scale is not supported"):
        from_nir(nir.NIRGraph(nodes=nodes, edges=graph.edges, type_check=False), dt=DT)


def test_from_nir_direct_edge_wrong():
    graph = small_graph()
    edges = [e for e in graph.edges if e != ("input", "fc1")] + [("input", "lif2")]
    with pytest.raises(ValueError, match=r"node 'input': feeds \['lif2'\] directly"):
        from_nir(nir.NIRGraph(nodes=graph.nodes, edges=edges, type_check=False), dt=DT)


def mutated(nodes=None, add_edges=(), drop_edges=(), drop_nodes=()):
    graph = small_graph()
    all_nodes = {k: v for k, v in {**graph.nodes, **(nodes or {})}.items() if k not in drop_nodes}
    edges = [e for e in graph.edges if e not in drop_edges and not set(e) & set(drop_nodes)] + list(add_edges)
    return nir.NIRGraph(nodes=all_nodes, edges=edges, type_check=False)


@pytest.mark.parametrize("graph, message", [
    (lambda: mutated({"input2": nir.Input(input_type={"input": np.array([2])})}),
     r"graph: needs exactly one input and one output node, has 2 and 1"),
    (lambda: mutated(add_edges=[("fc2", "output")], drop_edges=[("lif2", "output")]),
     r"node 'output': the output must be fed by exactly one LIF/CubaLIF node \(the readout\), got \['fc2'\]"),
    (lambda: mutated({"fc2": nir.Linear(weight=np.ones((2, 4)))}),
     r"node 'fc2': weight shape \(2, 4\) does not match 'lif1' \(3\) -> 'lif2' \(2\)"),
    (lambda: mutated(add_edges=[("fc1", "lif2")]), r"node 'fc1': a weight node must feed exactly one LIF/CubaLIF node"),
    (lambda: mutated(add_edges=[("lif2", "rec")]), r"node 'lif2': the readout feeds \['output', 'rec'\]"),
    (lambda: mutated({"fc1": nir.Linear(weight=np.ones((3, 2, 1)))}),
     r"node 'fc1': weight of shape \(3, 2, 1\); the chip takes 2-D weight matrices"),
    (lambda: mutated(drop_nodes=["fc2"]), r"node 'lif2': no Linear/Affine node feeds it"),
    (lambda: mutated({"lif1": cuba(4, 2 * DT, 16 * DT, 100)}), r"node 'lif1': v_leak has shape \(4,\), expected \(3,\)"),
    (lambda: small_graph(tau_mem=np.full(3, np.nan)), r"node 'lif1': tau_mem has a value that is not finite"),
    (lambda: small_graph(v_reset=np.full(3, 0.5)), r"node 'lif1': v_reset 0.5 is non-zero"),
    (lambda: small_graph(v_threshold=np.zeros(3)), r"node 'lif1': v_threshold 0 is not positive"),
    (lambda: small_graph(tau_mem=np.full(3, -1e-3), r=np.ones(3)), r"node 'lif1': tau_mem -0.001 s is not positive"),
])
def test_from_nir_graph_wrong(graph, message):
    with pytest.raises(ValueError, match=message):
        from_nir(graph(), dt=DT)


def test_from_nir_dt_wrong():
    with pytest.raises(ValueError, match=r"dt: 0 s is not a positive, finite time"):
        from_nir(small_graph(), dt=0)


@pytest.mark.parametrize("aliases, message", [
    ([[1], [2], [3], [], []], r"aliases: neurons 0..2 alias into an overlapping range starting at 1"),
    ([[2], [2], [], [], []], r"aliases: hidden\[2:3\] receives from two populations"),
])
def test_dequantize_aliases_wrong(aliases, message):
    config = XyloConfig.from_spec(weights_in=np.ones((1, 5)), weights_out=np.ones((5, 1)), threshold=3,
                                  threshold_out=1, aliases=aliases)
    with pytest.raises(ValueError, match=message):
        dequantize(config)


def test_to_nir_round_trip_of_a_model(tmp_path):
    """Float model → NIR file → spec gives the spec of the model itself, aliases included."""
    net = residual_net(seed=3, n_in=5, n=6, n_out=3)
    nir.write(tmp_path / "net.nir", to_nir(net))
    graph = nir.read(tmp_path / "net.nir")
    assert {"layer1.w_rec", "layer2.1.w_rec"} & set(graph.nodes) == {"layer2.1.w_rec"}
    assert ("layer1", "layer2.1.readout") in graph.edges  # the alias, written as an extra edge
    assert from_nir(graph, dt=DT) == XyloConfig.from_spec(**to_xylo_spec(net))


def test_to_nir_round_trip_of_a_config():
    """Config → NIR (integer units) → spec at scale 1 gives the config back."""
    rng = np.random.default_rng(5)
    w_in, w_rec, w_out = rng.integers(-128, 128, (4, 10)), rng.integers(-128, 128, (10, 10)), rng.integers(
        -128, 128, (10, 3))
    w_in[0, 0], w_rec[0, 1], w_out[0, 0] = 127, -128, 100
    aliases = [[], [], [5], [6], [], [], [], [], [], []]
    config = XyloConfig.from_spec(weights_in=w_in, weights_rec=w_rec, weights_out=w_out, weight_shift_in=2,
                                  weight_shift_rec=1, dash_mem=rng.integers(0, 16, 10),
                                  dash_syn=rng.integers(1, 16, 10),
                                  dash_mem_out=3, dash_syn_out=2, threshold=rng.integers(1, 30000, 10),
                                  threshold_out=[7, 8, 9], aliases=aliases, dt=DT)
    layout = dequantize(config)
    assert [(p.start, p.stop, p.alias_source) for p in layout.populations] == [
        (0, 2, None), (2, 4, None), (4, 5, None), (5, 7, 1), (7, 10, None)]
    back = from_nir(to_nir(config), dt=DT, scale=1)
    assert back == config


def test_dequantize_wrong():
    config = XyloConfig.from_spec(weights_in=np.ones((1, 2)), weights_out=np.ones((2, 1)), threshold=[3, 0],
                                  threshold_out=1)
    with pytest.raises(ValueError, match="threshold: value 0 at index 1 is below 1"):
        dequantize(config)


def test_to_nir_wrong():
    with pytest.raises(TypeError, match="to_nir: expected a XyloNet or XyloConfig, got Layout"):
        to_nir(residual_net().layout())
    config = XyloConfig.from_spec(weights_in=np.ones((1, 2, 2)), weights_out=np.ones((2, 1)), threshold=1,
                                  threshold_out=1)
    with pytest.raises(ValueError, match="synapse 2 is used"):
        to_nir(config)


@pytest.mark.filterwarnings("ignore:nirtorch.extract_nir_graph is being deprecated:DeprecationWarning")
def test_from_snntorch_export():
    """An snnTorch network (Linear → RLeaky → Linear → Leaky) exported to NIR converts to the same spec
    as the equivalent XyloNet: nir.LIF gets dash_syn 1 and snnTorch's tau = dt/(1 − beta)."""
    snn = pytest.importorskip("snntorch")
    pytest.importorskip("nirtorch")
    from snntorch.export_nir import export_to_nir

    dt = 1e-4
    torch.manual_seed(1)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(16, 8, bias=False)
            self.lif1 = snn.RLeaky(beta=torch.full((8,), 1 - 2 ** -4), threshold=torch.ones(8), linear_features=8,
                                   init_hidden=True)
            self.fc2 = nn.Linear(8, 2, bias=False)
            self.lif2 = snn.Leaky(beta=torch.full((2,), 1 - 2 ** -3), threshold=torch.ones(2), init_hidden=True,
                                  output=True)

        def forward(self, x):
            return self.lif2(self.fc2(self.lif1(self.fc1(x))))

    snn_net = Net()
    with torch.no_grad():
        snn_net.lif1.recurrent.bias.zero_()
    graph = export_to_nir(snn_net, torch.zeros(16))
    ours = XyloNet(linear(16, 8, snn_net.fc1.weight), LIF(8, tau_mem=16 * dt, tau_syn=2 * dt, dt=dt, recurrent=True),
                   linear(8, 2, snn_net.fc2.weight), Readout(2, tau_mem=8 * dt, tau_syn=2 * dt, dt=dt))
    with torch.no_grad():
        ours.layers[1].w_rec.copy_(snn_net.lif1.recurrent.weight.T)
    config = from_nir(graph, dt=dt)
    assert config.dash_mem.tolist() == [4] * 8 and config.dash_mem_out.tolist() == [3] * 2
    assert config == XyloConfig.from_spec(**to_xylo_spec(ours))
    with torch.no_grad():
        snn_net.lif1.recurrent.bias.fill_(0.25)
    with pytest.raises(ValueError, match=r"node 'lif1.w_rec': Affine bias .* is non-zero"):
        from_nir(export_to_nir(snn_net, torch.zeros(16)), dt=dt)


# ------------------------------------------------------------------------ float against the chip
RECORDED = ("Vmem", "Isyn", "Spikes", "Vmem_out", "Isyn_out")


def assert_same_as_chip(config, raster, out, rec):
    chip_out, _, chip = XyloSim(config).evolve(raster, record=True)
    ours = {k: rec[k].detach().numpy().astype(np.int64) for k in RECORDED}
    ours["out"] = out.detach().numpy().astype(np.int64)
    theirs = {k: np.asarray(chip[k]).astype(np.int64) for k in RECORDED}
    theirs["out"] = np.asarray(chip_out).astype(np.int64)
    difference = first_difference(ours, theirs, axes=("sample", "step", "neuron"), names=("emulation", "XyloSim"))
    assert difference is None, str(difference)


@pytest.mark.parametrize("seed", range(16))
def test_integer_emulation_is_xylosim(seed):
    """``Layout.run(integer=True)`` on a dequantized config equals XyloSim on every recorded array:
    random configs (1-16 inputs, 4-80 hidden, 1-8 outputs) with aliases, multi-spike up to the cap,
    negative weights, dashes 0..15, weight shifts and, for even seeds, weights large enough that
    synaptic sums saturate inside a step (checked)."""
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = rng.integers(1, 17), rng.integers(4, 81), rng.integers(1, 9)
    big = seed % 2 == 0
    w_max = (127, 127, 127) if big else (30, 8, 20)
    w_rec = rng.integers(-w_max[1], w_max[1] + 1, (n_hid, n_hid)) * (rng.random((n_hid, n_hid)) < 8 / n_hid)
    half = n_hid // 2
    aliases = [[half + i] if i < half and rng.random() < 0.5 else [] for i in range(n_hid)]
    config = XyloConfig.from_spec(
        weights_in=rng.integers(-w_max[0], w_max[0] + 1, (n_in, n_hid)), weights_rec=w_rec,
        weights_out=rng.integers(-w_max[2], w_max[2] + 1, (n_hid, n_out)),
        weight_shift_in=rng.integers(0, 8 if big else 3), weight_shift_rec=rng.integers(0, 8 if big else 3),
        weight_shift_out=rng.integers(0, 8 if big else 2), dash_mem=rng.integers(0, 16, n_hid),
        dash_syn=rng.integers(0, 16, n_hid), dash_mem_out=rng.integers(0, 16, n_out),
        dash_syn_out=rng.integers(0, 16, n_out), threshold=rng.integers(1, 800, n_hid),
        threshold_out=rng.integers(1, 3000, n_out), aliases=aliases)
    raster = rng.poisson(0.3, (3, 40, n_in)) * rng.integers(1, 17 if big else 2, (3, 40, n_in))
    with torch.no_grad():
        out, rec = dequantize(config).run(torch.tensor(raster, dtype=torch.float32), integer=True)
    if big:
        assert np.abs(rec["Isyn"].numpy()).max() >= 32000  # saturating regime reached
    assert rec["Spikes"].max() > 1  # multi-spike happened
    assert_same_as_chip(config, raster, out, rec)


def test_fake_quantize_is_the_spec_with_gradients():
    net = residual_net(seed=2)
    q = quantize(net.layout())
    layout = fake_quantize(net.layout())
    expected = q.spec["weights_rec"] * 2.0 ** q.spec["weight_shift_rec"]
    assert torch.equal(layout.weights_rec.detach(), torch.tensor(expected, dtype=torch.float32))
    assert layout.threshold_out.tolist() == q.spec["threshold_out"].tolist()
    raster = torch.tensor(np.random.default_rng(0).poisson(0.5, (2, 30, 3)), dtype=torch.float32)
    out, rec = layout.run(raster, integer=True)
    rec["Vmem_out_pre"].sum().backward()
    assert net.layers[0].weight.grad is not None and net.layers[0].weight.grad.abs().sum() > 0
    assert_same_as_chip(q.config, raster.numpy().astype(np.int64), out, rec)


def test_trained_network_float_and_chip_agree(tmp_path):
    """The tutorial task after a short training (8 epochs of 128 trials, the last 2 quantization-aware,
    about 10 s): the integer emulation of training reproduces XyloSim on every test trial; the chip
    takes the float network's decision (solved or not) on >= 80% of test trials (96.9% measured), >= 98%
    of (trial, step, readout) bins are equal (99.4%), the accuracies differ by <= 0.15 (0.03) and the
    float network solves >= 40% (66%). The default 30-epoch runs (seeds 0-2): 69-92%, 95-98% same decisions."""
    from spikegate.converter.xylo.task import run_experiment

    report = run_experiment(tmp_path, seed=0, epochs=8, n_train=128, n_test=32, qat_epochs=2, progress=False)
    assert report["emulation_identical"] == 1.0
    assert report["decision_agreement"] >= 0.8
    assert report["output_bin_agreement"] >= 0.98
    assert abs(report["accuracy_float"] - report["accuracy_chip"]) <= 0.15
    assert report["accuracy_float"] >= 0.4
    assert {p.name for p in tmp_path.iterdir()} == {"config.json", "input.npy", "xylo.png", "report.json"}


def test_from_nir_unreachable_node_wrong():
    """A population the input never reaches would be left out of the chip: refused, not dropped."""
    graph = mutated({"lone": cuba(3, 2 * DT, 16 * DT, 100), "fc_lone": nir.Linear(weight=np.ones((3, 3)))},
                    add_edges=[("lone", "fc_lone"), ("fc_lone", "lone")])
    with pytest.raises(ValueError, match=r"node 'lone': not reachable from the input node 'input'"):
        from_nir(graph, dt=DT)
