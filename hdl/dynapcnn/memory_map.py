"""Address map of the DYNAP-CNN hardware's configuration port, and its one encoder / decoder.

Every configuration access is one 16-bit word at a 22-bit word address::

    address = slot << 18 | region << 16 | offset

- ``slot``: core 0..8, or :data:`DVS_SLOT` (9) for the DVS layer (registers only).
- ``region``: :data:`REGISTERS` (0), :data:`BIASES` (1), :data:`KERNEL` (2), :data:`NEURONS` (3).
- registers: one per field, at consecutive offsets in the order of :func:`register_table` (samna's field
  names: ``dimensions.input_shape.size.x`` … ``destinations[1].feature_shift``); signed fields are written
  as 16-bit two's complement, booleans as 0/1.
- biases: ``offset = f``.
- kernel memory (int8 weights, low byte of the word):
  ``offset = c << (kb + fb) | f << kb | (kx·k + ky)`` with ``kb = ⌈log2 k²⌉``, ``fb = ⌈log2 f_count⌉``.
- neuron memory (int16 membranes, written as the initial value and read back):
  ``offset = f << (xb + yb) | y << xb | x`` with ``xb, yb = ⌈log2⌉`` of the neuron map's width and height.

These layouts use exactly the memory the spec's §5 formulas count (kernel ``c·2^(kb+fb)``, neuron
``f·2^(xb+yb)``), so a config that fits a chip profile fits a core of that profile's depths. The read-back
address differs from samna's ``ReadNeuronValue`` word (feature in the low bits); :func:`membrane_addresses`
and :func:`decode_membranes` are the one place that knows it.

:func:`config_writes` is the one encoder of a core's configuration, used by :func:`spikegate.hdl.dynapcnn.simulate`,
the cocotb bench and the FPGA host driver; :func:`memory_images` gives the same contents as memory images
(for configurations built into the design).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from amaranth.hdl import Shape
from amaranth.lib import data
from amaranth.utils import ceil_log2

from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, DvsLayerConfig
from spikegate.sim.dynapcnn.kernels import DVS_LAYER

from .layouts import CoreFields, DvsFields
from .limits import CoreLimits

DATA_BITS = 16
OFFSET_BITS = 16
REGION_BITS = 2
LOCAL_BITS = OFFSET_BITS + REGION_BITS  #: address bits within one slot
SLOT_BITS = 4
ADDRESS_BITS = LOCAL_BITS + SLOT_BITS
REGISTERS, BIASES, KERNEL, NEURONS = range(4)
DVS_SLOT = DVS_LAYER  #: the DVS layer's slot on the configuration bus

Path = tuple  # of str (field) and int (array index) elements


def _walk(shape, path: Path = ()) -> Iterator[tuple[Path, Shape]]:
    if isinstance(shape, data.ArrayLayout):
        for i in range(shape.length):
            yield from _walk(shape.elem_shape, path + (i,))
    elif isinstance(shape, data.StructLayout):
        for name, field in shape:
            yield from _walk(field.shape, path + (name,))
    else:
        yield path, Shape.cast(shape)


def register_table(layout: data.StructLayout) -> tuple[tuple[Path, Shape], ...]:
    """The registers of ``layout`` (:data:`CoreFields` or :data:`DvsFields`) in address order."""
    return tuple(_walk(layout))


CORE_REGISTERS = register_table(CoreFields)
DVS_REGISTERS = register_table(DvsFields)


def field_name(path: Path) -> str:
    """samna's dotted name of a register: ``destinations[0].enable``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def get_field(obj, path: Path):
    """The value at ``path`` in a config object or an Amaranth view."""
    for p in path:
        obj = obj[p] if isinstance(p, int) else getattr(obj, p)
    return obj


def address(slot: int, region: int, offset: int) -> int:
    return slot << LOCAL_BITS | region << OFFSET_BITS | offset


def _word(value) -> int:
    return int(value) & ((1 << DATA_BITS) - 1)


# ------------------------------------------------------------------------------------------ layouts
def kernel_bits(core: CoreConfig) -> tuple[int, int]:
    """(kb, fb): bits of the kernel index kx·k + ky and of the feature in a kernel-memory offset."""
    return ceil_log2(core.dimensions.kernel_size ** 2), ceil_log2(core.features)


def neuron_bits(core: CoreConfig) -> tuple[int, int]:
    """(xb, yb): bits of x and y in a neuron-memory offset."""
    width, height = core.neuron_map
    return ceil_log2(width), ceil_log2(height)


