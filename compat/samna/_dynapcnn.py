"""The DYNAP-CNN / Speck configuration objects and events, with samna's field names.

One definition serves the three chips: ``samna.speck2e``, ``samna.speck2f`` and ``samna.dynapcnn`` export
these classes under samna's names for that chip (Speck 2e/2f spell ``CnnLayerConfig``, ``DvsLayerConfig``;
the DYNAP-CNN devkit ``CNNLayerConfig``, ``DVSLayerConfig``) and make their own configuration class
(:func:`configuration_class`) and event classes (:func:`event_classes`). Axes are samna's, x
before y: ``weights[f][c][kx][ky]``, ``neurons_initial_value[f][x][y]``, ``biases[f]``.

Defaults are spikegate's: those of :class:`~spikegate.sim.dynapcnn.ChipConfig` where it has one (a
destination is disabled, layer 0, pooling 1, feature shift 0; the DVS layer routes nothing, pooling 1,
origin 0, cut 127, no mirroring, sensor events not passed), and empty arrays, zero sizes and thresholds
for a core nobody wrote (samna's own defaults are not public). A core whose ``weights`` are empty is unused.
"""

from __future__ import annotations

from typing import Any

from spikegate.sim.dynapcnn.config import N_CORES

from ._records import Record, boolean, fixed_list, int_array, integer, record

N_DESTINATIONS = 2


def _zero() -> int:
    return 0


def _false() -> bool:
    return False


def _empty() -> list:
    return []


class Vec2(Record):
    """Two integers, x (width axis) and y (height axis)."""

    FIELDS = {"x": (integer, _zero), "y": (integer, _zero)}


class Vec2Bool(Record):
    """Two bools, x and y."""

    FIELDS = {"x": (boolean, _false), "y": (boolean, _false)}


def _vec2(x: int, y: int):
    return lambda: Vec2(x=x, y=y)


class Shape(Record):
    """A map: ``size`` (x = width, y = height) and ``feature_count`` channels."""

    FIELDS = {"size": (record(Vec2), Vec2), "feature_count": (integer, _zero)}


class CnnLayerDimensions(Record):
    """Geometry of a core: input map, neuron map (convolution output, before pooling), padding, stride,
    square kernel size."""

    FIELDS = {
        "input_shape": (record(Shape), Shape),
        "output_shape": (record(Shape), Shape),
        "padding": (record(Vec2), Vec2),
        "stride": (record(Vec2), _vec2(1, 1)),
        "kernel_size": (integer, _zero),
    }


class CnnLayerDestination(Record):
    """One output route: events (x, y, f) go to core ``layer`` as (x // pooling, y // pooling,
    f + feature_shift) when ``enable``."""

    FIELDS = {
        "layer": (integer, _zero),
        "enable": (boolean, _false),
        "pooling": (integer, lambda: 1),
        "feature_shift": (integer, _zero),
    }


#: Two routes, of a core or of the DVS layer.
DESTINATIONS = (fixed_list(CnnLayerDestination, N_DESTINATIONS),
                lambda: [CnnLayerDestination() for _ in range(N_DESTINATIONS)])
#: The registers of one core that every chip has (samna ``CNNLayerConfig`` / ``CnnLayerConfig``).
CORE_FIELDS: dict[str, Any] = {
    "dimensions": (record(CnnLayerDimensions), CnnLayerDimensions),
    "weights": (int_array(4, "[f][c][kx][ky]"), _empty),
    "biases": (int_array(1, "[f]"), _empty),
    "neurons_initial_value": (int_array(3, "[f][x][y]"), _empty),
    "threshold_high": (integer, _zero),
    "threshold_low": (integer, _zero),
    "return_to_zero": (boolean, _false),
    "leak_enable": (boolean, _false),
    "monitor_enable": (boolean, _false),
    "destinations": DESTINATIONS,
}
#: Speck 2e/2f only. spikegate models the congestion balancer and the output decimator as disabled (the
#: configuration is refused when one is enabled); the slow-clock source has no effect on the models.
SPECK_FIELDS: dict[str, Any] = {
    "input_congestion_balancer_enable": (boolean, _false),
    "leak_internal_slow_clk_enable": (boolean, _false),
    "output_decimator_enable": (boolean, _false),
    "output_decimator_interval": (integer, _zero),
}


