"""NIR graphs to and from the Xylo LIF array.

:func:`from_nir` reads graphs of ``nir.Linear`` / ``nir.Affine`` (zero bias) weight nodes and
``nir.LIF`` / ``nir.CubaLIF`` neuron nodes, as rockpool, snnTorch and Norse export them, nested
subgraphs included (snnTorch's ``RLeaky`` is a LIF node in a cycle with an Affine named
``<name>.w_rec``). The neuron node that feeds the graph's output is the readout; the others are hidden
populations, stacked in the order a breadth-first walk from the input meets them. Several edges into
one node add up (NIR's rule).

Neuron parameters, per neuron, with time step ``dt`` (NIR graphs carry none; snnTorch assumes
1e-4 s): ``dash = round(log2(tau / dt))`` clipped to 0..15. NIR's forward-Euler reading of the
equations gives ``I ← α·I + (dt/τ_syn)·w_in·x`` and ``V ← β·V + (dt/τ_mem)·r·I``; the chip adds before
it decays (``I ← α_x·(I + x)``), so each neuron's input weights are multiplied by
``(dt/τ_syn)·w_in·(dt/τ_mem)·r / α_x`` with ``α_x = 1 − 2^−dash_syn`` (1 for snnTorch's exports). A
``nir.LIF`` has no synaptic current but the chip always has one: it gets ``dash_syn = 1``, the fastest
synapse that passes current (half of an input reaches the membrane in its own step, the rest over the
following steps; the total charge is kept). ``v_leak`` and ``v_reset`` must be 0: the chip resets by
subtracting the threshold.

Residual connections: when a hidden population A feeds every weight node that an equally large later
population B feeds, A is mapped to aliases into B (the chip adds A's spike counts to B's counters)
instead of duplicated weights. :func:`to_nir` writes aliases that way, so the two functions
round-trip.
"""

from __future__ import annotations

from collections import deque

import nir
import numpy as np
import torch

from spikegate.sim.xylo.config import MAX_DASH, XyloConfig

from .modules import Layout, Population, XyloNet, decay_factor
from .quantize import DEFAULT_MAX_THRESHOLD, dequantize, quantize

_WEIGHTS = (nir.Linear, nir.Affine)
_NEURONS = (nir.LIF, nir.CubaLIF)
NIR_DT = 1e-4  #: snnTorch's export assumes this step


def from_nir(graph: nir.NIRGraph, dt: float = NIR_DT, scale=None, max_threshold: int = DEFAULT_MAX_THRESHOLD) -> XyloConfig:
    """The validated register configuration of a NIR graph; ``scale`` and ``max_threshold`` as
    :func:`~spikegate.converter.xylo.to_xylo_spec` (``config.to_spec()`` gives rockpool's spec dict)."""
    return XyloConfig.from_spec(**quantize(layout_from_nir(graph, dt), scale, max_threshold, dt=dt).spec)


