"""The register configuration of a DYNAP-CNN chip (Speck 2e/2f, DYNAP-CNN devkit): the contract shared by
the converter, the numpy model (:class:`spikegate.sim.dynapcnn.DynapcnnSim`) and the hardware description.

Field names are samna's (``CnnLayerConfig``, ``DvsLayerConfig``, ``CNNLayerDestination``); the rules they
drive are ``docs/dynapcnn-core.md``. Axes follow samna, x before y:

- ``weights[f][c][kx][ky]`` (torch's ``[f][c][ky][kx]`` with its last two axes swapped, no flip),
- ``neurons_initial_value[f][x][y]``,
- ``dimensions.output_shape`` is the convolution's output map, *before* any destination pooling.

Every class validates itself on construction; an error is a :class:`ValueError` (or :class:`TypeError` for a
wrong type) naming the field, the value and the limit. Field paths are relative to the object being built
(``dimensions.kernel_size``); :class:`ChipConfig` names the core (``cores[3].dimensions.kernel_size``) for
the checks that involve the chip, and for any error met while loading a core from JSON.

**Input routing.** Input events always enter through the DVS layer (:class:`DvsLayerConfig`), whose enabled
destinations name the cores they feed. A network without a DVS stage uses an identity DVS layer (no merge,
pooling 1, origin 0, ``cut`` = input size − 1, no mirroring; :meth:`DvsLayerConfig.direct`): input events
(x, y, p) then reach the destination cores at (x, y) with channel p.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import INT8, INT16, as_indices, as_int_array, check_choice, check_range
from ..jsonconfig import JsonConfig

N_CORES = 9
MAX_INPUT_SIZE = 128  #: input map of a core, per axis
MAX_NEURON_SIZE = 64  #: neuron (convolution output) map of a core, per axis
MAX_FEATURES = 1024
MAX_KERNEL = 16
MAX_PADDING = 7
STRIDES = (1, 2, 4, 8)
POOLINGS = (1, 2, 4)
MAX_DESTINATIONS = 2
DVS_SIZE = 128  #: the DVS layer's input map (sensor pixels), per axis
DVS_POLARITIES = 2


def _size(kind: str) -> dict[str, str]:
    return {"x": kind, "y": kind}


#: The registers of one destination (samna's ``CNNLayerDestination``) in address order: name -> kind, ``u<bits>``
#: unsigned or ``s<bits>`` signed.
DESTINATION_REGISTER_SET = {"enable": "u1", "layer": "u4", "pooling": "u3", "feature_shift": "u10"}
#: The registers of one core (samna's ``CnnLayerConfig`` names, :class:`CoreConfig` fields; the memories
#: ``weights``, ``biases`` and ``neurons_initial_value`` apart) in address order, with their kinds: a dict is a
#: group, a tuple an array. The one register table: the behavioural model's parameter columns
#: (:mod:`~spikegate.sim.dynapcnn.kernels`) and the gateware's ``CoreFields`` layout are derived from it.
CORE_REGISTER_SET = {
    "dimensions": {
        "input_shape": {"size": _size("u8"), "feature_count": "u11"},
        "output_shape": {"size": _size("u7"), "feature_count": "u11"},
        "padding": _size("u3"),
        "stride": _size("u4"),
        "kernel_size": "u5",
    },
    "threshold_high": "s16",
    "threshold_low": "s16",
    "return_to_zero": "u1",
    "leak_enable": "u1",
    "monitor_enable": "u1",
    "destinations": (DESTINATION_REGISTER_SET,) * MAX_DESTINATIONS,
}


def register_paths(table: Mapping, prefix: str = "") -> list[str]:
    """samna's dotted names of the registers of ``table`` (as :data:`CORE_REGISTER_SET`) in address order:
    ``dimensions.input_shape.size.x``, ..., ``destinations[1].feature_shift``."""
    paths = []
    for name, kind in table.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(kind, tuple):
            for i, element in enumerate(kind):
                paths += register_paths(element, f"{path}[{i}]")
        elif isinstance(kind, Mapping):
            paths += register_paths(kind, path)
        else:
            paths.append(path)
    return paths


def register_value(config: Any, path: str) -> int:
    """The value of register ``path`` (a dotted name of :func:`register_paths`) in a config object."""
    value = config
    for part in path.split("."):
        name, _, index = part.partition("[")
        value = getattr(value, name)
        if index:
            value = value[int(index[:-1])]
    return int(value)

_KI = 1024
_CAPACITIES = tuple(
    {"kernel": kernel * _KI, "neuron": neuron * _KI, "bias": 1 * _KI}
    for kernel, neuron in ((16, 64), (16, 64), (16, 64), (32, 32), (32, 32), (64, 16), (64, 16), (16, 16), (16, 16))
)
#: Per chip, per core: memory capacities in entries (kernel: 8-bit weights, neuron: 16-bit states, bias).
#: Identical for the three chips in sinabs 3.1.3 (spec §5).
CHIP_PROFILES: dict[str, tuple[dict[str, int], ...]] = {
    "speck2f": _CAPACITIES,
    "speck2e": _CAPACITIES,
    "dynapcnn_devkit": _CAPACITIES,
}

FORMAT = "spikegate.dynapcnn.config"
FORMAT_VERSION = 1


# ----------------------------------------------------------------------------------------------- helpers
def _int(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    return int(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {value!r}")
    return bool(value)


def _in_range(name: str, value: int, lo: int, hi: int, what: str = "") -> None:
    check_range(name, np.asarray(value), lo, hi, what)


def _log2_ceil(n: int) -> int:
    """⌈log2 n⌉ for n ≥ 1 (⌈log2 1⌉ = 0)."""
    return (int(n) - 1).bit_length()


def _frozen_array(name: str, value: Any, dtype, limits: tuple[int, int], what: str,
                  shape: tuple[int, ...] | None = None) -> np.ndarray:
    array = as_int_array(name, value, shape)
    check_range(name, array, *limits, what)
    array = array.astype(dtype)
    array.flags.writeable = False
    return array


def _plain(value: Any) -> Any:
    """JSON-ready form: dataclasses as dicts (field order), arrays and tuples as lists."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


