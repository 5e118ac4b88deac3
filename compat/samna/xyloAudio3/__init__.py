"""``samna.xyloAudio3``: the Xylo Audio 3 (SYNS65302) SNN core's configuration objects (``configuration``),
``validate_configuration(config) -> (bool, message)`` (spikegate's XyloConfig validation) and its events
(``event``, which need a board). The board names (``XyloAudio3TestBoard``,
``XyloAudio3TestBoardDefaultConfig``, ``MeasurementChannels``) "need a board"."""

from .._unavailable import placeholders
from .._xylo import missing_name
from .._xylo_convert import validator
from . import configuration as configuration, event as event

validate_configuration = validator(configuration.XyloConfiguration)

globals().update(placeholders("samna.xyloAudio3",
                             "XyloAudio3TestBoard XyloAudio3TestBoardDefaultConfig MeasurementChannels"))

__getattr__ = missing_name("xyloAudio3")
