"""The Xylo LIF array: register configuration and bit-exact behavioural model."""

from .config import XyloConfig
from .model import XyloSim

__all__ = ["XyloConfig", "XyloSim"]
