"""Torch and NIR models → DYNAP-CNN register configurations (spec ``docs/dynapcnn-core.md`` §3-§5).

>>> config = from_torch(model, input_shape=(1, 28, 28))          # a ChipConfig, placed on the cores
>>> memory_summary(config)["kernel"]                              # entries per model layer

:class:`IAF` and :class:`SumPool2d` are small torch modules for writing spiking models directly;
:func:`demo` is the main job (the seed network converted, placed and run on synthetic events).
"""

from .convert import from_nir, from_torch, memory_summary
from .demo import demo
from .modules import IAF, SumPool2d

__all__ = ["IAF", "SumPool2d", "demo", "from_nir", "from_torch", "memory_summary"]
