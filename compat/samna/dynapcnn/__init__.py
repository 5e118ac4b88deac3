"""``samna.dynapcnn``: the DYNAP-CNN devkit configuration (``configuration``), its events (``event``) and
``validate_configuration(config) -> (bool, message)`` (spikegate's own validation)."""

from .._convert import validator
from . import configuration, event

validate_configuration = validator(configuration.DynapcnnConfiguration)

__all__ = ["configuration", "event", "validate_configuration"]
