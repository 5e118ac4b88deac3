"""samna's Xylo SNN-core configuration objects, one set per family member, and their ``validate_configuration``.

rockpool's ``config_from_specification`` writes these objects and its ``XyloSim.from_config`` reads them;
the four namespaces spell them differently, which :class:`Layout` records:

==============  ===========  =================  ======================  ===========  ===============
namespace       profile      hidden population  hidden neuron class     synapse 2    readout rows
==============  ===========  =================  ======================  ===========  ===============
``xyloCore``    Xylo v1      ``reservoir``      ``ReservoirNeuron``     yes          first hidden
``xyloCore2``   Xylo Audio 2 ``reservoir``      ``ReservoirNeuron``     yes          first hidden
``xyloImu``     Xylo IMU     ``hidden``         ``HiddenNeuron``        no           last hidden
``xyloAudio3``  Xylo Audio 3 ``hidden``         ``HiddenNeuron``        yes          last hidden
==============  ===========  =================  ======================  ===========  ===============

``XyloConfiguration`` holds ``input`` (``weights`` (Nin, IEN), ``syn2_weights``, ``weight_bit_shift``), the
hidden population (``weights`` (Nhid, Nhid) [pre][post], ``syn2_weights``, ``weight_bit_shift``,
``aliasing``, ``neurons``), ``readout`` (``weights`` (OEN, Nout), ``weight_bit_shift``, ``neurons``), ``debug``
(clock and power flags, which change nothing here) and the flags ``synapse2_enable`` and ``bias_enable``
(version-2 members). ``input.weights`` may have fewer columns than hidden neurons (IEN, the first hidden
neurons) and ``readout.weights`` fewer rows (OEN: the first hidden neurons on v1/Audio 2, the last on
IMU/Audio 3, as rockpool's ``XyloSim.from_config`` reads them). A neuron's ``alias_target`` is ``None``
or a hidden neuron index.

The names of the nested parts (``InputConfig``, ``ReadoutConfig``, ...) are spikegate's: samna does not
publish its own, and rockpool never names them. Values are converted on assignment (see
:mod:`._records`); the chip's limits are checked by ``validate_configuration``, which converts the
object to spikegate's :class:`~spikegate.sim.xylo.XyloConfig` and reports its validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from ._records import FixedList, Record, boolean, int_array, integer, record


@dataclass(frozen=True)
class Layout:
    """How one family member's samna namespace spells its configuration."""

    namespace: str  #: e.g. ``"xyloImu"``
    profile: str  #: key of the spikegate profile, e.g. ``"imu"``
    hidden: str  #: attribute of the hidden population: ``"reservoir"`` or ``"hidden"``
    neuron: str  #: class of a hidden neuron: ``"ReservoirNeuron"`` or ``"HiddenNeuron"``
    readout_rows: str  #: ``"first"`` or ``"last"``: hidden neurons that ``readout.weights`` rows belong to
    synapse2: bool  #: the member has a second synaptic state per hidden neuron
    bias: bool  #: the member has membrane biases (``v_mem_bias``, ``bias_enable``)
    debug: tuple[str, ...]  #: bool flags of ``debug``
    flags: tuple[str, ...] = ()  #: further bool flags of ``XyloConfiguration``


_AUDIO2_DEBUG = ("isyn_clock_enable", "isyn2_clock_enable", "ra_clock_enable", "bias_clock_enable", "hm_clock_enable",
                 "ram_power_enable")
LAYOUTS = {layout.namespace: layout for layout in (
    Layout("xyloCore", "v1", "reservoir", "ReservoirNeuron", "first", True, False,
           ("clock_enable", "ram_power_enable")),
    Layout("xyloCore2", "audio2", "reservoir", "ReservoirNeuron", "first", True, True, _AUDIO2_DEBUG),
    Layout("xyloImu", "imu", "hidden", "HiddenNeuron", "last", False, True, ("always_update_omp_stat",),
           ("imu_if_input_enable", "enable_hibernation_mode")),
    Layout("xyloAudio3", "audio3", "hidden", "HiddenNeuron", "last", True, True, ("always_update_omp_stat",),
           ("enable_hibernation_mode",)),
)}
#: The samna namespace of each spikegate profile.
NAMESPACE_OF_PROFILE = {layout.profile: namespace for namespace, layout in LAYOUTS.items()}


def _zero() -> int:
    return 0


def _false() -> bool:
    return False


def _none() -> None:
    return None


