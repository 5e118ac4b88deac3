"""The DYNAP-CNN cores: register configuration (:mod:`.config`) and the event-driven model (:mod:`.model`)."""

from .config import (CHIP_PROFILES, ChipConfig, CoreConfig, Destination, Dimensions, DvsLayerConfig, Shape, Size,
                     core_memory)
from .model import DVS_LAYER, INPUT_EVENT_DTYPE, ORDERS, OUTPUT_EVENT_DTYPE, DynapcnnSim, topological_order

__all__ = ["CHIP_PROFILES", "ChipConfig", "CoreConfig", "Destination", "Dimensions", "DvsLayerConfig", "Shape",
           "Size", "core_memory", "DVS_LAYER", "INPUT_EVENT_DTYPE", "ORDERS", "OUTPUT_EVENT_DTYPE", "DynapcnnSim",
           "topological_order"]
