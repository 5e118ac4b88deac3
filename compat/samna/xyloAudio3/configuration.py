"""``samna.xyloAudio3.configuration``: the Xylo Audio 3 (SYNS65302) SNN-core configuration objects (see
:mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import LAYOUTS, configuration_classes

_CLASSES = configuration_classes(LAYOUTS["xyloAudio3"])
XyloConfiguration = _CLASSES["XyloConfiguration"]
HiddenNeuron = _CLASSES["HiddenNeuron"]
OutputNeuron = _CLASSES["OutputNeuron"]
InputConfig = _CLASSES["InputConfig"]
HiddenConfig = _CLASSES["HiddenConfig"]
ReadoutConfig = _CLASSES["ReadoutConfig"]
DebugConfig = _CLASSES["DebugConfig"]

__all__ = ["XyloConfiguration", "HiddenNeuron", "OutputNeuron", "InputConfig", "HiddenConfig", "ReadoutConfig",
           "DebugConfig"]
