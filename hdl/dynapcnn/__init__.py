"""The DYNAP-CNN core and chip in Amaranth HDL, equal to :class:`spikegate.sim.dynapcnn.DynapcnnSim`.

- :class:`DynapcnnCore`: one core (:class:`ReceptiveField` → :class:`UpdatePipeline`, registers, memories);
- :class:`DynapcnnChip`: up to nine cores, :class:`DvsLayer`, one :class:`EventRouter` per core, FIFOs;
- :mod:`.memory_map`: the configuration port's address map, its encoder and the membrane read-back decoder;
- :func:`simulate`: the chip in Amaranth's simulator on numpy events (:func:`reference`: the model run alike).

Architecture, address map, ordering guarantee and figures: ``docs/dynapcnn-hdl.md``.
"""

from .chip import DynapcnnChip
from .core import DynapcnnCore
from .dvs import DvsLayer
from .limits import CoreLimits
from .memory_map import chip_writes, config_writes, decode_membranes, membrane_addresses
from .receptive_field import ReceptiveField
from .router import EventRouter
from .simulate import SimResult, config_access, fitted_limits, input_items, reference, simulate
from .update import UpdatePipeline

__all__ = ["DynapcnnChip", "DynapcnnCore", "DvsLayer", "CoreLimits", "chip_writes", "config_writes",
           "decode_membranes", "membrane_addresses", "ReceptiveField", "EventRouter", "SimResult", "fitted_limits",
           "input_items", "reference", "simulate", "UpdatePipeline", "config_access"]
