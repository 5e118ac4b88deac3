"""From a model to the converter's layers, one per core (spec §3).

Two front ends turn a model into a flat list of operations: :func:`torch_ops` (a ``torch.nn.Sequential``,
nested ones allowed) and :func:`nir_ops` (a chain-shaped NIR graph). :func:`group` then cuts the list into
:class:`Layer` s: weight layer (Conv2d, or Linear as a convolution over the whole map) → spiking layer →
optional chain of pooling layers, the pooling sizes multiplied and the average poolings' ``1/k²`` factors
carried to the next layer's weights.

Every error is a ValueError (TypeError for a model of the wrong type) naming the layer and why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from spikegate.sim.checks import as_array

from .modules import IAF, SumPool2d

#: sinabs' ``from_model`` turns each ReLU into IAF(spike_threshold=1, min_v_mem=-1), subtracting reset.
RELU_THRESHOLD, RELU_MIN_V_MEM = 1.0, -1.0
_LEAKY = ("LIF", "LIFSqueeze", "LIFRecurrent", "ExpLeak", "ExpLeakSqueeze", "ALIF", "ALIFRecurrent")


# ------------------------------------------------------------------------------------------- operations
@dataclass(frozen=True)
class Weight:
    """Conv2d (``weight`` float32 [f][c][ky][kx]) or Linear (``weight`` [F][n]); stride, padding are (y, x)."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    @property
    def linear(self) -> bool:
        return self.weight.ndim == 2


@dataclass(frozen=True)
class Spike:
    """A spiking layer: float32 threshold θ_high, floor θ_low (None: none), reset, optional state (batch first)."""

    name: str
    threshold: np.float32
    min_v_mem: np.float32 | None
    return_to_zero: bool = False
    v_mem: np.ndarray | None = None


@dataclass(frozen=True)
class Pool:
    """Average (``average``) or sum pooling with a square kernel k, stride k."""

    name: str
    size: int
    average: bool


@dataclass(frozen=True)
class Flatten:
    name: str


