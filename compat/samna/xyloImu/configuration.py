"""``samna.xyloImu.configuration``: the Xylo IMU (SYNS63300) SNN-core configuration objects,
``XyloConfiguration``, ``HiddenNeuron``, ``OutputNeuron`` and the classes of its parts
(see :mod:`spikegate.compat.samna._xylo`).
``InputInterfaceConfig`` (the IMU interface before the SNN core, not emulated) "needs a board"."""

from .._unavailable import placeholders
from .._xylo import namespace_classes

globals().update(namespace_classes("xyloImu"))
__all__ = list(namespace_classes("xyloImu"))

globals().update(placeholders("samna.xyloImu.configuration", "InputInterfaceConfig"))
__all__.append("InputInterfaceConfig")
