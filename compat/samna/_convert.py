"""samna-shaped configurations ↔ spikegate's :class:`~spikegate.sim.dynapcnn.ChipConfig`, samna's
``validate_configuration``, and running a configuration on samna events.

The field names are the same on both sides (``ChipConfig`` uses samna's), so a conversion copies fields;
the rules that differ:

- **Unused cores.** A core whose ``weights`` are empty is unused (``None`` in ``ChipConfig``); its other
  fields are not read.
- **Input without a DVS stage.** sinabs writes a network without a DVS layer as a DVS layer that routes
  nowhere, and sends input events straight to the first core. spikegate's models take every input through
  the DVS layer, so :func:`to_chip_config` turns "no DVS destination enabled" into an identity DVS layer
  (``DvsLayerConfig.direct``) feeding the entry cores (used cores no core sends to; at most two, with the same
  input map), and :func:`from_chip_config` writes such an identity layer back as routing nowhere.
- **Layer numbering.** A samna configuration does not carry the model's layer indices: ``layer_to_core``
  of the result is empty.
- **Not modelled.** An enabled input congestion balancer or output decimator (Speck 2e/2f) is refused.

Validation is ``ChipConfig``'s: every error names the field with samna's path (``cnn_layers[3].…``,
``dvs_layer.…``), the value and the limit.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from spikegate.sim.dynapcnn import DVS_LAYER, INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, DvsLayerConfig, DynapcnnSim
from spikegate.sim.dynapcnn.config import CORE_REGISTER_SET, DESTINATION_REGISTER_SET

from . import _dynapcnn

#: spikegate chip profile → samna module (under spikegate.compat.samna) and its configuration class.
CHIP_MODULES = {"speck2e": "speck2e", "speck2f": "speck2f", "dynapcnn_devkit": "dynapcnn"}
CONFIGURATION_NAMES = {"speck2e": "SpeckConfiguration", "speck2f": "SpeckConfiguration",
                       "dynapcnn_devkit": "DynapcnnConfiguration"}
NOT_MODELLED = ("input_congestion_balancer_enable", "output_decimator_enable")


def chip_module(chip: str):
    """The samna module of a spikegate chip profile (``"speck2f"`` → ``spikegate.compat.samna.speck2f``)."""
    if chip not in CHIP_MODULES:
        raise ValueError(f"chip: value {chip!r} is not one of {tuple(CHIP_MODULES)}")
    return importlib.import_module(f"{__package__}.{CHIP_MODULES[chip]}")


# ------------------------------------------------------------------------------------- samna → spikegate
def to_chip_config(config) -> ChipConfig:
    """spikegate's validated :class:`ChipConfig` of a samna configuration (``SpeckConfiguration`` of
    ``samna.speck2e`` / ``samna.speck2f``, ``DynapcnnConfiguration`` of ``samna.dynapcnn``; these classes or a
    real samna's, read by attribute). Raises ValueError (TypeError for a wrong type) naming the field, with
    samna's path, the value and the limit."""
    chip = _chip_of(config)
    cores = {}
    for index, layer in enumerate(config.cnn_layers):
        if np.size(layer.weights):
            cores[index] = _named(f"cnn_layers[{index}]", lambda layer=layer: _core(layer))
    try:  # the cores and their routes first: the input routing below is derived from them
        chip_config = ChipConfig(chip=chip, cores=cores)
        return chip_config.replace(dvs_layer=_named("dvs_layer", lambda: _dvs_layer(config.dvs_layer, cores)))
    except (ValueError, TypeError) as error:
        raise type(error)(re.sub(r"\bcores\[", "cnn_layers[", str(error))) from None


def _chip_of(config) -> str:
    chip = getattr(type(config), "CHIP", "")
    if not chip:  # a real samna object: samna.<module>.configuration.<Class>
        parts = type(config).__module__.split(".")
        chip = next((name for name, module in CHIP_MODULES.items() if module in parts), "")
    if not chip or not hasattr(config, "cnn_layers") or not hasattr(config, "dvs_layer"):
        raise TypeError(f"config: expected a samna DYNAP-CNN/Speck configuration (SpeckConfiguration of speck2e or "
                        f"speck2f, DynapcnnConfiguration of dynapcnn), got {type(config).__name__}")
    return chip