# ----------------------------------------------------------------------------------------------- layers
@dataclass(frozen=True)
class Layer:
    """One core's worth of model: ``weight`` float32 [f][c][ky][kx] (torch order, before the pooling
    rescale), ``bias`` (f,) or None, stride/padding (y, x), ``input_shape`` (c, h, w), the spiking layer,
    ``pooling`` (product of the chain after it; 1 when none) and ``rescale`` (product of the ``1/k²`` of the
    average poolings feeding it, applied to its weights before discretization)."""

    index: int
    name: str
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    padding: tuple[int, int]
    input_shape: tuple[int, int, int]
    spike: Spike | None
    pooling: int = 1
    rescale: float = 1.0

    @property
    def label(self) -> str:
        return f"layer {self.index} ({self.name})"

    @property
    def neuron_shape(self) -> tuple[int, int, int]:
        """(f, h', w'): the convolution's output map, before pooling."""
        _, h, w = self.input_shape
        k = self.weight.shape[2]
        return (self.weight.shape[0], (h + 2 * self.padding[0] - k) // self.stride[0] + 1,
                (w + 2 * self.padding[1] - k) // self.stride[1] + 1)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(f, h' // pooling, w' // pooling): what the next layer receives."""
        f, h, w = self.neuron_shape
        return f, h // self.pooling, w // self.pooling


def group(ops: list, input_shape: tuple[int, int, int]) -> list[Layer]:
    """Cut a list of operations into layers (weight → spiking → pooling chain), checking the order."""
    shape = tuple(int(n) for n in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape: expected (C, H, W) of positive sizes, got {input_shape!r}")
    layers: list[Layer] = []
    previous = None  # the last operation other than Flatten
    flat, carried = False, 1.0  # carried: product of 1/k² of the average poolings since the last weight layer
    for op in ops:
        last = layers[-1] if layers else None
        if isinstance(op, Weight):
            if last is not None and last.spike is None:
                raise ValueError(f"{last.label}: followed by {op.name}, not by a spiking layer; every weight layer "
                                 f"must be followed by a spiking layer (IAF, or ReLU in an ANN)")
            if flat and not op.linear:
                raise ValueError(f"{op.name}: a Conv2d after Flatten is not supported")
            layers.append(_layer(len(layers), op, shape if last is None else last.output_shape, carried))
            carried = 1.0
        elif isinstance(op, Spike):
            if not isinstance(previous, Weight):
                raise ValueError(f"{op.name}: a spiking layer must directly follow a weight layer (Conv2d or Linear)")
            layers[-1] = replace(last, spike=_checked_state(last, op))
        elif isinstance(op, Pool):
            if not isinstance(previous, (Spike, Pool)):
                raise ValueError(f"{op.name}: pooling must follow a spiking layer (pooling of the input itself "
                                 f"would need the DVS layer, which this converter does not build)")
            layers[-1] = replace(last, pooling=last.pooling * op.size)
            if op.average:
                carried *= 1.0 / (op.size * op.size)
        else:
            flat = True
            continue
        previous = op
    if not layers:
        raise ValueError("model: no weight layer (Conv2d or Linear) found; nothing to place on the cores")
    if layers[-1].spike is None:
        raise ValueError(f"{layers[-1].label}: the last weight layer is not followed by a spiking layer")
    if layers[-1].pooling != 1:  # dropped as sinabs drops it, but said
        warnings.warn(f"{layers[-1].label}: the pooling {layers[-1].pooling} after the last layer is dropped: a core "
                      f"pools only on the way to a destination core, and the exit layer's events reach the host "
                      f"unpooled (pool the output events yourself, or remove the pooling)", stacklevel=3)
    return layers


def _layer(index: int, op: Weight, shape: tuple[int, int, int], rescale: float) -> Layer:
    c, h, w = shape
    label = f"layer {index} ({op.name})"
    weight = op.weight
    if op.linear:
        if weight.shape[1] != c * h * w:
            raise ValueError(f"{label}: Linear takes {weight.shape[1]} input features, but its input map "
                             f"{c}x{h}x{w} has {c * h * w}")
        if h != w:
            raise ValueError(f"{label}: kernel not square: a Linear on a {c}x{h}x{w} map becomes a {h}x{w} "
                             f"convolution; the cores take square kernels only")
        weight = weight.reshape(weight.shape[0], c, h, w)
    elif weight.shape[2] != weight.shape[3]:
        raise ValueError(f"{label}: kernel not square: {weight.shape[2]}x{weight.shape[3]}; the cores take square "
                         f"kernels only")
    elif weight.shape[1] != c:
        raise ValueError(f"{label}: takes {weight.shape[1]} input channels, but its input map {c}x{h}x{w} has {c}")
    layer = Layer(index=index, name=op.name, weight=weight, bias=op.bias, stride=op.stride, padding=op.padding,
                  input_shape=shape, spike=None, rescale=rescale)
    if min(layer.neuron_shape[1:]) < 1:
        raise ValueError(f"{label}: a {weight.shape[2]}x{weight.shape[3]} kernel does not fit the {h}x{w} input map "
                         f"(padding {op.padding})")
    return layer


def _checked_state(layer: Layer, spike: Spike) -> Spike:
    """The spiking layer with its state (if any) as (batch, f, h', w'), checked against the neuron map."""
    if spike.v_mem is None:
        return spike
    f, h, w = layer.neuron_shape
    state = spike.v_mem.reshape(len(spike.v_mem), -1)
    if state.shape[1] != f * h * w:
        raise ValueError(f"{layer.label}: the state of {spike.name} has shape {spike.v_mem.shape}, which does not "
                         f"match the neuron map {f}x{h}x{w}")
    return replace(spike, v_mem=state.reshape(-1, f, h, w))


# -------------------------------------------------------------------------------------- torch front end
def torch_ops(model) -> list:
    """Operations of a ``torch.nn.Sequential`` (nested Sequentials are walked; module paths name them).

    ReLU becomes IAF(1, −1, subtract) as in sinabs' ``from_model``; a model made only of ReLUs whose last
    weight layer has none gets such a spiking output appended (``add_spiking_output=True``).
    """
    from torch import nn

    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model: a {type(model).__name__} is not a torch.nn.Sequential; non-sequential models "
                        f"(branches, merges, custom forward) are not supported")
    ops, spiking_modules = [], False
    for path, module in _walk(model, ""):
        name = f"module '{path}' ({type(module).__name__})"
        if isinstance(module, (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d)):
            continue
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            ops[-1:] = [_fold_batchnorm(ops[-1] if ops else None, module, name)]
        elif isinstance(module, (nn.Conv2d, nn.Linear)):
            ops.append(_torch_weight(module, name))
        elif isinstance(module, nn.ReLU):
            ops.append(Spike(name, np.float32(RELU_THRESHOLD), np.float32(RELU_MIN_V_MEM)))
        elif isinstance(module, nn.Flatten):
            ops.append(Flatten(name))
        elif isinstance(module, (nn.AvgPool2d, SumPool2d)) or type(module).__name__ == "SumPool2d":
            ops.append(_torch_pool(module, name, average=isinstance(module, nn.AvgPool2d)))
        else:
            ops.append(_torch_spike(module, name))
            spiking_modules = True
    last_weight = max((i for i, op in enumerate(ops) if isinstance(op, Weight)), default=None)
    if (not spiking_modules and last_weight is not None
            and not any(isinstance(op, Spike) for op in ops[last_weight:])):
        ops.append(Spike("spiking output (added after the last weight layer)", np.float32(RELU_THRESHOLD),
                         np.float32(RELU_MIN_V_MEM)))
    return ops


def _walk(module, prefix: str):
    from torch import nn

    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            yield from _walk(child, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", child


def _array(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float32)


def _torch_weight(module, name: str) -> Weight:
    from torch import nn

    bias = None if module.bias is None else _array(module.bias)
    if isinstance(module, nn.Linear):
        return Weight(name, _array(module.weight), bias)
    for field, value in (("dilation", module.dilation), ("groups", module.groups)):
        if value not in ((1, 1), 1):
            raise ValueError(f"{name}: {field} {value} is not supported; the cores compute dense, undilated "
                             f"convolutions")
    if isinstance(module.padding, str) or module.padding_mode != "zeros":
        raise ValueError(f"{name}: padding {module.padding!r} (mode {module.padding_mode!r}) is not supported; "
                         f"give integer zero padding")
    return Weight(name, _array(module.weight), bias, tuple(module.stride), tuple(module.padding))


def _fold_batchnorm(previous, bn, name: str) -> Weight:
    """Fold a BatchNorm into the weight layer right before it, as sinabs does (running statistics, no ε):
    ``w' = w · γ/√σ²``, ``b' = β + (b − μ) · γ/√σ²`` in float32 torch arithmetic."""
    import torch
    from torch import nn

    wanted = "Conv2d" if isinstance(bn, nn.BatchNorm2d) else "Linear"
    if not isinstance(previous, Weight) or previous.linear != (wanted == "Linear"):
        raise ValueError(f"{name}: a {type(bn).__name__} must directly follow a {wanted}, to be folded into it")
    if bn.running_var is None:
        raise ValueError(f"{name}: has no running statistics (track_running_stats=False), so it cannot be folded")
    with torch.no_grad():
        factor = (bn.weight if bn.affine else 1.0) / bn.running_var.sqrt()
        beta = bn.bias if bn.affine else 0.0
        bias = 0.0 if previous.bias is None else torch.from_numpy(previous.bias)
        new_bias = beta + (bias - bn.running_mean) * factor
        weight = torch.from_numpy(previous.weight)
        weight = weight * factor.reshape(-1, *([1] * (weight.ndim - 1)))
    return replace(previous, weight=_array(weight), bias=_array(new_bias))


def _torch_pool(module, name: str, average: bool) -> Pool:
    kernel = _pair(module.kernel_size)
    stride = kernel if module.stride is None else _pair(module.stride)
    padding = _pair(getattr(module, "padding", 0))
    if kernel[0] != kernel[1]:
        raise ValueError(f"{name}: pooling {kernel[0]}x{kernel[1]} is not square; the cores pool squares only")
    if stride != kernel:
        raise ValueError(f"{name}: pooling stride {stride} should be the same as the pooling kernel size {kernel}")
    if padding != (0, 0) or getattr(module, "ceil_mode", False):
        raise ValueError(f"{name}: pooling padding {padding} / ceil_mode is not supported; the cores pool without")
    return Pool(name, kernel[0], average)


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in np.asarray(value).ravel())
    return (value[0], value[0]) if len(value) == 1 else value[:2]


def _scalar(value, what: str, name: str) -> np.float32:
    array = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, np.float32)
    if array.size != 1:
        raise ValueError(f"{name}: {what} has {array.size} values; a core has one {what} for all its neurons")
    return np.float32(array.reshape(()))


