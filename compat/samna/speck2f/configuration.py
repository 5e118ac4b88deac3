"""``samna.speck2f.configuration``: ``SpeckConfiguration`` and the classes of its parts."""

from .._dynapcnn import CnnLayerConfig, CnnLayerDestination, CnnLayerDimensions, DvsLayerConfig, configuration_class

__all__ = ["SpeckConfiguration", "CnnLayerConfig", "CnnLayerDestination", "CnnLayerDimensions", "DvsLayerConfig"]

SpeckConfiguration = configuration_class("SpeckConfiguration", "speck2f", CnnLayerConfig, __name__)
