"""The Xylo LIF array: register configuration and bit-exact behavioural model."""

from .config import XyloConfig

__all__ = ["XyloConfig"]