def _torch_spike(module, name: str) -> Spike:
    """Our :class:`IAF`, or sinabs' IAF/IAFSqueeze by duck typing; anything else is unsupported."""
    kind = type(module).__name__
    if isinstance(module, IAF):
        min_v_mem = None if module.min_v_mem is None else np.float32(module.min_v_mem)
        return Spike(name, np.float32(module.spike_threshold), min_v_mem, module.reset == "zero")
    if kind in ("IAF", "IAFSqueeze") and hasattr(module, "spike_threshold") and hasattr(module, "reset_fn"):
        return _sinabs_spike(module, name)
    if kind in _LEAKY:
        raise ValueError(f"{name}: unsupported layer: leaky neurons ({kind}) have no equivalent on the cores, "
                         f"which integrate and fire (use IAF)")
    if kind == "MaxPool2d":
        raise ValueError(f"{name}: unsupported layer: max pooling has no equivalent on the cores (use AvgPool2d or "
                         f"SumPool2d)")
    raise ValueError(f"{name}: unsupported layer type {kind}; supported are Conv2d, Linear, ReLU, IAF, AvgPool2d, "
                     f"SumPool2d, Flatten, Dropout, Identity and BatchNorm after a weight layer")


def _sinabs_spike(module, name: str) -> Spike:
    threshold = _scalar(module.spike_threshold, "spike_threshold", name)
    min_v_mem = None if module.min_v_mem is None else _scalar(module.min_v_mem, "min_v_mem", name)
    reset, kind = module.reset_fn, type(module.reset_fn).__name__
    if kind == "MembraneSubtract":
        value = getattr(reset, "subtract_value", None)
        if value is not None and np.float32(value) != threshold:
            raise ValueError(f"{name}: subtract_value {value} differs from spike_threshold {threshold}; the cores "
                             f"subtract the threshold")
        return_to_zero = False
    elif kind == "MembraneReset":
        if getattr(reset, "reset_value", 0.0) != 0:
            raise ValueError(f"{name}: reset_value {reset.reset_value} is not supported; the cores reset to 0")
        return_to_zero = True
    else:
        raise ValueError(f"{name}: unknown reset function {kind}; only MembraneSubtract and MembraneReset map "
                         f"onto the cores")
    state = None
    if callable(getattr(module, "is_state_initialised", None)) and module.is_state_initialised():
        state = _array(module.v_mem)
    return Spike(name, threshold, min_v_mem, return_to_zero, state)


