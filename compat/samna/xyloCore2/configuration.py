"""``samna.xyloCore2.configuration``: the Xylo Audio 2 (SYNS61201) SNN-core configuration objects (see
:mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import LAYOUTS, configuration_classes

_CLASSES = configuration_classes(LAYOUTS["xyloCore2"])
XyloConfiguration = _CLASSES["XyloConfiguration"]
ReservoirNeuron = _CLASSES["ReservoirNeuron"]
OutputNeuron = _CLASSES["OutputNeuron"]
InputConfig = _CLASSES["InputConfig"]
ReservoirConfig = _CLASSES["ReservoirConfig"]
ReadoutConfig = _CLASSES["ReadoutConfig"]
DebugConfig = _CLASSES["DebugConfig"]

__all__ = ["XyloConfiguration", "ReservoirNeuron", "OutputNeuron", "InputConfig", "ReservoirConfig", "ReadoutConfig",
           "DebugConfig"]
