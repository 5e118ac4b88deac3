"""The DYNAP-CNN cores: register configuration (:mod:`.config`), the event-driven model (:mod:`.model`) and
the time-stepped model (:mod:`.timestepped`, ``DynapcnnTimeStepped``: imported on first use, as it needs torch)."""

from .config import (CHIP_PROFILES, ChipConfig, CoreConfig, Destination, Dimensions, DvsLayerConfig, Shape, Size,
                     core_memory)
from .model import DVS_LAYER, INPUT_EVENT_DTYPE, ORDERS, OUTPUT_EVENT_DTYPE, DynapcnnSim, topological_order

__all__ = ["CHIP_PROFILES", "ChipConfig", "CoreConfig", "Destination", "Dimensions", "DvsLayerConfig", "Shape",
           "Size", "core_memory", "DVS_LAYER", "INPUT_EVENT_DTYPE", "ORDERS", "OUTPUT_EVENT_DTYPE", "DynapcnnSim",
           "topological_order", "DynapcnnTimeStepped"]


def __getattr__(name: str):
    if name == "DynapcnnTimeStepped":  # torch is imported only when the time-stepped model is asked for
        from .timestepped import DynapcnnTimeStepped

        return DynapcnnTimeStepped
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
