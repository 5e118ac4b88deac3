"""Torch and NIR networks to the Xylo LIF array.

- :mod:`.modules`: trainable torch modules with the chip's dynamics (:class:`LIF`, :class:`Readout`,
  :class:`Residual`, :class:`XyloNet`).
- :mod:`.quantize`: :func:`to_xylo_spec` (float network → rockpool spec dict) and its inverse.
- :mod:`.nir_graph`: :func:`from_nir` and :func:`to_nir`.
- :mod:`.task`: the spike-timing task of rockpool's Xylo tutorial (``spikegate xylo train``, :func:`demo`).
"""

from .modules import LIF, Layout, Readout, Residual, XyloNet, dash_from_tau
from .nir_graph import from_nir, layout_from_nir, to_nir
from .quantize import Quantized, dequantize, fake_quantize, quantize, to_xylo_spec


def demo(out_dir, seed: int = 0, quick: bool = True, progress: bool = True) -> dict:
    """Train briefly, convert, simulate on the bit-exact model and plot; see :func:`.task.demo`."""
    from .task import demo as run_demo

    return run_demo(out_dir, seed=seed, quick=quick, progress=progress)


__all__ = ["LIF", "Layout", "Quantized", "Readout", "Residual", "XyloNet", "dash_from_tau", "demo", "dequantize",
           "fake_quantize",
           "from_nir", "layout_from_nir", "quantize", "to_nir", "to_xylo_spec"]
