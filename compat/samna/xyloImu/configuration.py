"""``samna.xyloImu.configuration``: the Xylo IMU (SYNS63300) SNN-core configuration objects (see
:mod:`spikegate.compat.samna._xylo`)."""

from .._unavailable import placeholders
from .._xylo import LAYOUTS, configuration_classes

_CLASSES = configuration_classes(LAYOUTS["xyloImu"])
XyloConfiguration = _CLASSES["XyloConfiguration"]
HiddenNeuron = _CLASSES["HiddenNeuron"]
OutputNeuron = _CLASSES["OutputNeuron"]
InputConfig = _CLASSES["InputConfig"]
HiddenConfig = _CLASSES["HiddenConfig"]
ReadoutConfig = _CLASSES["ReadoutConfig"]
DebugConfig = _CLASSES["DebugConfig"]
#: The IMU interface (the front end before the SNN core) is not emulated: it "needs a board".
globals().update(placeholders("samna.xyloImu.configuration", "InputInterfaceConfig"))

__all__ = ["XyloConfiguration", "HiddenNeuron", "OutputNeuron", "InputConfig", "HiddenConfig", "ReadoutConfig",
           "DebugConfig", "InputInterfaceConfig"]
