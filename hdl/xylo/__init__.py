"""The Xylo LIF array in Amaranth HDL: :class:`XyloCore`, its address map and host-side encoder
(:mod:`.memory_map`), and :func:`simulate`, which runs it with ``XyloSim.evolve``'s interface."""

from .core import XyloCore
from .memory_map import Ctrl, Region, XyloCoreParams, address, config_writes, decode_state, state_addresses
from .simulate import simulate
from .spram import SinglePortRAM

__all__ = ["XyloCore", "XyloCoreParams", "Region", "Ctrl", "address", "config_writes", "state_addresses",
           "decode_state", "simulate", "SinglePortRAM"]