def _empty() -> list:
    return []


def optional_integer(name: str, value: Any) -> int | None:
    """``None`` (no alias target) or an integer."""
    return None if value is None else integer(name, value)


def record_list(cls: type) -> Callable[[str, Any], FixedList]:
    """Coercer of a list of ``cls`` records (or dicts of their fields), of any length when assigned whole;
    its items can then be changed in place, as :class:`FixedList` allows."""
    element = record(cls)

    def coerce(name: str, value: Any) -> FixedList:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise TypeError(f"{name}: expected a list of {cls.__name__}, got {value!r}")
        return FixedList(name, cls, [element(f"{name}[{i}]", item) for i, item in enumerate(value)])

    return coerce


def _record_class(name: str, fields: dict, doc: str, layout: Layout) -> type:
    return type(name, (Record,), {"FIELDS": fields, "__doc__": doc, "LAYOUT": layout,
                                  "__module__": f"samna.{layout.namespace}.configuration"})


def configuration_classes(layout: Layout) -> dict[str, type]:
    """The configuration classes of one namespace, by name (``XyloConfiguration``, the neuron classes and
    the nested parts)."""
    matrix = (int_array(2, "[pre][post]"), _empty)
    neuron_fields = {"i_syn_decay": (integer, _zero), "v_mem_decay": (integer, _zero), "threshold": (integer, _zero)}
    if layout.bias:
        neuron_fields["v_mem_bias"] = (integer, _zero)
    hidden_fields = {"alias_target": (optional_integer, _none), **neuron_fields}
    if layout.synapse2:
        hidden_fields["i_syn2_decay"] = (integer, _zero)
    hidden_neuron = _record_class(layout.neuron, hidden_fields, "A hidden neuron: decay shifts, threshold"
                                  + (", bias" if layout.bias else "") + " and alias target (None for none).", layout)
    output_neuron = _record_class("OutputNeuron", dict(neuron_fields), "A readout neuron.", layout)
    weights = {"weight_bit_shift": (integer, _zero), "weights": matrix}
    if layout.synapse2:
        weights["syn2_weights"] = matrix
    input_config = _record_class("InputConfig", dict(weights), "Input weights [channel][IEN] and their shift.", layout)
    hidden_config = _record_class(f"{layout.hidden.capitalize()}Config", {
        **weights, "aliasing": (boolean, _false), "neurons": (record_list(hidden_neuron), _empty)},
        "The hidden population: recurrent weights [pre][post], their shift, aliasing, neurons.", layout)
    readout_config = _record_class("ReadoutConfig", {
        "weight_bit_shift": (integer, _zero), "weights": matrix, "neurons": (record_list(output_neuron), _empty)},
        "Readout weights [OEN][readout neuron], their shift, and the readout neurons.", layout)
    debug_config = _record_class("DebugConfig", {flag: (boolean, _false) for flag in layout.debug},
                                 "Clock, power and monitoring flags (they change no result here).", layout)
    top = {"input": (record(input_config), input_config), layout.hidden: (record(hidden_config), hidden_config),
           "readout": (record(readout_config), readout_config), "debug": (record(debug_config), debug_config)}
    if layout.synapse2:
        top["synapse2_enable"] = (boolean, _false)
    if layout.bias:
        top["bias_enable"] = (boolean, _false)
    top |= {flag: (boolean, _false) for flag in layout.flags}
    configuration = _record_class("XyloConfiguration", top, f"A Xylo SNN-core configuration "
                                  f"(samna.{layout.namespace}); check it with validate_configuration.", layout)
    classes = [configuration, hidden_neuron, output_neuron, input_config, hidden_config, readout_config, debug_config]
    return {cls.__name__: cls for cls in classes}


_CLASSES: dict[str, dict[str, type]] = {}


def namespace_classes(namespace: str) -> dict[str, type]:
    """The configuration classes of ``samna.<namespace>.configuration`` (made once per namespace)."""
    if namespace not in _CLASSES:
        _CLASSES[namespace] = configuration_classes(LAYOUTS[namespace])
    return _CLASSES[namespace]


def missing_name(namespace: str) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``samna.<namespace>``: names it does not provide (board-only ones such as
    ``OperationMode``) are an AttributeError that says so."""

    def __getattr__(name: str) -> Any:
        raise AttributeError(f"spikegate.compat.samna provides no samna.{namespace}.{name} (the names it provides "
                             f"are listed in docs/compat.md)")

    return __getattr__
