"""``samna.xyloCore2.configuration``: the Xylo Audio 2 (SYNS61201) SNN-core configuration objects,
``XyloConfiguration``, ``ReservoirNeuron``, ``OutputNeuron`` and the classes of its parts
(see :mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import namespace_classes

globals().update(namespace_classes("xyloCore2"))
__all__ = list(namespace_classes("xyloCore2"))
