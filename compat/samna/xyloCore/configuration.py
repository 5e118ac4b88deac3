"""``samna.xyloCore.configuration``: the Xylo v1 (SYNS61300) SNN-core configuration objects,
``XyloConfiguration``, ``ReservoirNeuron``, ``OutputNeuron`` and the classes of its parts
(see :mod:`spikegate.compat.samna._xylo`)."""

from .._xylo import namespace_classes

globals().update(namespace_classes("xyloCore"))
__all__ = list(namespace_classes("xyloCore"))
