"""``samna.xyloCore2``: the Xylo Audio 2 (SYNS61201) SNN core's configuration objects (``configuration``),
``validate_configuration(config) -> (bool, message)`` (spikegate's XyloConfig validation) and its events
(``event``, which need a board). The board names (``NeuronStateSinkNode``) "need a board"."""

from .._unavailable import placeholders
from .._xylo import missing_name
from .._xylo_convert import validator
from . import configuration as configuration, event as event

validate_configuration = validator(configuration.XyloConfiguration)

globals().update(placeholders("samna.xyloCore2", "NeuronStateSinkNode"))

__getattr__ = missing_name("xyloCore2")
