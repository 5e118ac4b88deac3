"""The size of one hardware core: its three memories (:class:`CoreLimits`)."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.utils import ceil_log2

from spikegate.sim.dynapcnn.config import CHIP_PROFILES, CoreConfig, core_memory


@dataclass(frozen=True)
class CoreLimits:
    """Memory depths of one :class:`~spikegate.hdl.dynapcnn.DynapcnnCore` (entries).

    The geometry limits (maps, kernel, stride, padding, features) are the chip's and are fixed by the register
    widths; the memories are what makes a core big, so they are the parameters. A configuration fits when
    its memory demand (spec §5, :func:`~spikegate.sim.dynapcnn.config.core_memory`) is within each depth.
    Depths are rounded up to a power of two (as block RAMs are), so every address the core can form while
    it works is inside its memories.
    """

    kernel: int = 16 * 1024  #: int8 weights
    neuron: int = 64 * 1024  #: int16 membranes
    bias: int = 1024  #: int16 biases

    def __post_init__(self) -> None:
        for name in ("kernel", "neuron", "bias"):
            value = getattr(self, name)
            if not 1 <= value <= 64 * 1024:
                raise ValueError(f"{name}: depth {value} is outside 1..65536 entries")
            object.__setattr__(self, name, max(2, 1 << ceil_log2(value)))

    @property
    def kernel_bits(self) -> int:
        """Address bits of the kernel memory."""
        return max(1, ceil_log2(self.kernel))

    @property
    def neuron_bits(self) -> int:
        """Address bits of the neuron memory."""
        return max(1, ceil_log2(self.neuron))

    @property
    def bias_bits(self) -> int:
        """Address bits of the bias memory."""
        return max(1, ceil_log2(self.bias))

    @property
    def depths(self) -> dict[str, int]:
        return {"kernel": self.kernel, "neuron": self.neuron, "bias": self.bias}

    @classmethod
    def of_chip(cls, core: int, chip: str = "speck2f") -> "CoreLimits":
        """Core ``core`` of a chip profile (spec §5 capacities)."""
        capacity = CHIP_PROFILES[chip][core]
        return cls(kernel=capacity["kernel"], neuron=capacity["neuron"], bias=capacity["bias"])

    @classmethod
    def for_shape(cls, *, features: int, channels: int, neuron_map: int, kernel_size: int) -> "CoreLimits":
        """The smallest core for up to ``features`` × ``neuron_map``² neurons, ``channels`` input channels
        and kernels up to ``kernel_size``."""
        return cls(kernel=channels << (ceil_log2(kernel_size ** 2) + ceil_log2(features)),
                   neuron=features << (2 * ceil_log2(neuron_map)), bias=features)

    @classmethod
    def fit(cls, core: CoreConfig) -> "CoreLimits":
        """The smallest core that holds ``core`` (each memory at least one entry)."""
        demand = core_memory(core)
        return cls(kernel=max(1, demand["kernel"]), neuron=max(1, demand["neuron"]), bias=max(1, core.features))

    def check(self, core: CoreConfig, name: str = "core") -> None:
        """Raise ValueError naming the memory, the demand and the depth when ``core`` does not fit."""
        for kind, entries in core_memory(core).items():
            depth = getattr(self, kind)
            if entries > depth:
                raise ValueError(f"{name}: {kind} memory of {entries} entries is over this hardware core's depth "
                                 f"of {depth} (by {entries - depth})")
