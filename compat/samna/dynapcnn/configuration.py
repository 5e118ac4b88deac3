"""``samna.dynapcnn.configuration``: ``DynapcnnConfiguration`` and the classes of its parts (samna spells them
``CNNLayer…`` and ``DVSLayerConfig`` on this chip)."""

from .._dynapcnn import CNNLayerConfig, CnnLayerDestination, CnnLayerDimensions, DvsLayerConfig, configuration_class

__all__ = ["DynapcnnConfiguration", "CNNLayerConfig", "CNNLayerDestination", "CNNLayerDimensions", "DVSLayerConfig"]

CNNLayerDestination, CNNLayerDimensions, DVSLayerConfig = CnnLayerDestination, CnnLayerDimensions, DvsLayerConfig
DynapcnnConfiguration = configuration_class("DynapcnnConfiguration", "dynapcnn_devkit", CNNLayerConfig, __name__)