def layout_from_nir(graph: nir.NIRGraph, dt: float = NIR_DT) -> Layout:
    """The float network of a NIR graph in the chip's shape (see the module docstring)."""
    nodes, edges = _flatten(graph)
    succ: dict[str, list[str]] = {name: [] for name in nodes}
    pred: dict[str, list[str]] = {name: [] for name in nodes}
    for a, b in edges:
        succ[a].append(b)
        pred[b].append(a)
    for name, node in nodes.items():
        if not isinstance(node, (*_WEIGHTS, *_NEURONS, nir.Input, nir.Output)):
            raise ValueError(f"node '{name}': nir.{type(node).__name__} is not supported; the Xylo array takes "
                             f"Linear/Affine and LIF/CubaLIF nodes")
    inputs = [n for n, node in nodes.items() if isinstance(node, nir.Input)]
    outputs = [n for n, node in nodes.items() if isinstance(node, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"graph: needs exactly one input and one output node, has {len(inputs)} and {len(outputs)}")
    readouts = pred[outputs[0]]
    if len(readouts) != 1 or not isinstance(nodes[readouts[0]], _NEURONS):
        raise ValueError(f"node '{outputs[0]}': the output must be fed by exactly one LIF/CubaLIF node (the readout), "
                         f"got {readouts}")
    readout = readouts[0]
    reached = _walk(inputs[0], succ)
    hidden = [n for n in reached if isinstance(nodes[n], _NEURONS) and n != readout]
    for name, node in nodes.items():
        _check_edges(name, node, nodes, succ, readout)
    sizes = {n: _neuron_size(n, nodes, pred) for n in [*hidden, readout]}
    unreached = [n for n in nodes if n not in reached]
    if unreached:
        raise ValueError(f"node '{unreached[0]}': not reachable from the input node '{inputs[0]}' (all unreached: "
                         f"{unreached}); the chip would leave it out: connect it or remove it")
    sizes[inputs[0]] = _weight_of(nodes[succ[inputs[0]][0]], succ[inputs[0]][0]).shape[1]
    starts = np.cumsum([0] + [sizes[n] for n in hidden])
    rows = {n: slice(int(starts[k]), int(starts[k + 1])) for k, n in enumerate(hidden)}
    populations = [Population(n, rows[n].start, rows[n].stop) for n in hidden]
    alias_into = _find_aliases(hidden, sizes, succ)
    for source, target in alias_into.items():
        populations[hidden.index(target)].alias_source = hidden.index(source)
    n_in, n_hid, n_out = sizes[inputs[0]], int(starts[-1]), sizes[readout]
    w_in, w_rec, w_out = np.zeros((n_in, n_hid)), np.zeros((n_hid, n_hid)), np.zeros((n_hid, n_out))
    params = {n: _neuron_params(n, nodes[n], sizes[n], dt) for n in [*hidden, readout]}
    for name, node in nodes.items():
        if not isinstance(node, _WEIGHTS):
            continue
        post = succ[name][0]
        weight = _weight_of(node, name).T * params[post]["gain"]  # [pre, post]
        for pre in pred[name]:
            if weight.shape != (sizes[pre], sizes[post]):
                raise ValueError(f"node '{name}': weight shape {weight.T.shape} does not match '{pre}' "
                                 f"({sizes[pre]}) -> '{post}' ({sizes[post]})")
            if pre in alias_into and name in succ[alias_into[pre]]:
                continue  # carried by the alias
            if pre == inputs[0]:
                w_in[:, rows[post]] += weight
            elif post == readout:
                w_out[rows[pre]] += weight
            else:
                w_rec[rows[pre], rows[post]] += weight
    def as_tensor(values):
        return torch.tensor(np.concatenate(values), dtype=torch.float32)

    return Layout(
        weights_in=torch.tensor(w_in, dtype=torch.float32), weights_rec=torch.tensor(w_rec, dtype=torch.float32),
        weights_out=torch.tensor(w_out, dtype=torch.float32),
        threshold=as_tensor([params[n]["threshold"] for n in hidden]),
        threshold_out=as_tensor([params[readout]["threshold"]]),
        dash_mem=torch.tensor(np.concatenate([params[n]["dash_mem"] for n in hidden])),
        dash_syn=torch.tensor(np.concatenate([params[n]["dash_syn"] for n in hidden])),
        dash_mem_out=torch.tensor(params[readout]["dash_mem"]), dash_syn_out=torch.tensor(params[readout]["dash_syn"]),
        populations=populations, input_name=f"node '{succ[inputs[0]][0]}'", output_name=f"node '{readout}'")


def _flatten(graph: nir.NIRGraph, prefix: str = "") -> tuple[dict, list[tuple[str, str]]]:
    """Nodes and edges with nested graphs inlined (their input/output nodes become pass-throughs)."""
    nodes: dict[str, nir.NIRNode] = {}
    edges: list[tuple[str, str]] = []
    entry, exit_ = {}, {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, f"{prefix}{name}.")
            ins = [n for n, s in sub_nodes.items() if isinstance(s, nir.Input)]
            outs = [n for n, s in sub_nodes.items() if isinstance(s, nir.Output)]
            entry[name] = [b for a, b in sub_edges if a in ins]
            exit_[name] = [a for a, b in sub_edges if b in outs]
            nodes.update({n: s for n, s in sub_nodes.items() if n not in ins and n not in outs})
            edges.extend((a, b) for a, b in sub_edges if a not in ins and b not in outs)
        else:
            nodes[prefix + name] = node
    for a, b in graph.edges:
        for src in exit_.get(a, [prefix + a]):
            for dst in entry.get(b, [prefix + b]):
                edges.append((src, dst))
    return nodes, edges


def _walk(start: str, succ: dict[str, list[str]]) -> list[str]:
    """Nodes in breadth-first order from ``start`` (successors in edge order)."""
    order, seen, queue = [], {start}, deque([start])
    while queue:
        name = queue.popleft()
        order.append(name)
        for nxt in succ[name]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def _check_edges(name, node, nodes, succ, readout) -> None:
    kinds = [type(nodes[s]) for s in succ[name]]
    if isinstance(node, _WEIGHTS):
        if len(kinds) != 1 or not issubclass(kinds[0], _NEURONS):
            raise ValueError(f"node '{name}': a weight node must feed exactly one LIF/CubaLIF node, feeds "
                             f"{succ[name]}")
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            raise ValueError(f"node '{name}': Affine bias {np.asarray(node.bias).ravel()[:4]}... is non-zero; the Xylo "
                             f"v1 core has no bias")
    elif isinstance(node, (*_NEURONS, nir.Input)):
        if name == readout and len(succ[name]) != 1:
            raise ValueError(f"node '{name}': the readout feeds {succ[name]}; on the chip it can only feed the output")
        if name != readout and not all(issubclass(k, _WEIGHTS) for k in kinds):
            raise ValueError(f"node '{name}': feeds {succ[name]} directly; the chip needs a Linear/Affine node between "
                             f"populations")


def _weight_of(node, name: str) -> np.ndarray:
    weight = np.asarray(node.weight, dtype=np.float64)
    if weight.ndim != 2:
        raise ValueError(f"node '{name}': weight of shape {weight.shape}; the chip takes 2-D weight matrices")
    return weight


def _neuron_size(name: str, nodes, pred) -> int:
    feeding = [_weight_of(nodes[p], p).shape[0] for p in pred[name] if isinstance(nodes[p], _WEIGHTS)]
    if not feeding:
        raise ValueError(f"node '{name}': no Linear/Affine node feeds it")
    return feeding[0]


def _neuron_params(name: str, node, size: int, dt: float) -> dict[str, np.ndarray]:
    """Dashes, threshold and input gain (module docstring) of one neuron node, per neuron."""
    def per_neuron(field):
        value = np.asarray(getattr(node, field), dtype=np.float64)
        try:
            value = np.broadcast_to(value.ravel() if value.size > 1 else value.reshape(()), (size,)).copy()
        except ValueError:
            raise ValueError(f"node '{name}': {field} has shape {value.shape}, expected ({size},)") from None
        if not np.all(np.isfinite(value)):
            raise ValueError(f"node '{name}': {field} has a value that is not finite")
        return value

    for field in ("v_leak", "v_reset"):
        value = per_neuron(field) if getattr(node, field, None) is not None else np.zeros(size)
        if np.any(value != 0):
            raise ValueError(f"node '{name}': {field} {value[np.flatnonzero(value)[0]]:g} is non-zero; the chip leaks "
                             f"to 0 and resets by subtracting the threshold")
    tau_mem = per_neuron("tau_mem" if isinstance(node, nir.CubaLIF) else "tau")
    dash_mem = _dashes(name, "tau_mem" if isinstance(node, nir.CubaLIF) else "tau", tau_mem, dt)
    gain = dt / tau_mem * per_neuron("r")
    if isinstance(node, nir.CubaLIF):
        tau_syn = per_neuron("tau_syn")
        dash_syn = _dashes(name, "tau_syn", tau_syn, dt)
        if np.any(dash_syn == 0):
            index = int(np.argmax(dash_syn == 0))
            raise ValueError(f"node '{name}': tau_syn {tau_syn[index]:g} s gives dash_syn 0 at dt {dt:g} s, and a "
                             f"Xylo synapse with dash 0 passes no current; the limit is tau_syn >= "
                             f"{np.sqrt(2) * dt:.3g} s")
        gain = gain * dt / tau_syn * per_neuron("w_in") / decay_factor(torch.tensor(dash_syn)).double().numpy()
    else:
        dash_syn = np.ones(size, dtype=np.int64)
    threshold = per_neuron("v_threshold")
    if np.any(threshold <= 0):
        raise ValueError(f"node '{name}': v_threshold {threshold.min():g} is not positive")
    return {"dash_mem": dash_mem, "dash_syn": dash_syn, "threshold": threshold, "gain": gain}


def _dashes(name: str, field: str, tau: np.ndarray, dt: float) -> np.ndarray:
    """4-bit decay shifts of ``tau`` (s, per neuron) at step ``dt`` (s): the rule of :func:`~.modules.dash_from_tau`
    (``round(log2(tau / dt))`` clipped to 0..MAX_DASH), with errors naming the NIR node."""
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt: {dt!r} s is not a positive, finite time")
    if np.any(tau <= 0):
        raise ValueError(f"node '{name}': {field} {tau.min():g} s is not positive")
    return np.clip(np.floor(np.log2(tau / dt) + 0.5), 0, MAX_DASH).astype(np.int64)


def _find_aliases(hidden: list[str], sizes, succ) -> dict[str, str]:
    """Population A aliases into the first later population B of A's size whose weight nodes A all
    feeds too (and B has no other alias source)."""
    alias_into: dict[str, str] = {}
    for i, a in enumerate(hidden):
        for b in hidden[i + 1:]:
            consumers = set(succ[b])
            if (sizes[a] == sizes[b] and consumers and consumers <= set(succ[a])
                    and b not in alias_into.values()):
                alias_into[a] = b
                break
    return alias_into


def to_nir(model: XyloNet | XyloConfig) -> nir.NIRGraph:
    """A NIR graph of a float network or of a config (in integer state units, see
    :func:`~.quantize.dequantize`): one CubaLIF node per population (``hidden[a:b]`` or the layer's
    name), one Linear node per non-zero weight block (recurrent blocks named ``<population>.w_rec``),
    ``tau = dt · 2^dash``, and aliases written as extra edges into the target's weight nodes."""
    if isinstance(model, XyloConfig):
        layout, dt = dequantize(model), model.dt
    elif isinstance(model, XyloNet):
        layout, dt = model.layout(), model.dt
    else:
        raise TypeError(f"to_nir: expected a XyloNet or XyloConfig, got {type(model).__name__}")
    ident = {p.name: _node_name(p.name) for p in layout.populations}
    nodes: dict[str, nir.NIRNode] = {"input": nir.Input(input_type={"input": np.array([layout.weights_in.shape[0]])})}
    edges: list[tuple[str, str]] = []
    w_in, w_rec, w_out = (t.detach().double().numpy() for t in (layout.weights_in, layout.weights_rec,
                                                                 layout.weights_out))

    def part(pop: Population) -> slice:
        return slice(pop.start, pop.stop)

    for pop in layout.populations:
        nodes[ident[pop.name]] = _cuba(layout.dash_mem[part(pop)], layout.dash_syn[part(pop)],
                                       layout.threshold[part(pop)], dt)
    nodes["readout"] = _cuba(layout.dash_mem_out, layout.dash_syn_out, layout.threshold_out, dt)
    nodes["output"] = nir.Output(output_type={"output": np.array([w_out.shape[1]])})
    edges.append(("readout", "output"))
    blocks: list[tuple[str, np.ndarray, str, str]] = []  # (name, [pre, post] block, pre, post)
    for post in layout.populations:
        block = w_in[:, part(post)]
        if np.any(block):
            blocks.append((f"input.{ident[post.name]}", block, "input", ident[post.name]))
        for pre in layout.populations:
            block = w_rec[part(pre), part(post)]
            name = f"{ident[pre.name]}.w_rec" if pre is post else f"{ident[pre.name]}.{ident[post.name]}"
            if np.any(block):
                blocks.append((name, block, ident[pre.name], ident[post.name]))
    for pre in layout.populations:
        block = w_out[part(pre)]
        if np.any(block):
            blocks.append((f"{ident[pre.name]}.readout", block, ident[pre.name], "readout"))
    for name, block, pre, post in blocks:
        nodes[name] = nir.Linear(weight=block.T.astype(np.float32))
        edges += [(pre, name), (name, post)]
    for target in layout.populations:
        if target.alias_source is not None:
            source = ident[layout.populations[target.alias_source].name]
            edges += [(source, name) for name, _, pre, _ in blocks if pre == ident[target.name]]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _node_name(name: str) -> str:
    return name.replace(" ", "").replace("(", "").replace(")", "")


def _cuba(dash_mem, dash_syn, threshold, dt: float) -> nir.CubaLIF:
    """A CubaLIF node whose Euler reading is the chip's step: ``tau = dt·2^dash``, ``r = tau_mem/dt``
    and ``w_in = α_x · tau_syn/dt`` (so that from_nir's input gain is exactly 1)."""
    dash_mem, dash_syn = (np.asarray(d, dtype=np.float64) for d in (dash_mem, dash_syn))
    tau_mem, tau_syn = dt * 2.0 ** dash_mem, dt * 2.0 ** dash_syn
    alpha = 1.0 - 2.0 ** -dash_syn
    threshold = np.asarray(threshold.detach() if isinstance(threshold, torch.Tensor) else threshold, dtype=np.float64)
    return nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, v_leak=np.zeros_like(tau_mem),
                       v_threshold=threshold, v_reset=np.zeros_like(tau_mem), w_in=alpha * tau_syn / dt)
