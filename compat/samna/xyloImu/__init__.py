"""``samna.xyloImu``: the Xylo IMU (SYNS63300) SNN core's configuration objects (``configuration``),
``validate_configuration(config) -> (bool, message)`` (spikegate's XyloConfig validation) and its events
(``event``, which need a board)."""

from .._xylo import missing_name
from .._xylo_convert import validator
from . import configuration as configuration, event as event

validate_configuration = validator(configuration.XyloConfiguration)

__getattr__ = missing_name("xyloImu")