def kernel_offsets(core: CoreConfig) -> np.ndarray:
    """Kernel-memory offset of every weight, shape ``[f][c][kx][ky]`` like ``core.weights``."""
    kb, fb = kernel_bits(core)
    k = core.dimensions.kernel_size
    f, c, kx, ky = np.indices(core.weights.shape)
    return c << (kb + fb) | f << kb | (kx * k + ky)


def neuron_offsets(core: CoreConfig) -> np.ndarray:
    """Neuron-memory offset of every membrane, shape ``[f][x][y]`` like ``core.neurons_initial_value``."""
    xb, yb = neuron_bits(core)
    f, x, y = np.indices(core.neurons_initial_value.shape)
    return f << (xb + yb) | y << xb | x


# ------------------------------------------------------------------------------------------ encoder
def _register_writes(slot: int, config, table) -> list[tuple[int, int]]:
    return [(address(slot, REGISTERS, i), _word(get_field(config, path))) for i, (path, _) in enumerate(table)]


def config_writes(core: CoreConfig, limits: CoreLimits, slot: int = 0) -> list[tuple[int, int]]:
    """Every configuration write of one core, as (address, 16-bit data), addressed to ``slot``: registers,
    then biases (when ``leak_enable``), kernel and initial membranes. ValueError if ``core`` does not fit
    a hardware core of ``limits``."""
    limits.check(core, f"cores[{slot}]")
    writes = _register_writes(slot, core, CORE_REGISTERS)
    if core.leak_enable:
        writes += [(address(slot, BIASES, f), _word(b)) for f, b in enumerate(core.biases)]
    for region, offsets, values in ((KERNEL, kernel_offsets(core), core.weights),
                                    (NEURONS, neuron_offsets(core), core.neurons_initial_value)):
        writes += [(address(slot, region, int(o)), _word(v)) for o, v in zip(offsets.ravel(), values.ravel())]
    return writes


def dvs_writes(dvs: DvsLayerConfig) -> list[tuple[int, int]]:
    """The DVS layer's register writes (slot :data:`DVS_SLOT`)."""
    return _register_writes(DVS_SLOT, dvs, DVS_REGISTERS)


def chip_writes(chip: ChipConfig, limits) -> list[tuple[int, int]]:
    """Every configuration write of a chip: the DVS layer, then each used core (``limits[i]``: the
    :class:`CoreLimits` of hardware core i)."""
    writes = dvs_writes(chip.dvs_layer)
    for i in chip.used_cores:
        writes += config_writes(chip.cores[i], limits[i], slot=i)
    return writes


def field_init(config, layout: data.Layout):
    """The register contents of a core or DVS config as a nested init value for a signal of ``layout``."""
    if isinstance(layout, data.ArrayLayout):
        return [field_init(config[i], layout.elem_shape) for i in range(layout.length)]
    if isinstance(layout, data.StructLayout):
        return {name: field_init(getattr(config, name), field.shape) for name, field in layout}
    return int(config)


def memory_images(core: CoreConfig, limits: CoreLimits) -> dict[str, np.ndarray]:
    """The contents of a core's memories ("kernel", "neuron", "bias"), zero where unused: the same words
    :func:`config_writes` writes."""
    limits.check(core)
    images = {kind: np.zeros(depth, np.int64) for kind, depth in limits.depths.items()}
    images["kernel"][kernel_offsets(core).ravel()] = core.weights.ravel()
    images["neuron"][neuron_offsets(core).ravel()] = core.neurons_initial_value.ravel()
    if core.leak_enable:
        images["bias"][:core.features] = core.biases
    return images


# ------------------------------------------------------------------------------------------ read-back
def membrane_addresses(core: CoreConfig, slot: int = 0) -> np.ndarray:
    """Read-back address of every membrane of ``core`` in ``slot``, flattened in ``[f][x][y]`` order."""
    return address(slot, NEURONS, 0) | neuron_offsets(core).ravel()


def decode_membranes(core: CoreConfig, words) -> np.ndarray:
    """Words read at :func:`membrane_addresses` as int16 membranes ``[f][x][y]`` (samna's axis order)."""
    words = np.asarray(words, np.int64)
    if words.size != core.n_neurons:
        raise ValueError(f"words: {words.size} values given; the core has {core.n_neurons} neurons")
    return words.astype(np.uint16).view(np.int16).reshape(core.neurons_initial_value.shape)
