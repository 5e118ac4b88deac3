"""``samna.xyloAudio3.configuration``: the Xylo Audio 3 (SYNS65302) SNN-core configuration objects,
``XyloConfiguration``, ``HiddenNeuron``, ``OutputNeuron`` and the classes of its parts
(see :mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import namespace_classes

globals().update(namespace_classes("xyloAudio3"))
__all__ = list(namespace_classes("xyloAudio3"))
