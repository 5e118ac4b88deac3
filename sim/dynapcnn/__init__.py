"""The DYNAP-CNN cores: register configuration (:mod:`.config`) and the event-driven model."""

from .config import (CHIP_PROFILES, ChipConfig, CoreConfig, Destination, Dimensions, DvsLayerConfig, Shape, Size,
                     core_memory)

__all__ = ["CHIP_PROFILES", "ChipConfig", "CoreConfig", "Destination", "Dimensions", "DvsLayerConfig", "Shape",
           "Size", "core_memory"]
