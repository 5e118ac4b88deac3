"""The Xylo LIF array: register configuration, the family's profiles and the bit-exact behavioural model."""

from .config import XyloConfig
from .model import XyloSim
from .profiles import PROFILES, XyloProfile, get_profile

__all__ = ["XyloConfig", "XyloSim", "XyloProfile", "PROFILES", "get_profile"]
