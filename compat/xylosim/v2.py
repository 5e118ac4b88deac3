"""``xylosim.v2``: the Xylo Audio 2 (SYNS61201) layer of SynSense's ``xylosim``, on spikegate's ``XyloSim``.

As :mod:`.v1`, plus the biases (``XyloLayer(..., threshold_out, has_bias, bias, bias_out, ...)``,
``XyloIAFNeuron(dash_mem, dash_syns, v_th, has_bias, bias)``) and the hibernation flag
(``rec_hibernation_mode``, ``in_hibernation_mode``). rockpool simulates Xylo Audio 2, Xylo IMU and Xylo
Audio 3 with this layer, so a network is validated on the first of those profiles whose limits it meets
(``layer.config.profile``); their arithmetic is the same.

The hibernation flag, as xylosim 0.1.3 reports it (it never changes a value; measured, and compared flag
by flag in the tests): without biases (``has_bias`` false) a step is flagged when it has no input event
and every register (currents, membranes, spike counts) is zero at its start. With biases a step is
flagged when it and the step before it in the same ``evolve`` call are both *quiet*: no input event, no
synaptic current and no spike count at the step's start, no readout spike, and no membrane change before
the threshold on any neuron (bias and leak cancel, before saturation); so the first step of a call is
never flagged. ``in_hibernation_mode`` is whether the last step was quiet.
"""

from __future__ import annotations

import numpy as np

from ._layer import Layer, Neuron, Synapse, integer, integers

__all__ = ["XyloSynapse", "XyloIAFNeuron", "XyloLayer"]


class XyloSynapse(Synapse):
    __doc__ = Synapse.__doc__


class XyloIAFNeuron(Neuron):
    __doc__ = Neuron.__doc__

    def __init__(self, dash_mem, dash_syns, v_th, has_bias, bias):
        super().__init__(dash_mem, dash_syns, v_th)
        self.has_bias = bool(integer("XyloIAFNeuron.has_bias", has_bias, 0, 1, "bool"))
        self.bias = integer("XyloIAFNeuron.bias", bias, -32768, 32767, "int16")


class XyloLayer(Layer):
    """A Xylo Audio 2 LIF array (see the module docstring): the records of :class:`.v1.XyloLayer` plus
    ``rec_hibernation_mode`` (T,) bools."""

    VERSION = 2
    SYNAPSE = XyloSynapse
    NEURON = XyloIAFNeuron
    PROFILES = ("audio2", "imu", "audio3")

    def __init__(self, synapses_in, synapses_rec, synapses_out, aliases, threshold, threshold_out, has_bias, bias,
                 bias_out, weight_shift_inp, weight_shift_rec, weight_shift_out, dash_mem, dash_mem_out, dash_syns,
                 dash_syns_out, name):
        has_bias = bool(integer("has_bias", has_bias, 0, 1, "bool"))
        bias = integers("bias", bias, -32768, 32767, "int16")
        bias_out = integers("bias_out", bias_out, -32768, 32767, "int16")
        object.__setattr__(self, "_has_bias", has_bias)
        zero = [0] * len(bias), [0] * len(bias_out)  # xylosim ignores the biases without has_bias
        self._build(synapses_in, synapses_rec, synapses_out, aliases, threshold, threshold_out, weight_shift_inp,
                    weight_shift_rec, weight_shift_out, dash_mem, dash_mem_out, dash_syns, dash_syns_out, name,
                    *((bias, bias_out) if has_bias else zero))
        self.in_hibernation_mode = False

    def _clear_records(self) -> None:
        super()._clear_records()
        self.rec_hibernation_mode = []

    def reset_all(self) -> None:
        super().reset_all()
        self.in_hibernation_mode = False

    def _after_evolve(self, counts, before, out, rec) -> None:
        flags, quiet = hibernation(self._config, self._has_bias, counts, before, out, rec)
        self.in_hibernation_mode = bool(quiet[-1])
        self.rec_hibernation_mode = flags.tolist()

    def _neuron(self, dash_mem, dash_syns, v_th, bias) -> XyloIAFNeuron:
        return XyloIAFNeuron(int(dash_mem), dash_syns, int(v_th), self._has_bias, int(bias))


def hibernation(config, has_bias: bool, counts, before, out, rec) -> tuple[np.ndarray, np.ndarray]:
    """The hibernation flag of each of T steps (see the module docstring) and whether each step was quiet.

    Args:
        counts: (T, Nin) input counts; before: the state registers before the first step (``XyloSim.state()``);
        out, rec: that call's output spikes and records.
    """
    start = {name: np.concatenate([before[name][None], rec[name][:-1]]).astype(np.int64) for name in rec}
    no_input = ~np.any(counts > 0, axis=1)
    still = (~np.any(start["Isyn"], axis=1) & ~np.any(start["Isyn2"], axis=1) & ~np.any(start["Isyn_out"], axis=1)
             & ~np.any(start["Spikes"], axis=1) & ~np.any(out, axis=1)
             & ~np.any(_membrane_change(start["Vmem"], config.dash_mem, config.bias), axis=1)
             & ~np.any(_membrane_change(start["Vmem_out"], config.dash_mem_out, config.bias_out), axis=1))
    quiet = no_input & still
    if has_bias:
        return quiet & np.concatenate([[False], quiet[:-1]]), quiet
    at_rest = np.all([~np.any(start[name], axis=1) for name in start], axis=0)
    return no_input & at_rest, quiet


def _membrane_change(v: np.ndarray, dash: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The version-2 membrane change ``sat(sat(wrap(-leak(v))) + bias)`` of a neuron without synaptic input."""
    shifted = v >> dash.astype(np.int64)
    leak = shifted + ((v > 0) & (shifted == 0))
    wrapped = ((-leak + 32768) & 0xFFFF) - 32768
    return np.clip(wrapped + bias.astype(np.int64), -32768, 32767)
