"""Memory demand of the layers and their placement onto the nine cores (spec §5).

A layer fits a core when its kernel, neuron and bias demands are all within the core's capacities
(``CHIP_PROFILES``). ``"auto"`` placement is the maximum bipartite matching sinabs finds: Edmonds–Karp
(breadth-first augmenting paths) on source → layer → core → sink, with every node's edges kept in
sinabs' insertion order (so that the same matching comes out, not just a matching of the same size):

- source: the edges to layers 0, 1, ...;
- layer i: its reverse edge to the source, then its edges to the cores it fits, ascending;
- core j: the reverse edges of the layers that fit it (in layer order), then its edge to the sink;
- sink: the reverse edges of cores 0..8.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from spikegate.sim.dynapcnn.config import CHIP_PROFILES, N_CORES, memory_demand

from .layers import Layer

MEMORY_KINDS = ("kernel", "neuron", "bias")


def layer_memory(layer: Layer) -> dict[str, int]:
    """Entries of kernel, neuron and bias memory the layer needs (sinabs' ``memory_summary``; the formula
    is :func:`~spikegate.sim.dynapcnn.config.memory_demand`): bias f if the layer has a bias."""
    f, c, ky, kx = layer.weight.shape
    _, height, width = layer.neuron_shape
    return memory_demand(c, f, ky * kx, (width, height), 0 if layer.bias is None else f)


def overshoot(demand: Mapping[str, int], capacity: Mapping[str, int]) -> dict[str, int]:
    """Per memory kind, by how many entries ``demand`` exceeds ``capacity`` (kinds that fit are left out)."""
    return {kind: demand[kind] - capacity[kind] for kind in MEMORY_KINDS if demand[kind] > capacity[kind]}


def fitting_cores(layer: Layer, chip: str) -> list[int]:
    """Cores (ascending) whose memories hold the layer; raises ValueError naming the memory if none does."""
    demand = layer_memory(layer)
    capacities = CHIP_PROFILES[chip]
    cores = [core for core in range(N_CORES) if not overshoot(demand, capacities[core])]
    if cores:
        return cores
    for kind in MEMORY_KINDS:
        largest = max(capacity[kind] for capacity in capacities)
        if demand[kind] > largest:
            raise ValueError(f"{layer.label}: too large for any core of {chip}: {kind} memory of {demand[kind]} "
                             f"entries is over the largest core capacity of {largest} by {demand[kind] - largest}")
    per_core = "; ".join(f"core {core}: " + ", ".join(f"{kind} over by {n}" for kind, n in
                                                      overshoot(demand, capacities[core]).items())
                         for core in range(N_CORES))
    raise ValueError(f"{layer.label}: too large for any core of {chip}: no core has room for kernel "
                     f"{demand['kernel']}, neuron {demand['neuron']} and bias {demand['bias']} entries together "
                     f"({per_core})")


def auto_placement(layers: Sequence[Layer], chip: str) -> dict[int, int]:
    """Layer index → core by sinabs' Edmonds–Karp matching (module docstring); ValueError naming an
    unplaceable layer."""
    if len(layers) > N_CORES:
        raise ValueError(f"no valid placement: the model has {len(layers)} layers, the chip {N_CORES} cores")
    fits = [fitting_cores(layer, chip) for layer in layers]
    matched = match(fits)
    for layer, core, cores in zip(layers, matched, fits):
        if core is None:
            holders = sorted(i for i, c in enumerate(matched) if c in cores)
            raise ValueError(f"no valid placement: {layer.label} fits only cores {cores}, which the matching gives "
                             f"to layers {holders}")
    return {layer.index: core for layer, core in zip(layers, matched)}


def match(fits: Sequence[Sequence[int]], n_cores: int = N_CORES) -> list[int | None]:
    """Maximum matching of layers to cores (``fits[i]``: the cores layer i may take, ascending), by
    Edmonds–Karp with sinabs' edge order. Returns each layer's core, or None where it stays unmatched."""
    n = len(fits)
    source, sink = 0, n + n_cores + 1
    # Edge: [target, capacity, flow, index of the reverse edge in graph[target]]
    graph: list[list[list[int]]] = [[] for _ in range(sink + 1)]

    def connect(a: int, b: int) -> None:
        graph[a].append([b, 1, 0, len(graph[b])])
        graph[b].append([a, 0, 0, len(graph[a]) - 1])

    for i in range(n):
        connect(source, 1 + i)
    for i, cores in enumerate(fits):
        for core in cores:
            connect(1 + i, 1 + n + core)
    for core in range(n_cores):
        connect(1 + n + core, sink)
    while True:
        parent: list[tuple[int, int] | None] = [None] * len(graph)  # (node, edge index) the BFS came from
        queue = deque([source])
        while queue and parent[sink] is None:
            node = queue.popleft()
            for e, (target, capacity, flow, _) in enumerate(graph[node]):
                if parent[target] is None and target != source and capacity > flow:
                    parent[target] = (node, e)
                    queue.append(target)
        if parent[sink] is None:
            break
        node = sink
        while node != source:
            previous, e = parent[node]
            edge = graph[previous][e]
            edge[2] += 1
            graph[node][edge[3]][2] -= 1
            node = previous
    return [next((target - 1 - n for target, _, flow, _ in graph[1 + i] if flow == 1 and target > n), None)
            for i in range(n)]


def explicit_placement(layers: Sequence[Layer], ordering, chip: str) -> dict[int, int]:
    """Layer index → core from a sequence (one core per layer, in layer order) or a mapping; checks the
    cores exist, differ, and hold the layer's memory (sinabs leaves that to samna)."""
    if isinstance(ordering, Mapping):
        placement = {int(k): v for k, v in ordering.items()}
        if sorted(placement) != [layer.index for layer in layers]:
            raise ValueError(f"chip_layers_ordering: keys {sorted(placement)} must be exactly the layer indices "
                             f"{[layer.index for layer in layers]}")
    else:
        ordering = list(ordering)
        if len(ordering) != len(layers):
            raise ValueError(f"chip_layers_ordering: {len(ordering)} cores given for {len(layers)} layers")
        placement = dict(zip((layer.index for layer in layers), ordering))
    seen: dict[int, int] = {}
    for layer in layers:
        core = placement[layer.index]
        if isinstance(core, bool) or not isinstance(core, int) or not 0 <= core < N_CORES:
            raise ValueError(f"chip_layers_ordering: core {core!r} for {layer.label} is not a core index "
                             f"0..{N_CORES - 1}")
        if core in seen:
            raise ValueError(f"chip_layers_ordering: core {core} is given to both layer {seen[core]} and layer "
                             f"{layer.index}")
        seen[core] = layer.index
        over = overshoot(layer_memory(layer), CHIP_PROFILES[chip][core])
        if over:
            kind, n = next(iter(over.items()))
            raise ValueError(f"chip_layers_ordering: {layer.label} does not fit core {core} of {chip}: {kind} memory "
                             f"of {layer_memory(layer)[kind]} entries is over its capacity of "
                             f"{CHIP_PROFILES[chip][core][kind]} by {n}")
    return placement
