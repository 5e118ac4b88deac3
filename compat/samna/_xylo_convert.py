"""samna Xylo configurations ↔ spikegate's :class:`~spikegate.sim.xylo.XyloConfig`, and ``validate_configuration``.

A samna object converts to the XyloConfig of its namespace's profile (``xyloCore`` → Xylo v1, ``xyloCore2``
→ Xylo Audio 2, ``xyloImu`` → Xylo IMU, ``xyloAudio3`` → Xylo Audio 3): its verdict is spikegate's own
validation, whose message names the field, the value and the limit. Two rules of the object are checked
here, as they have no XyloConfig field: synapse-2 weights need ``synapse2_enable``, biases ``bias_enable``
(the chip ignores either when its flag is off; spikegate refuses instead of dropping them).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from spikegate.sim.xylo import XyloConfig

from ._xylo import LAYOUTS, NAMESPACE_OF_PROFILE, Layout, namespace_classes


def _layout(config: Any) -> Layout:
    layout = getattr(type(config), "LAYOUT", None)
    if layout is None or type(config).__name__ != "XyloConfiguration":
        raise TypeError(f"config: expected a samna Xylo XyloConfiguration (samna.xyloCore, xyloCore2, xyloImu or "
                        f"xyloAudio3), got {type(config).__name__}")
    return layout


def to_xylo_config(config: Any, dt: float = 1e-3) -> XyloConfig:
    """spikegate's validated :class:`XyloConfig` of a samna Xylo ``XyloConfiguration`` (any family member).

    Raises:
        ValueError / TypeError: the configuration is not valid; the message names the field, value and limit.
    """
    layout = _layout(config)
    hidden = getattr(config, layout.hidden)
    n_hid = len(hidden.neurons)
    n_out = len(config.readout.neurons)
    w_rec = _weights(f"{layout.hidden}.weights", hidden.weights, (n_hid, n_hid), lambda s: s == (n_hid, n_hid),
                     f"({n_hid}, {n_hid}) for the {n_hid} hidden neurons")
    w_in = _weights("input.weights", config.input.weights, (0, 0), lambda s: s[1] <= n_hid,
                    f"(Nin, IEN) with IEN <= {n_hid} hidden neurons")
    w_out = _weights("readout.weights", config.readout.weights, (0, n_out), lambda s: s[0] <= n_hid and s[1] == n_out,
                     f"(OEN, {n_out}) with OEN <= {n_hid} hidden neurons, for the {n_out} readout neurons")
    weights_in = np.zeros((w_in.shape[0], n_hid, 2), np.int64)
    weights_in[:, :w_in.shape[1], 0] = w_in
    weights_rec = np.stack([w_rec, np.zeros_like(w_rec)], axis=-1)
    if layout.synapse2:
        _synapse_2(config, layout, weights_in, weights_rec, w_in.shape)
    weights_out = np.zeros((n_hid, n_out), np.int64)
    rows = slice(0, w_out.shape[0]) if layout.readout_rows == "first" else slice(n_hid - w_out.shape[0], n_hid)
    weights_out[rows] = w_out
    neurons, readouts = hidden.neurons, config.readout.neurons
    fields = dict(
        weights_in=weights_in, weights_rec=weights_rec, weights_out=weights_out,
        dash_mem=[n.v_mem_decay for n in neurons], dash_syn=[n.i_syn_decay for n in neurons],
        dash_syn_2=[n.i_syn2_decay if layout.synapse2 else n.i_syn_decay for n in neurons],
        dash_mem_out=[n.v_mem_decay for n in readouts], dash_syn_out=[n.i_syn_decay for n in readouts],
        threshold=[n.threshold for n in neurons], threshold_out=[n.threshold for n in readouts],
        weight_shift_in=config.input.weight_bit_shift, weight_shift_rec=hidden.weight_bit_shift,
        weight_shift_out=config.readout.weight_bit_shift,
        aliases=[[] if n.alias_target is None else [n.alias_target] for n in neurons], dt=dt, profile=layout.profile)
    if layout.bias:
        fields["bias"], fields["bias_out"] = _biases(config, layout)
    return XyloConfig(**fields)


def _weights(name: str, value: np.ndarray, empty: tuple[int, int], fits: Callable[[tuple], bool],
             expected: str) -> np.ndarray:
    """A weight matrix of the object: an empty one is all zero (shape ``empty``); else its shape must fit."""
    if value.size == 0:
        return np.zeros(empty, np.int64)
    if not fits(value.shape):
        raise ValueError(f"{name}: shape {value.shape} does not fit; expected {expected}")
    return value


def _synapse_2(config, layout: Layout, weights_in, weights_rec, in_shape) -> None:
    """Write the synapse-2 weights (into the arrays given), refusing them when ``synapse2_enable`` is off."""
    hidden = getattr(config, layout.hidden)
    for name, value, target, shape in (("input.syn2_weights", config.input.syn2_weights, weights_in, in_shape),
                                       (f"{layout.hidden}.syn2_weights", hidden.syn2_weights, weights_rec,
                                        weights_rec.shape[:2])):
        if value.size == 0:
            continue
        if value.shape != tuple(shape):
            raise ValueError(f"{name}: shape {value.shape} differs from the synapse-1 weights' {tuple(shape)}")
        if np.any(value) and not config.synapse2_enable:
            raise ValueError(f"{name}: non-zero weights, but synapse2_enable is False (the chip would ignore them)")
        target[:, :shape[1], 1] = value


def _biases(config, layout: Layout) -> tuple[list[int], list[int]]:
    """The hidden and readout biases, refusing non-zero ones when ``bias_enable`` is off."""
    biases = []
    for name, neurons in ((f"{layout.hidden}.neurons", getattr(config, layout.hidden).neurons),
                          ("readout.neurons", config.readout.neurons)):
        values = [n.v_mem_bias for n in neurons]
        if any(values) and not config.bias_enable:
            index = next(i for i, v in enumerate(values) if v)
            raise ValueError(f"{name}[{index}].v_mem_bias: value {values[index]} is non-zero, but bias_enable is False "
                             f"(the chip would ignore it)")
        biases.append(values)
    return biases[0], biases[1]


def from_xylo_config(xylo_config: XyloConfig, namespace: str | None = None) -> Any:
    """The samna ``XyloConfiguration`` of a :class:`XyloConfig`, in the namespace of its profile (or in
    ``namespace``: ``"xyloCore"``, ``"xyloCore2"``, ``"xyloImu"``, ``"xyloAudio3"``, which must hold it).

    ``to_xylo_config`` of the result equals ``xylo_config``. Input weights are written for the hidden
    neurons the member's inputs reach (IEN), readout weights for those it reads out from (OEN).
    """
    if not isinstance(xylo_config, XyloConfig):
        raise TypeError(f"xylo_config: expected a XyloConfig, got {type(xylo_config).__name__}")
    namespace = namespace or NAMESPACE_OF_PROFILE.get(xylo_config.profile.key)
    if namespace not in LAYOUTS:
        raise ValueError(f"namespace: {namespace!r} is not one of {sorted(LAYOUTS)}")
    layout = LAYOUTS[namespace]
    classes = namespace_classes(namespace)
    c = xylo_config
    ien = min(c.n_hidden, c.profile.input_neurons)
    oen = min(c.n_hidden, c.profile.readout_neurons)
    readout_rows = slice(0, oen) if layout.readout_rows == "first" else slice(c.n_hidden - oen, c.n_hidden)
    hidden_neuron, output_neuron = classes[layout.neuron], classes["OutputNeuron"]
    neurons = []
    for n in range(c.n_hidden):
        fields = dict(alias_target=c.aliases[n][0] if c.aliases[n] else None, i_syn_decay=c.dash_syn[n],
                      v_mem_decay=c.dash_mem[n], threshold=c.threshold[n])
        fields |= {"i_syn2_decay": c.dash_syn_2[n]} if layout.synapse2 else {}
        fields |= {"v_mem_bias": c.bias[n]} if layout.bias else {}
        neurons.append(hidden_neuron(**fields))
    readouts = [output_neuron(i_syn_decay=c.dash_syn_out[o], v_mem_decay=c.dash_mem_out[o],
                              threshold=c.threshold_out[o], **({"v_mem_bias": c.bias_out[o]} if layout.bias else {}))
                for o in range(c.n_outputs)]
    hidden = dict(weight_bit_shift=c.weight_shift_rec, weights=c.weights_rec[:, :, 0], neurons=neurons,
                  aliasing=any(c.aliases))
    inputs = dict(weight_bit_shift=c.weight_shift_in, weights=c.weights_in[:, :ien, 0])
    top: dict[str, Any] = {}
    if layout.synapse2:
        top["synapse2_enable"] = c.uses_syn2
        if c.uses_syn2:
            hidden["syn2_weights"], inputs["syn2_weights"] = c.weights_rec[:, :, 1], c.weights_in[:, :ien, 1]
    if layout.bias:
        top["bias_enable"] = c.has_bias
    config = classes["XyloConfiguration"](input=inputs, readout=dict(
        weight_bit_shift=c.weight_shift_out, weights=c.weights_out[readout_rows], neurons=readouts), **top,
        **{layout.hidden: hidden})
    to_xylo_config(config)  # refuses what the namespace cannot hold (e.g. an IMU config in xyloCore2)
    return config


def validator(configuration_class: type) -> Callable[[Any], tuple[bool, str]]:
    """The ``validate_configuration`` function of one namespace."""
    namespace = configuration_class.LAYOUT.namespace

    def validate_configuration(config) -> tuple[bool, str]:
        if not isinstance(config, configuration_class):
            raise TypeError(f"validate_configuration: expected a samna.{namespace}.configuration.XyloConfiguration, "
                            f"got {type(config).__name__}")
        try:
            to_xylo_config(config)
        except (ValueError, TypeError) as error:
            return False, str(error)
        return True, ""

    validate_configuration.__doc__ = (f"``(is_valid, message)`` of a samna.{namespace} XyloConfiguration: spikegate's "
                                      f"XyloConfig validation (message names the field, value and limit; '' if valid).")
    return validate_configuration
