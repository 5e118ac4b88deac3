"""Torch or NIR model → :class:`~spikegate.sim.dynapcnn.config.ChipConfig` (spec §3-§5), as sinabs'
``DynapcnnNetwork`` computes it: same layers, discretized values, placement and monitors.

Differences from sinabs, all on purpose: every chip limit is checked here with an error naming the
layer (sinabs leaves most of them to samna), an explicit placement is memory-checked, pooling padding
is refused instead of ignored, and only chains (sequential models) are converted. The network's input
enters through an identity DVS layer (:meth:`DvsLayerConfig.direct`): input events (x, y, p) reach the
first layer's core at (x, y) with channel p.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable

import numpy as np

from spikegate.sim.checks import as_int_array
from spikegate.sim.dynapcnn.config import CHIP_PROFILES, ChipConfig, CoreConfig, Destination, DvsLayerConfig, \
    core_memory

from . import discretize as disc
from .layers import Layer, group, nir_ops, torch_ops
from .placement import auto_placement, explicit_placement


def from_torch(model, input_shape: tuple[int, int, int], chip: str = "speck2f", chip_layers_ordering="auto",
               discretize: bool = True, monitor_layers=None) -> ChipConfig:
    """Convert a ``torch.nn.Sequential`` (ANN or SNN) into the chip's register configuration.

    Args:
        model: an ``nn.Sequential`` of Conv2d, Linear, ReLU, AvgPool2d, Flatten, Dropout, Identity,
            BatchNorm1d/2d (folded into the weight layer before it), or of spiking modules: this package's
            :class:`IAF` and :class:`SumPool2d`, or sinabs' ``IAF``/``IAFSqueeze``/``SumPool2d``. Each ReLU
            becomes IAF(1, −1); an ANN's last weight layer without ReLU gets that spiking output.
        input_shape: (C, H, W) of the input.
        chip: a profile of ``CHIP_PROFILES`` ("speck2f", "speck2e", "dynapcnn_devkit").
        chip_layers_ordering: "auto" (sinabs' matching), or the cores of the layers in order (sequence),
            or a mapping {layer index: core}.
        discretize: scale and round to the chip's integers (spec §4); when False the values must already
            be integers in range.
        monitor_layers: layers whose output events go to the host: None (the exit layer), "all", or an
            iterable of layer indices, −1 meaning the exit layer and "dvs" the input layer.

    Returns:
        The validated ChipConfig; ``layer_to_core`` maps the model's layer indices (order of its weight
        layers) to cores.
    """
    return _build(group(torch_ops(model), input_shape), chip, chip_layers_ordering, discretize, monitor_layers)


def from_nir(graph, input_shape: tuple[int, int, int] | None = None, chip: str = "speck2f",
             chip_layers_ordering="auto", discretize: bool = True, monitor_layers=None) -> ChipConfig:
    """Convert a chain-shaped NIR graph (Input → Conv2d/Linear/Affine → IF → SumPool2d/AvgPool2d, Flatten
    → ... → Output) like :func:`from_torch`. An IF node becomes IAF(v_threshold, min_v_mem=−v_threshold,
    subtracting reset), as in sinabs' NIR import. ``input_shape`` defaults to the Input node's (C, H, W)."""
    ops, declared = nir_ops(graph)
    shape = input_shape if input_shape is not None else declared
    if shape is None:
        raise ValueError("input_shape: the graph's Input node declares no (C, H, W) shape; give input_shape")
    return _build(group(ops, shape), chip, chip_layers_ordering, discretize, monitor_layers)


def memory_summary(config: ChipConfig) -> dict[str, dict[int, int]]:
    """Memory demand per model layer, as sinabs' ``DynapcnnNetwork.memory_summary()``:
    ``{"kernel": {layer: entries}, "neuron": {...}, "bias": {...}}``. Bias entries count when the core
    uses its biases (``leak_enable``); sinabs counts them whenever the torch layer has a bias parameter,
    which differs only for a bias that is all zero."""
    demands = {layer: core_memory(config.cores[core]) for layer, core in sorted(config.layer_to_core.items())}
    return {kind: {layer: demand[kind] for layer, demand in demands.items()} for kind in ("kernel", "neuron", "bias")}


# ---------------------------------------------------------------------------------------------- build
def _build(layers: list[Layer], chip: str, ordering, discretize: bool, monitor_layers) -> ChipConfig:
    if chip not in CHIP_PROFILES:
        raise ValueError(f"chip: value {chip!r} is not one of the profiles {tuple(CHIP_PROFILES)}")
    if isinstance(ordering, str):
        if ordering != "auto":
            raise ValueError(f"chip_layers_ordering: value {ordering!r} is neither 'auto' nor a list of cores")
        placement = auto_placement(layers, chip)
    else:
        placement = explicit_placement(layers, ordering, chip)
    monitored, monitor_dvs = _monitored(layers, monitor_layers)
    cores = {}
    for layer in layers:
        following = layers[layer.index + 1] if layer.index + 1 < len(layers) else None
        destinations = () if following is None else ((placement[following.index], layer.pooling),)
        cores[placement[layer.index]] = _core(layer, destinations, layer.index in monitored, discretize)
    _, height, width = layers[0].input_shape
    dvs = DvsLayerConfig.direct([placement[layers[0].index]], (width, height))
    try:
        return ChipConfig(chip=chip, cores=cores, dvs_layer=dataclasses.replace(dvs, monitor_enable=monitor_dvs),
                          layer_to_core=placement)
    except ValueError as error:
        raise ValueError(f"{error} (layer → core: {placement})") from None


def _monitored(layers: list[Layer], monitor_layers) -> tuple[set[int], bool]:
    """Monitored layer indices and whether the DVS (input) layer is monitored."""
    exit_layer = layers[-1].index
    if monitor_layers is None:
        return {exit_layer}, False
    if isinstance(monitor_layers, str):
        if monitor_layers != "all":
            raise ValueError(f"monitor_layers: value {monitor_layers!r} is neither 'all' nor a list of layers")
        return {layer.index for layer in layers}, False
    chosen, dvs = set(), False
    for item in monitor_layers if isinstance(monitor_layers, Iterable) else [monitor_layers]:
        if isinstance(item, str) and item.lower() == "dvs":
            dvs = True
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and -1 <= item <= exit_layer:
            chosen.add(exit_layer if item == -1 else int(item))
        else:
            raise ValueError(f"monitor_layers: entry {item!r} is not a layer index 0..{exit_layer}, -1 or 'dvs'")
    return chosen, dvs


def _core(layer: Layer, destinations: tuple[tuple[int, int], ...], monitor: bool, discretize: bool) -> CoreConfig:
    """One layer's core registers; errors are prefixed with the layer."""
    spike = layer.spike
    weight = layer.weight if layer.rescale == 1 else layer.weight * np.float32(layer.rescale)
    low = np.float32(disc.NO_MIN_V_MEM) if spike.min_v_mem is None else spike.min_v_mem
    thresholds = np.array([low, spike.threshold], np.float32)
    bias = np.zeros(weight.shape[0], np.float32) if layer.bias is None else layer.bias
    state = spike.v_mem
    try:
        if discretize:
            s = disc.layer_scale(weight, layer.bias, thresholds, state)
            if spike.min_v_mem is None and s == disc.scale(thresholds, disc.STATE_BITS):
                warnings.warn(f"{layer.label}: min_v_mem is None, so θ_low = -32768 binds the scale to {s}: weights "
                              f"below {0.5 / s} become 0; give the spiking layer a min_v_mem", stacklevel=4)
            weight, bias, thresholds = (disc.quantize(a, s) for a in (weight, bias, thresholds))
            state = None if state is None else disc.quantize(state, s)
            if thresholds[1] < 1:
                raise ValueError(f"spike_threshold {spike.threshold} becomes threshold_high {thresholds[1]} at scale "
                                 f"{s}; the cores need a threshold of at least 1 (give the spiking layer a min_v_mem)")
        weight, bias, thresholds = (as_int_array(name, a) for name, a in
                                    (("weights", weight), ("biases", bias), ("thresholds", thresholds)))
        initial = None if state is None else as_int_array("neurons_initial_value", state[0].transpose(0, 2, 1))
        return CoreConfig.from_weights(
            weight.transpose(0, 1, 3, 2), (layer.input_shape[2], layer.input_shape[1]),
            threshold_high=int(thresholds[1]), threshold_low=int(thresholds[0]),
            stride=layer.stride[::-1], padding=layer.padding[::-1], biases=bias, neurons_initial_value=initial,
            return_to_zero=spike.return_to_zero,
            destinations=[Destination(layer=core, enable=True, pooling=pooling) for core, pooling in destinations],
            monitor_enable=monitor)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{layer.label}: {error}") from None