def _named(prefix: str, build: Callable[[], Any]) -> Any:
    """``build()``, naming ``prefix`` in front of the field of any error it raises."""
    try:
        return build()
    except (ValueError, TypeError) as error:
        raise type(error)(f"{prefix}.{error}") from None


def _vec(value) -> dict[str, Any]:
    return {"x": value.x, "y": value.y}


def _registers(obj, table: Mapping) -> dict[str, Any]:
    """The registers of ``table`` (a register set of :mod:`spikegate.sim.dynapcnn.config`) read from the samna
    object ``obj`` by attribute, as the nested dicts ``from_dict`` takes (arrays as lists)."""
    values = {}
    for name, kind in table.items():
        value = getattr(obj, name)
        if isinstance(kind, tuple):
            values[name] = [_registers(item, kind[0]) for item in value]
        elif isinstance(kind, Mapping):
            values[name] = _registers(value, kind)
        else:
            values[name] = value
    return values


def _core(layer) -> CoreConfig:
    for name in NOT_MODELLED:
        if getattr(layer, name, False):
            raise ValueError(f"{name}: value True is not modelled (spikegate runs every core with it disabled)")
    return CoreConfig.from_dict({
        **_registers(layer, CORE_REGISTER_SET),
        **{name: np.asarray(getattr(layer, name)) for name in ("weights", "biases", "neurons_initial_value")},
    })


def _dvs_layer(dvs, cores: Mapping[int, CoreConfig]) -> DvsLayerConfig:
    flags = {"monitor_enable": dvs.monitor_enable, "pass_sensor_events": dvs.pass_sensor_events}
    if not any(d.enable for d in dvs.destinations) and entry_cores(cores):
        return dataclasses.replace(direct_input(cores), **flags)
    return DvsLayerConfig.from_dict({
        "merge": dvs.merge, "pooling": _vec(dvs.pooling), "origin": _vec(dvs.origin), "cut": _vec(dvs.cut),
        "mirror_x": dvs.mirror.x, "mirror_y": dvs.mirror.y, "mirror_diagonal": dvs.mirror_diagonal,
        "destinations": [_registers(d, DESTINATION_REGISTER_SET) for d in dvs.destinations], **flags})


def entry_cores(cores: Mapping[int, CoreConfig]) -> list[int]:
    """Used cores that no core sends to (where a network's input enters), ascending."""
    targets = {d.layer for core in cores.values() for d in core.destinations if d.enable}
    return sorted(index for index in cores if index not in targets)


def direct_input(cores: Mapping[int, CoreConfig]) -> DvsLayerConfig:
    """The identity DVS layer that feeds input events to the entry cores, as sinabs feeds a network without a
    DVS stage. Raises ValueError when there are more than two entry cores or their input maps differ."""
    entries = entry_cores(cores)
    maps = sorted({cores[i].input_map for i in entries})
    if len(entries) > 2 or len(maps) > 1:
        raise ValueError(f"destinations: none is enabled, so input events go straight to the entry cores {entries} "
                         f"(input maps {maps}); spikegate feeds input through one identity DVS layer, which reaches "
                         f"at most 2 cores of one input map: enable dvs_layer destinations instead")
    return DvsLayerConfig.direct(entries, maps[0])


# ------------------------------------------------------------------------------------- spikegate → samna
def from_chip_config(chip_config: ChipConfig, chip: str | None = None):
    """A samna configuration object of ``chip`` (default: ``chip_config.chip``) with the fields of
    ``chip_config``; :func:`to_chip_config` of it gives ``chip_config`` back (without ``layer_to_core``)."""
    if not isinstance(chip_config, ChipConfig):
        raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
    chip = chip_config.chip if chip is None else chip
    config = getattr(chip_module(chip).configuration, CONFIGURATION_NAMES[chip])()
    for index in chip_config.used_cores:
        for name, value in chip_config.cores[index].to_dict().items():
            setattr(config.cnn_layers[index], name, value)
    dvs, target = chip_config.dvs_layer, config.dvs_layer
    target.monitor_enable, target.pass_sensor_events = dvs.monitor_enable, dvs.pass_sensor_events
    if not _written_as_routing_nowhere(chip_config):
        fields = dataclasses.asdict(dvs)
        target.mirror = {"x": fields.pop("mirror_x"), "y": fields.pop("mirror_y")}
        for name, value in fields.items():
            setattr(target, name, value)
    return config