_FIELD_PATH = re.compile(r"[A-Za-z_]\w*(\[\d+\])*[.:\[ ]")


def _prefixed(prefix: str, build):
    """Run ``build()``, naming ``prefix`` in front of the field of any error it raises (``prefix.field: ...``,
    or ``prefix: ...`` when the message names no field)."""
    try:
        return build()
    except (ValueError, TypeError) as error:
        message = str(error)
        names_field = _FIELD_PATH.match(message) and not message.startswith(("unknown field", "missing field",
                                                                             "expected "))
        raise type(error)(f"{prefix}{'.' if names_field else ': '}{message}") from None


def _record(cls, doc: Any, required: tuple[str, ...] | None = None) -> dict:
    """``doc``, a JSON object, as keyword arguments of ``cls``: refuses another JSON value, unknown fields and
    missing ones (``required``: default, the fields of the dataclass ``cls`` without a default)."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"expected a JSON object with the fields of {cls.__name__}, got {doc!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(str(name) for name in doc if name not in fields)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown} of {cls.__name__} (its fields: {', '.join(fields)})")
    if required is None:
        required = tuple(name for name, f in fields.items()
                         if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    missing = [name for name in required if name not in doc]
    if missing:
        raise ValueError(f"missing field(s) {missing} of {cls.__name__}")
    return dict(doc)


def _list(name: str, value: Any) -> list:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name}: expected a JSON list, got {value!r}")
    return list(value)


# ---------------------------------------------------------------------------------------- small records
@dataclass(frozen=True)
class Size:
    """A pair of non-negative integers, x (width axis) and y (height axis)."""

    x: int
    y: int

    def __post_init__(self) -> None:
        for axis in ("x", "y"):
            value = _int(axis, getattr(self, axis))
            if value < 0:
                raise ValueError(f"{axis}: value {value} is negative")
            object.__setattr__(self, axis, value)

    def check(self, name: str, lo: int, hi: int) -> None:
        for axis in ("x", "y"):
            _in_range(f"{name}.{axis}", getattr(self, axis), lo, hi)

    @classmethod
    def from_dict(cls, doc: Mapping) -> "Size":
        return cls(**_record(cls, doc))


@dataclass(frozen=True)
class Shape:
    """A map: ``size`` (x = width, y = height) and ``feature_count`` channels."""

    size: Size
    feature_count: int

    def __post_init__(self) -> None:
        if not isinstance(self.size, Size):
            raise TypeError(f"size: expected a Size, got {self.size!r}")
        object.__setattr__(self, "feature_count", _int("feature_count", self.feature_count))
        _in_range("feature_count", self.feature_count, 1, MAX_FEATURES)

    @classmethod
    def from_dict(cls, doc: Mapping) -> "Shape":
        doc = _record(cls, doc)
        return cls(size=_prefixed("size", lambda: Size.from_dict(doc["size"])), feature_count=doc["feature_count"])


@dataclass(frozen=True)
class Dimensions:
    """Geometry of one core's convolution (samna ``CNNLayerDimensions``).

    ``output_shape`` is the neuron map (convolution output, before pooling); it must equal
    ``(input + 2·padding − kernel_size) // stride + 1`` per axis.
    """

    input_shape: Shape
    output_shape: Shape
    padding: Size
    stride: Size
    kernel_size: int

    def __post_init__(self) -> None:
        for name, kind in (("input_shape", Shape), ("output_shape", Shape), ("padding", Size), ("stride", Size)):
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"{name}: expected a {kind.__name__}, got {getattr(self, name)!r}")
        object.__setattr__(self, "kernel_size", _int("kernel_size", self.kernel_size))
        _in_range("kernel_size", self.kernel_size, 1, MAX_KERNEL)
        self.input_shape.size.check("input_shape.size", 1, MAX_INPUT_SIZE)
        self.output_shape.size.check("output_shape.size", 1, MAX_NEURON_SIZE)
        self.padding.check("padding", 0, MAX_PADDING)
        for axis in ("x", "y"):
            check_choice(f"stride.{axis}", getattr(self.stride, axis), STRIDES)
        for axis in ("x", "y"):
            size_in = getattr(self.input_shape.size, axis)
            span = size_in + 2 * getattr(self.padding, axis) - self.kernel_size
            expected = span // getattr(self.stride, axis) + 1 if span >= 0 else 0
            if getattr(self.output_shape.size, axis) != expected:
                raise ValueError(
                    f"output_shape.size.{axis}: value {getattr(self.output_shape.size, axis)} does not match the "
                    f"convolution's output ({size_in} + 2*{getattr(self.padding, axis)} - {self.kernel_size}) // "
                    f"{getattr(self.stride, axis)} + 1 = {expected}")

    @classmethod
    def from_dict(cls, doc: Mapping) -> "Dimensions":
        doc = _record(cls, doc)
        return cls(input_shape=_prefixed("input_shape", lambda: Shape.from_dict(doc["input_shape"])),
                   output_shape=_prefixed("output_shape", lambda: Shape.from_dict(doc["output_shape"])),
                   padding=_prefixed("padding", lambda: Size.from_dict(doc["padding"])),
                   stride=_prefixed("stride", lambda: Size.from_dict(doc["stride"])),
                   kernel_size=doc["kernel_size"])


@dataclass(frozen=True)
class Destination:
    """One output route of a core or of the DVS layer.

    An event (x, y, feature f) is sent to core ``layer`` as (x // pooling, y // pooling, f + feature_shift)
    when ``enable``; positions beyond the pooled map are dropped.
    """

    layer: int = 0
    enable: bool = False
    pooling: int = 1
    feature_shift: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer", _int("layer", self.layer))
        object.__setattr__(self, "enable", _bool("enable", self.enable))
        object.__setattr__(self, "pooling", _int("pooling", self.pooling))
        object.__setattr__(self, "feature_shift", _int("feature_shift", self.feature_shift))
        _in_range("layer", self.layer, 0, N_CORES - 1, "core index")
        check_choice("pooling", self.pooling, POOLINGS)
        _in_range("feature_shift", self.feature_shift, 0, MAX_FEATURES - 1)

    @classmethod
    def from_dict(cls, doc: Mapping) -> "Destination":
        return cls(**_record(cls, doc))


def _destinations(value: Any) -> tuple[Destination, Destination]:
    """Exactly two destinations: fewer are padded with disabled ones, more are refused."""
    value = tuple(value)
    if len(value) > MAX_DESTINATIONS:
        raise ValueError(f"destinations: {len(value)} entries given; the limit is {MAX_DESTINATIONS}")
    for i, destination in enumerate(value):
        if not isinstance(destination, Destination):
            raise TypeError(f"destinations[{i}]: expected a Destination, got {destination!r}")
    return value + tuple(Destination() for _ in range(MAX_DESTINATIONS - len(value)))


def _destinations_from(docs: Sequence[Mapping]) -> tuple[Destination, ...]:
    docs = _list("destinations", docs)
    return tuple(_prefixed(f"destinations[{i}]", lambda d=d: Destination.from_dict(d)) for i, d in enumerate(docs))


# --------------------------------------------------------------------------------------------- one core
@dataclass(frozen=True, eq=False)
class CoreConfig:
    """The registers of one core (samna ``CnnLayerConfig``).

    Attributes (arrays are read-only copies):
        dimensions: input map (c channels), neuron map (f features, before pooling), padding, stride, kernel.
        weights: int8 ``[f][c][kx][ky]``.
        biases: int16 ``[f]``, added to every neuron of feature f on each leak tick when ``leak_enable``.
        neurons_initial_value: int16 ``[f][x][y]``, the state after a reset.
        threshold_high: int16 spike threshold; threshold_low: int16 floor of the membrane.
        return_to_zero: reset to 0 after a spike (True) or subtract ``threshold_high`` (False).
        leak_enable: the core takes leak ticks.
        destinations: exactly two routes (fewer given are padded with disabled ones).
        monitor_enable: copy the core's output events (un-pooled) to the host.
    """

    dimensions: Dimensions
    weights: np.ndarray
    biases: np.ndarray
    neurons_initial_value: np.ndarray
    threshold_high: int
    threshold_low: int
    return_to_zero: bool = False
    leak_enable: bool = False
    destinations: tuple[Destination, Destination] = (Destination(), Destination())
    monitor_enable: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.dimensions, Dimensions):
            raise TypeError(f"dimensions: expected a Dimensions, got {self.dimensions!r}")
        f, c = self.features, self.channels
        k = self.dimensions.kernel_size
        weights = as_int_array("weights", self.weights)
        if weights.ndim != 4:
            raise ValueError(f"weights: expected 4 axes [f][c][kx][ky], got shape {weights.shape}")
        if weights.shape[2] != weights.shape[3]:
            raise ValueError(f"weights: kernel {weights.shape[2]}x{weights.shape[3]} is not square "
                             f"(the chip takes square kernels only)")
        if weights.shape != (f, c, k, k):
            raise ValueError(f"weights: expected shape (f={f}, c={c}, kx={k}, ky={k}) from dimensions, "
                             f"got {weights.shape}")
        self._set("weights", _frozen_array("weights", weights, np.int8, INT8, "int8"))
        self._set("biases", _frozen_array("biases", self.biases, np.int16, INT16, "int16", (f,)))
        self._set("neurons_initial_value", _frozen_array(
            "neurons_initial_value", self.neurons_initial_value, np.int16, INT16, "int16", (f, *self.neuron_map)))
        for name in ("threshold_high", "threshold_low"):
            self._set(name, _int(name, getattr(self, name)))
            _in_range(name, getattr(self, name), *INT16, "int16")
        for name in ("return_to_zero", "leak_enable", "monitor_enable"):
            self._set(name, _bool(name, getattr(self, name)))
        self._set("destinations", _destinations(self.destinations))

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    # sizes
    @property
    def channels(self) -> int:
        """Input channels c."""
        return self.dimensions.input_shape.feature_count

    @property
    def features(self) -> int:
        """Output features f."""
        return self.dimensions.output_shape.feature_count

    @property
    def input_map(self) -> tuple[int, int]:
        """(width, height) of the input map."""
        return self.dimensions.input_shape.size.x, self.dimensions.input_shape.size.y

    @property
    def neuron_map(self) -> tuple[int, int]:
        """(width, height) of the neuron map (convolution output, before pooling)."""
        return self.dimensions.output_shape.size.x, self.dimensions.output_shape.size.y

    @property
    def n_neurons(self) -> int:
        return self.features * self.neuron_map[0] * self.neuron_map[1]

    @classmethod
    def from_weights(cls, weights, input_size: tuple[int, int], *, threshold_high: int, threshold_low: int,
                     stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0), biases=None,
                     neurons_initial_value=None, return_to_zero: bool = False, leak_enable: bool | None = None,
                     destinations: Sequence[Destination] = (), monitor_enable: bool = False) -> "CoreConfig":
        """A core from its weights ``[f][c][kx][ky]`` and input map ``(width, height)``; the dimensions follow.

        ``stride`` and ``padding`` are (x, y); biases and initial states default to zeros, ``leak_enable`` to
        "any bias is non-zero" (as sinabs writes it).
        """
        weights = np.asarray(weights)
        if weights.ndim != 4:
            raise ValueError(f"weights: expected 4 axes [f][c][kx][ky], got shape {weights.shape}")
        f, c, k, _ = weights.shape
        output = tuple((size + 2 * pad - k) // step + 1 for size, pad, step in zip(input_size, padding, stride))
        dimensions = Dimensions(input_shape=Shape(Size(*input_size), c), output_shape=Shape(Size(*output), f),
                                padding=Size(*padding), stride=Size(*stride), kernel_size=k)
        biases = np.zeros(f, np.int16) if biases is None else biases
        if neurons_initial_value is None:
            neurons_initial_value = np.zeros((f, *output), np.int16)
        if leak_enable is None:
            leak_enable = bool(np.any(np.asarray(biases) != 0))
        return cls(dimensions=dimensions, weights=weights, biases=biases, neurons_initial_value=neurons_initial_value,
                   threshold_high=threshold_high, threshold_low=threshold_low, return_to_zero=return_to_zero,
                   leak_enable=leak_enable, destinations=tuple(destinations), monitor_enable=monitor_enable)

    def replace(self, **changes) -> "CoreConfig":
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, doc: Mapping) -> "CoreConfig":
        doc = _record(cls, doc)
        doc["dimensions"] = _prefixed("dimensions", lambda: Dimensions.from_dict(doc["dimensions"]))
        if "destinations" in doc:
            doc["destinations"] = _destinations_from(doc["destinations"])
        return cls(**doc)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CoreConfig):
            return NotImplemented
        return json.dumps(self.to_dict()) == json.dumps(other.to_dict())

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict()))

    def __repr__(self) -> str:
        (w, h), (ow, oh) = self.input_map, self.neuron_map
        return (f"CoreConfig({self.channels}x{w}x{h} -> {self.features}x{ow}x{oh}, k={self.dimensions.kernel_size}, "
                f"threshold {self.threshold_high}/{self.threshold_low})")


def memory_demand(channels: int, features: int, kernel_area: int, neuron_map: tuple[int, int],
                  biases: int) -> dict[str, int]:
    """Memory demand in entries (spec §5) of c = ``channels`` input channels, f = ``features``, a kernel
    of ``kernel_area`` weights per (feature, channel) and a neuron map (W', H') = ``neuron_map``:
    kernel = c · 2^(⌈log2 kernel_area⌉ + ⌈log2 f⌉); neuron = f · 2^(⌈log2 W'⌉ + ⌈log2 H'⌉);
    bias = ``biases``."""
    width, height = neuron_map
    return {
        "kernel": channels * 2 ** (_log2_ceil(kernel_area) + _log2_ceil(features)),
        "neuron": features * 2 ** (_log2_ceil(width) + _log2_ceil(height)),
        "bias": biases,
    }


def core_memory(core: CoreConfig) -> dict[str, int]:
    """Memory demand of a core in entries (:func:`memory_demand` with kernel area k·k); bias = f when the
    core uses its biases (``leak_enable``), else 0."""
    k = core.dimensions.kernel_size
    return memory_demand(core.channels, core.features, k * k, core.neuron_map,
                         core.features if core.leak_enable else 0)


# ------------------------------------------------------------------------------------------- DVS layer
@dataclass(frozen=True)
class DvsLayerConfig:
    """The DVS input layer (samna ``DvsLayerConfig``): processes every input event, in this order:

    merge polarities (channel 0) → sum pool by ``pooling`` (x // pooling.x, y // pooling.y) → keep only
    ``origin ≤ (x, y) ≤ cut`` (pooled coordinates) and shift to the origin → flip y, flip x within the crop →
    swap x and y → route to the enabled ``destinations`` (destination pooling and feature_shift apply).

    ``pass_sensor_events`` only says whether the physical sensor feeds this layer (hardware); the models
    treat every input event as entering here. ``monitor_enable`` copies the input events, as received, to
    the host. Without a DVS stage in the network use :meth:`direct`.
    """

    merge: bool = False
    pooling: Size = Size(1, 1)
    origin: Size = Size(0, 0)
    cut: Size = Size(DVS_SIZE - 1, DVS_SIZE - 1)
    mirror_x: bool = False
    mirror_y: bool = False
    mirror_diagonal: bool = False
    pass_sensor_events: bool = False
    destinations: tuple[Destination, Destination] = (Destination(), Destination())
    monitor_enable: bool = False

    def __post_init__(self) -> None:
        for name in ("merge", "mirror_x", "mirror_y", "mirror_diagonal", "pass_sensor_events", "monitor_enable"):
            object.__setattr__(self, name, _bool(name, getattr(self, name)))
        for name in ("pooling", "origin", "cut"):
            if not isinstance(getattr(self, name), Size):
                raise TypeError(f"{name}: expected a Size, got {getattr(self, name)!r}")
        for axis in ("x", "y"):
            check_choice(f"pooling.{axis}", getattr(self.pooling, axis), POOLINGS)
            top = DVS_SIZE // getattr(self.pooling, axis) - 1
            _in_range(f"cut.{axis}", getattr(self.cut, axis), 0, top, "pooled map")
            _in_range(f"origin.{axis}", getattr(self.origin, axis), 0, getattr(self.cut, axis), f"0..cut.{axis}")
        object.__setattr__(self, "destinations", _destinations(self.destinations))

    @property
    def output_map(self) -> tuple[int, int]:
        """(width, height) of the events leaving the layer (after crop and swap, before destination pooling)."""
        width, height = self.cut.x - self.origin.x + 1, self.cut.y - self.origin.y + 1
        return (height, width) if self.mirror_diagonal else (width, height)

    @property
    def is_direct(self) -> bool:
        """The layer only routes (no merge, pooling, origin shift or mirror), as :meth:`direct` builds it:
        input events are then the cores' own input, and the models refuse events outside its window
        instead of cropping them."""
        return (not self.merge and self.pooling == Size(1, 1) and self.origin == Size(0, 0)
                and not (self.mirror_x or self.mirror_y or self.mirror_diagonal))

    @classmethod
    def direct(cls, cores: Sequence[int], size: tuple[int, int]) -> "DvsLayerConfig":
        """Identity routing of input events (x, y, channel p) to ``cores`` whose input map is ``size`` (w, h)."""
        return cls(cut=Size(size[0] - 1, size[1] - 1),
                   destinations=tuple(Destination(layer=core, enable=True) for core in cores))

    @classmethod
    def from_dict(cls, doc: Mapping) -> "DvsLayerConfig":
        doc = _record(cls, doc)
        for name in ("pooling", "origin", "cut"):
            if name in doc:
                doc[name] = _prefixed(name, lambda name=name: Size.from_dict(doc[name]))
        if "destinations" in doc:
            doc["destinations"] = _destinations_from(doc["destinations"])
        return cls(**doc)


# ------------------------------------------------------------------------------------------- whole chip
@dataclass(frozen=True, eq=False)
class ChipConfig(JsonConfig):
    """The whole chip: nine cores (``None`` = unused), the DVS layer, and model-layer → core metadata.

    ``cores`` may be given as a sequence of nine entries or as a mapping {core index: CoreConfig}.
    Validated on construction, besides each part's own checks: the chip profile, memory demand per core
    against the profile's capacities, enabled destinations pointing at used cores, the pooled output of
    each source matching its target's input map, source features + feature_shift within the target's
    channels, and ``layer_to_core`` naming used cores, one layer per core.
    """

    FORMAT = FORMAT  #: the ``format`` tag of the JSON form

    chip: str = "speck2f"
    cores: tuple[CoreConfig | None, ...] = (None,) * N_CORES
    dvs_layer: DvsLayerConfig = DvsLayerConfig()
    layer_to_core: dict[int, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.chip, str) or self.chip not in CHIP_PROFILES:
            raise ValueError(f"chip: value {self.chip!r} is not one of the profiles {tuple(CHIP_PROFILES)}")
        cores = self.cores
        if isinstance(cores, Mapping):
            for index in cores:
                _in_range(f"cores[{index}]", _int("cores (index)", index), 0, N_CORES - 1, "core index")
            cores = tuple(cores.get(i) for i in range(N_CORES))
        cores = tuple(cores)
        if len(cores) != N_CORES:
            raise ValueError(f"cores: {len(cores)} entries given; the chip has exactly {N_CORES}")
        for i, core in enumerate(cores):
            if core is not None and not isinstance(core, CoreConfig):
                raise TypeError(f"cores[{i}]: expected a CoreConfig or None, got {core!r}")
        object.__setattr__(self, "cores", cores)
        if not isinstance(self.dvs_layer, DvsLayerConfig):
            raise TypeError(f"dvs_layer: expected a DvsLayerConfig, got {self.dvs_layer!r}")
        object.__setattr__(self, "layer_to_core", {_int("layer_to_core (layer)", k): _int(f"layer_to_core[{k}]", v)
                                                   for k, v in dict(self.layer_to_core).items()})
        self._validate_memory()
        self._validate_routes()
        self._validate_layer_to_core()

    @property
    def used_cores(self) -> tuple[int, ...]:
        return tuple(i for i, core in enumerate(self.cores) if core is not None)

    def check_used(self, name: str, cores) -> tuple[int, ...]:
        """``cores`` (core indices given as option ``name``) as a tuple; refuses a core this config does not use."""
        cores = as_indices(name, cores)
        for core in cores:
            if core not in self.used_cores:
                raise ValueError(f"{name}: core {core} is not a used core {self.used_cores}")
        return cores

    def memory(self) -> dict[int, dict[str, int]]:
        """Per used core, its memory demand (:func:`core_memory`)."""
        return {i: core_memory(self.cores[i]) for i in self.used_cores}

    def _validate_memory(self) -> None:
        capacities = CHIP_PROFILES[self.chip]
        for i, demand in self.memory().items():
            for kind, entries in demand.items():
                if entries > capacities[i][kind]:
                    raise ValueError(
                        f"cores[{i}]: {kind} memory of {entries} entries is over core {i}'s capacity of "
                        f"{capacities[i][kind]} on {self.chip} (by {entries - capacities[i][kind]})")

    def _validate_routes(self) -> None:
        sources = [("dvs_layer", self.dvs_layer, self.dvs_layer.output_map, None)]
        sources += [(f"cores[{i}]", core, core.neuron_map, core.features)
                    for i, core in enumerate(self.cores) if core is not None]
        for name, owner, (width, height), features in sources:
            for d, destination in enumerate(owner.destinations):
                if not destination.enable:
                    continue
                field = f"{name}.destinations[{d}]"
                target = self.cores[destination.layer]
                if target is None:
                    raise ValueError(f"{field}.layer: core {destination.layer} is not used (no CoreConfig)")
                pooled = (width // destination.pooling, height // destination.pooling)
                if pooled != target.input_map:
                    raise ValueError(
                        f"{field}: output map {width}x{height} pooled by {destination.pooling} is "
                        f"{pooled[0]}x{pooled[1]}, but core {destination.layer}'s input map is "
                        f"{target.input_map[0]}x{target.input_map[1]}")
                if features is not None and features + destination.feature_shift > target.channels:
                    raise ValueError(
                        f"{field}.feature_shift: {features} features shifted by {destination.feature_shift} reach "
                        f"channel {features + destination.feature_shift - 1}, beyond core {destination.layer}'s "
                        f"{target.channels} input channels")

    def _validate_layer_to_core(self) -> None:
        seen: dict[int, int] = {}
        for layer, core in self.layer_to_core.items():
            _in_range(f"layer_to_core[{layer}]", core, 0, N_CORES - 1, "core index")
            if self.cores[core] is None:
                raise ValueError(f"layer_to_core[{layer}]: core {core} is not used (no CoreConfig)")
            if core in seen:
                raise ValueError(f"layer_to_core[{layer}]: core {core} already holds layer {seen[core]}")
            seen[core] = layer

    def replace(self, **changes) -> "ChipConfig":
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **_plain(self)}

    @classmethod
    def from_dict(cls, doc: Mapping) -> "ChipConfig":
        if not isinstance(doc, Mapping):
            raise ValueError(f"not a spikegate DYNAP-CNN config: expected a JSON object, got {type(doc).__name__}")
        doc = dict(doc)
        if doc.pop("format", None) != FORMAT:
            raise ValueError(f"not a spikegate DYNAP-CNN config: the 'format' field is missing or not {FORMAT!r}")
        version = doc.pop("format_version", None)
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise ValueError(f"format_version: value {version!r} is not the supported version {FORMAT_VERSION}")
        doc = _record(cls, doc, required=("cores", "dvs_layer", "layer_to_core"))
        cores = tuple(None if core is None else _prefixed(f"cores[{i}]", lambda core=core: CoreConfig.from_dict(core))
                      for i, core in enumerate(_list("cores", doc.pop("cores"))))
        dvs_layer = _prefixed("dvs_layer", lambda: DvsLayerConfig.from_dict(doc.pop("dvs_layer")))
        layer_to_core = doc.pop("layer_to_core")
        if not isinstance(layer_to_core, Mapping):
            raise TypeError(f"layer_to_core: expected a JSON object {{layer: core}}, got {layer_to_core!r}")
        for key in layer_to_core:
            if not (isinstance(key, int) or (isinstance(key, str) and key.isdecimal() and key.isascii())):
                raise ValueError(f"layer_to_core: key {key!r} is not a layer index (0, 1, ...)")
        layer_to_core = {int(k): v for k, v in layer_to_core.items()}
        return cls(cores=cores, dvs_layer=dvs_layer, layer_to_core=layer_to_core, **doc)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "ChipConfig":
        return cls.from_dict(json.loads(text))

    def __repr__(self) -> str:
        used = ", ".join(f"{i}: {self.cores[i]!r}" for i in self.used_cores)
        return f"ChipConfig(chip={self.chip!r}, cores={{{used}}})"