class CnnLayerConfig(Record):
    """One core of a Speck 2e/2f chip."""

    FIELDS = {**CORE_FIELDS, **SPECK_FIELDS}


class CNNLayerConfig(Record):
    """One core of the DYNAP-CNN devkit (its kill bits are not provided)."""

    FIELDS = CORE_FIELDS


class DvsLayerConfig(Record):
    """The DVS pre-processing layer: merge polarities → sum pool → crop to ``origin``..``cut`` (inclusive,
    pooled coordinates) → mirror y, mirror x → swap x/y (``mirror_diagonal``) → ``destinations``."""

    FIELDS = {
        "merge": (boolean, _false),
        "pooling": (record(Vec2), _vec2(1, 1)),
        "origin": (record(Vec2), Vec2),
        "cut": (record(Vec2), _vec2(127, 127)),
        "mirror": (record(Vec2Bool), Vec2Bool),
        "mirror_diagonal": (boolean, _false),
        "pass_sensor_events": (boolean, _false),
        "destinations": DESTINATIONS,
        "monitor_enable": (boolean, _false),
    }


class Configuration(Record):
    """Base of the whole-chip configurations: ``cnn_layers`` (nine cores) and ``dvs_layer``; ``CHIP`` names the
    spikegate chip profile."""

    CHIP: str = ""


def configuration_class(name: str, chip: str, layer_class: type, module: str) -> type:
    """The configuration class ``name`` of samna module ``module`` for ``chip``, with cores of ``layer_class``."""
    fields = {
        "cnn_layers": (fixed_list(layer_class, N_CORES), lambda: [layer_class() for _ in range(N_CORES)]),
        "dvs_layer": (record(DvsLayerConfig), DvsLayerConfig),
    }
    doc = f"The whole {chip} chip: ``cnn_layers`` (9 cores, {layer_class.__name__}) and ``dvs_layer``."
    return type(name, (Configuration,), {"CHIP": chip, "FIELDS": fields, "__module__": module, "__doc__": doc})


# ------------------------------------------------------------------------------------------------ events
class Spike(Record):
    """An event of core ``layer``: feature, x, y; ``timestamp`` in µs."""

    FIELDS = {name: (integer, _zero) for name in ("layer", "feature", "x", "y", "timestamp")}


class DvsEvent(Record):
    """A sensor event at the DVS layer: x, y, polarity ``p`` (bool); ``timestamp`` in µs."""

    FIELDS = {"x": (integer, _zero), "y": (integer, _zero), "p": (boolean, _false), "timestamp": (integer, _zero)}


class WriteNeuronValue(Record):
    """A request to write ``neuron_state`` at ``address`` of core ``layer`` (needs a board to be sent)."""

    FIELDS = {name: (integer, _zero) for name in ("layer", "address", "neuron_state")}


class ReadNeuronValue(Record):
    """A request to read the neuron at ``address`` of core ``layer`` (needs a board to be sent)."""

    FIELDS = {name: (integer, _zero) for name in ("layer", "address")}


class NeuronValue(Record):
    """A neuron state read back from a board."""

    FIELDS = {name: (integer, _zero) for name in ("layer", "address", "neuron_state")}


EVENTS = (Spike, DvsEvent, WriteNeuronValue, ReadNeuronValue, NeuronValue)


def event_classes(module: str) -> tuple[type, ...]:
    """The event classes of one chip's samna module ``module`` (subclasses of :data:`EVENTS`, so that
    ``isinstance`` tells the chips apart), in the order of :data:`EVENTS`."""
    return tuple(type(base.__name__, (base,), {"__module__": module, "__doc__": base.__doc__}) for base in EVENTS)