def _written_as_routing_nowhere(chip_config: ChipConfig) -> bool:
    """The DVS layer is the identity layer :func:`to_chip_config` makes of one that routes nowhere."""
    cores = {i: chip_config.cores[i] for i in chip_config.used_cores}
    try:
        direct = direct_input(cores) if entry_cores(cores) else None
    except ValueError:
        return False
    dvs = chip_config.dvs_layer
    return direct == dataclasses.replace(dvs, monitor_enable=False, pass_sensor_events=False)


# ------------------------------------------------------------------------------------------ validation
def validator(configuration_class: type) -> Callable[[Any], tuple[bool, str]]:
    """The ``validate_configuration`` function of one chip's samna module."""

    def validate_configuration(config) -> tuple[bool, str]:
        if not isinstance(config, configuration_class):
            raise TypeError(f"validate_configuration: expected a {configuration_class.__module__}."
                            f"{configuration_class.__name__}, got {type(config).__name__}")
        try:
            to_chip_config(config)
        except (ValueError, TypeError) as error:
            return False, str(error)
        return True, ""

    validate_configuration.__doc__ = (
        f"``(True, '')`` when a {configuration_class.__name__} is valid for {configuration_class.CHIP}, else "
        f"``(False, message)``: spikegate's ChipConfig validation, naming the field (samna's path), the value "
        f"and the limit.")
    return validate_configuration


# ------------------------------------------------------------------------------------------------- run
def simulate(config, events: Iterable, order: str = "depth-first") -> list:
    """Run a samna configuration on samna input events with spikegate's :class:`DynapcnnSim`, as a board would:
    ``Spike`` events to the entry core of a network without a DVS stage, or ``DvsEvent`` events through the DVS
    layer. Returns the monitored output as a list of the chip's ``Spike`` events (``DvsEvent`` for monitored
    DVS input), in emission order, each with the timestamp of the input event that caused it. ``order``:
    "depth-first" (the chip's) or "breadth-first" (specksim's). A fresh state each call."""
    chip_config = to_chip_config(config)
    out = DynapcnnSim(chip_config, order)(_event_array(chip_config, config, list(events)))
    event = chip_module(chip_config.chip).event
    return [event.DvsEvent(x=int(e["x"]), y=int(e["y"]), p=bool(e["p"]), timestamp=int(e["t"]))
            if e["layer"] == DVS_LAYER else
            event.Spike(layer=int(e["layer"]), feature=int(e["feature"]), x=int(e["x"]), y=int(e["y"]),
                        timestamp=int(e["t"]))
            for e in out]


def _event_array(chip_config: ChipConfig, config, events: list) -> np.ndarray:
    """Input events as :data:`INPUT_EVENT_DTYPE`, checked against where the configuration takes its input."""
    through_dvs = any(d.enable for d in config.dvs_layer.destinations)
    entries = [d.layer for d in chip_config.dvs_layer.destinations if d.enable]
    rows = []
    for i, event in enumerate(events):
        if isinstance(event, _dynapcnn.DvsEvent) or hasattr(event, "p"):
            if not through_dvs:
                raise ValueError(f"events[{i}]: a DvsEvent, but no dvs_layer destination is enabled; send Spike "
                                 f"events to core {entries[0] if entries else '(none is used)'}")
            rows.append((event.x, event.y, event.timestamp, int(event.p)))
        else:
            if through_dvs or entries != [event.layer]:
                where = "the DVS layer (send DvsEvent)" if through_dvs else f"core(s) {entries}"
                raise ValueError(f"events[{i}].layer: value {event.layer}: this configuration takes its input at "
                                 f"{where}, and spikegate's models take it nowhere else")
            rows.append((event.x, event.y, event.timestamp, event.feature))
    # int64 fields: DynapcnnSim then names any negative or out-of-map value itself
    return np.array(rows, dtype=[(name, np.int64) for name in INPUT_EVENT_DTYPE.names]).reshape(len(rows))
