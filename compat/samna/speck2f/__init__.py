"""``samna.speck2f``: the Speck 2f configuration (``configuration``), its events (``event``) and
``validate_configuration(config) -> (bool, message)`` (spikegate's own validation)."""

from .._convert import validator
from . import configuration, event

validate_configuration = validator(configuration.SpeckConfiguration)

__all__ = ["configuration", "event", "validate_configuration"]
