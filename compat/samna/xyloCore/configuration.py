"""``samna.xyloCore.configuration``: the Xylo v1 (SYNS61300) SNN-core configuration objects (see
:mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import LAYOUTS, configuration_classes

_CLASSES = configuration_classes(LAYOUTS["xyloCore"])
XyloConfiguration = _CLASSES["XyloConfiguration"]
ReservoirNeuron = _CLASSES["ReservoirNeuron"]
OutputNeuron = _CLASSES["OutputNeuron"]
InputConfig = _CLASSES["InputConfig"]
ReservoirConfig = _CLASSES["ReservoirConfig"]
ReadoutConfig = _CLASSES["ReadoutConfig"]
DebugConfig = _CLASSES["DebugConfig"]

__all__ = ["XyloConfiguration", "ReservoirNeuron", "OutputNeuron", "InputConfig", "ReservoirConfig", "ReadoutConfig",
           "DebugConfig"]
