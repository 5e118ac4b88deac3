"""Seeded random small sequential networks for comparing the converter and the time-stepped model with
sinabs (or with hand rules when sinabs is absent). Test-only."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from spikegate.converter.dynapcnn import IAF, SumPool2d, from_torch
from spikegate.converter.dynapcnn.demo import seed_network


def _spiking(rng, kind: str, sinabs_layers):
    """A spiking module: ReLU (ANN), sinabs' IAFSqueeze, or spikegate's IAF, with random parameters."""
    if kind == "relu":
        return nn.ReLU()
    min_v_mem = None if rng.random() < 0.3 else -float(np.float32(rng.uniform(0.1, 3.0)))
    # without min_v_mem the scale is 1 (spec §4): a threshold below 1 would round to 0
    threshold = float(np.float32(rng.uniform(0.3 if min_v_mem is not None else 1.0, 2.0)))
    zero = rng.random() < 0.3
    if kind == "spikegate":
        return IAF(threshold, min_v_mem, "zero" if zero else "subtract")
    from sinabs.activation import MembraneReset, MembraneSubtract

    return sinabs_layers.IAFSqueeze(spike_threshold=threshold, min_v_mem=min_v_mem, batch_size=1,
                                    reset_fn=MembraneReset() if zero else MembraneSubtract())


def _pooling(rng, size: int, kind: str, sinabs_layers) -> list[nn.Module]:
    """A chain of average / sum poolings (sizes 2) that leaves at least a 1x1 map."""
    chain = []
    for _ in range(rng.integers(0, 3)):
        if size // 2 < 1:
            break
        size //= 2
        if rng.random() < 0.5 or kind == "relu":
            chain.append(nn.AvgPool2d(2))
        else:
            chain.append(SumPool2d(2) if kind == "spikegate" else sinabs_layers.SumPool2d(2))
    return chain


def random_model(seed: int, kind: str = "relu", sinabs_layers=None, bias_scale: float = 0.3,
                 weight_mean: float = 0.1) -> tuple[nn.Sequential, tuple[int, int, int]]:
    """A random ``nn.Sequential`` and its input shape (C, H, W).

    kind: "relu" (an ANN ending in a Linear without ReLU, which sinabs' from_model(add_spiking_output=True)
    completes with a spiking layer), "sinabs" (sinabs' IAFSqueeze and SumPool2d; pass ``sinabs.layers``) or "spikegate"
    (this package's IAF and SumPool2d). 1-3 conv layers (kernel 1-5, stride 1-2, padding, optional bias and
    BatchNorm), each followed by a pooling chain, then Flatten and Linear (always for an ANN).
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    channels, size = int(rng.integers(1, 3)), int(rng.integers(8, 17))
    shape = (channels, size, size)
    modules: list[nn.Module] = []
    for _ in range(rng.integers(1, 4)):
        kernel = int(rng.integers(1, min(5, size) + 1))
        stride = 2 if rng.random() < 0.25 and size >= 2 * kernel else 1
        padding = int(rng.integers(0, kernel // 2 + 1))
        features = int(rng.choice([2, 4, 8, 16]))
        conv = nn.Conv2d(channels, features, kernel, stride, padding, bias=rng.random() < 0.4)
        with torch.no_grad():
            conv.weight.add_(weight_mean * conv.weight.abs().mean())
            if conv.bias is not None:
                conv.bias.copy_(torch.from_numpy(rng.normal(0, bias_scale, features)))
        modules.append(conv)
        if rng.random() < 0.25:
            bn = nn.BatchNorm2d(features)
            with torch.no_grad():
                bn.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.2, features)))
                bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, features)))
                bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, features)))
                bn.bias.copy_(torch.from_numpy(rng.normal(0, 0.2, features)))
            modules.append(bn)
        modules.append(_spiking(rng, kind, sinabs_layers))
        if rng.random() < 0.2:
            modules.append(nn.Dropout(0.5) if rng.random() < 0.5 else nn.Identity())
        size = (size + 2 * padding - kernel) // stride + 1
        chain = _pooling(rng, size, kind, sinabs_layers)
        for _ in chain:
            size //= 2
        modules += chain
        channels = features
    if size <= 16 and (kind == "relu" or rng.random() < 0.6):
        modules += [nn.Flatten(), nn.Linear(channels * size * size, int(rng.integers(2, 11)),
                                            bias=rng.random() < 0.4)]
        if kind != "relu":
            modules.append(_spiking(rng, kind, sinabs_layers))
    model = nn.Sequential(*modules).eval()
    return model, shape


def sinabs_network(model: nn.Sequential, shape: tuple[int, int, int], ann: bool):
    """sinabs' DynapcnnNetwork of ``model`` (an ANN goes through ``from_model(add_spiking_output=True)``)."""
    from sinabs.backend.dynapcnn import DynapcnnNetwork
    from sinabs.from_torch import from_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snn = from_model(model, add_spiking_output=True, batch_size=1).spiking_model if ann else model
        return DynapcnnNetwork(snn, input_shape=shape, discretize=True)


def sinabs_seed_pair():
    """The seed network (torch.manual_seed(0)) as sinabs' DynapcnnNetwork and as spikegate's ChipConfig."""
    torch.manual_seed(0)
    ann = seed_network()
    return sinabs_network(ann, (1, 28, 28), ann=True), from_torch(ann, (1, 28, 28))


def sinabs_random_pairs(seeds, with_state: bool = False):
    """For each seed: (context, input shape, sinabs' DynapcnnNetwork, spikegate's ChipConfig) of
    :func:`random_model`, ANNs for even seeds and SNNs of sinabs' layers for odd ones. ``with_state``: the
    SNNs first run 3 steps of random input, so that their spiking layers carry a state (spec §4's V0)."""
    import sinabs.layers as sl

    for seed in seeds:
        kind = ("relu", "sinabs")[seed % 2]
        model, shape = random_model(seed, kind, sl)
        if with_state and kind == "sinabs":
            with torch.no_grad():
                model(3 * torch.rand((3, *shape), generator=torch.Generator().manual_seed(seed)))
        net = sinabs_network(model, shape, ann=kind == "relu")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = from_torch(model, shape)
        yield f"seed {seed} ({kind})", shape, net, config