# ---------------------------------------------------------------------------------------- NIR front end
def nir_ops(graph) -> tuple[list, tuple[int, ...] | None]:
    """Operations of a chain-shaped NIR graph, and the input shape its Input node declares (or None).

    Nodes: Input, Output, Conv2d, Linear, Affine, IF, SumPool2d, AvgPool2d, Flatten. An IF becomes
    IAF(v_threshold, min_v_mem = −v_threshold, subtracting reset), as sinabs imports it.
    """
    import nir

    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph: expected a nir.NIRGraph, got {type(graph).__name__}")
    successors = {name: [] for name in graph.nodes}
    predecessors = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        for end in (source, target):
            if end not in graph.nodes:
                raise ValueError(f"graph: edge ({source!r}, {target!r}) names a missing node {end!r}")
        successors[source].append(target)
        predecessors[target].append(source)
    for name in graph.nodes:
        for links, what in ((successors, "outputs"), (predecessors, "inputs")):
            if len(links[name]) > 1:
                raise ValueError(f"node '{name}': {len(links[name])} {what} ({links[name]}); non-sequential graphs "
                                 f"(branches, merges) are not supported")
    starts = [name for name in graph.nodes if not predecessors[name]]
    if len(starts) != 1:
        raise ValueError(f"graph: expected one chain with one start node, found starts {starts}")
    ops, input_shape, name = [], None, starts[0]
    while name is not None:
        node = graph.nodes[name]
        if isinstance(node, nir.Input):
            shape = tuple(int(n) for n in np.asarray(node.input_type["input"]).ravel())
            input_shape = shape if len(shape) == 3 else None
        elif not isinstance(node, nir.Output):
            ops.append(_nir_op(node, f"node '{name}' ({type(node).__name__})"))
        name = successors[name][0] if successors[name] else None
    return ops, input_shape


