"""The Xylo LIF array in Amaranth HDL: :class:`XyloCore` (a composition of :class:`HostPort`,
:class:`StepController`, :class:`SynapticPipeline` and :class:`CoreMemories`), its address map and
host-side encoder (:mod:`.memory_map`), and :func:`simulate`, which runs it with ``XyloSim.evolve``'s interface."""

from .controller import StepController
from .core import XyloCore
from .host_port import HostPort
from .memories import CoreMemories
from .memory_map import Ctrl, Region, XyloCoreParams, address, config_writes, decode_state, state_addresses
from .pipeline import SynapticPipeline
from .simulate import simulate
from .spram import SinglePortRAM

__all__ = ["XyloCore", "HostPort", "StepController", "SynapticPipeline", "CoreMemories", "XyloCoreParams", "Region",
           "Ctrl", "address", "config_writes", "state_addresses", "decode_state", "simulate", "SinglePortRAM"]