def _nir_op(node, name: str):
    import nir

    if isinstance(node, nir.Conv2d):
        if _pair(node.dilation) != (1, 1) or node.groups != 1:
            raise ValueError(f"{name}: dilation {node.dilation} / groups {node.groups} is not supported; the cores "
                             f"compute dense, undilated convolutions")
        weight = _nir_array(name, "weight", node.weight, 4)
        kernel = weight.shape[2:]
        stride = _pair(node.stride)
        if isinstance(node.padding, str) and node.padding == "valid":
            padding = (0, 0)
        elif isinstance(node.padding, str):  # "same"
            if stride != (1, 1) or kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
                raise ValueError(f"{name}: padding 'same' needs stride 1 and an odd kernel, got stride {stride}, "
                                 f"kernel {kernel}")
            padding = (kernel[0] // 2, kernel[1] // 2)
        else:
            padding = _pair(node.padding)
        bias = _nir_array(name, "bias", node.bias)
        if bias.shape not in ((), (1,), (weight.shape[0],)):
            raise ValueError(f"{name}: bias has shape {bias.shape}; expected ({weight.shape[0]},), one per feature")
        return Weight(name, weight, np.broadcast_to(bias, (weight.shape[0],)).copy(), stride, padding)
    if isinstance(node, nir.Affine):
        weight, bias = _nir_array(name, "weight", node.weight, 2), _nir_array(name, "bias", node.bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{name}: bias has shape {bias.shape}; expected ({weight.shape[0]},), one per output")
        return Weight(name, weight, bias)
    if isinstance(node, nir.Linear):
        return Weight(name, _nir_array(name, "weight", node.weight, 2), None)
    if isinstance(node, nir.IF):
        return _nir_if(node, name)
    if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
        kernel, stride, padding = _pair(node.kernel_size), _pair(node.stride), _pair(node.padding)
        if kernel[0] != kernel[1]:
            raise ValueError(f"{name}: pooling {kernel[0]}x{kernel[1]} is not square; the cores pool squares only")
        if stride != kernel:
            raise ValueError(f"{name}: pooling stride {stride} should be the same as the pooling kernel size {kernel}")
        if padding != (0, 0):
            raise ValueError(f"{name}: pooling padding {padding} is not supported; the cores pool without")
        return Pool(name, kernel[0], isinstance(node, nir.AvgPool2d))
    if isinstance(node, nir.Flatten):
        return Flatten(name)
    if isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI)):
        raise ValueError(f"{name}: unsupported layer: leaky neurons have no equivalent on the cores, which integrate "
                         f"and fire (use IF)")
    raise ValueError(f"{name}: unsupported node type; supported are Conv2d, Linear, Affine, IF, SumPool2d, "
                     f"AvgPool2d, Flatten, Input and Output")


def _nir_array(name: str, field: str, value, ndim: int | None = None) -> np.ndarray:
    """A NIR node's parameter as float32, refusing non-numbers, a wrong number of axes and non-finite values."""
    array = as_array(f"{name}: {field}", value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {field} has dtype {array.dtype}; numbers expected")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: {field} has shape {array.shape}; expected {ndim} axes")
    if array.size == 0 and ndim is not None:
        raise ValueError(f"{name}: {field} has shape {array.shape}, no values")
    if not np.all(np.isfinite(array)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name}: {field} value {array[index]} at index {index} is not a finite number")
    return array.astype(np.float32)


def _nir_if(node, name: str) -> Spike:
    threshold = _nir_array(name, "v_threshold", node.v_threshold).ravel()
    if threshold.size == 0:
        raise ValueError(f"{name}: v_threshold has no values")
    for field, values, wanted in (("r", node.r, 1.0), ("v_reset", node.v_reset, 0.0)):
        values = np.asarray(values).ravel()
        if np.any(values != wanted):
            raise ValueError(f"{name}: {field} {values[values != wanted][0]} is not supported; the cores need "
                             f"{field} = {wanted}")
    if np.any(threshold != threshold[0]):
        raise ValueError(f"{name}: v_threshold varies across neurons ({threshold.min()}..{threshold.max()}); a core "
                         f"has one threshold for all its neurons")
    return Spike(name, threshold[0], -threshold[0])
