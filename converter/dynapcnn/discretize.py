"""Discretization of one layer's parameters to the core's integer formats (spec §4).

One common scale ``s`` per core makes the weights and biases fit 8 bits and the thresholds (and an
initial membrane state, when the spiking layer has one) fit 16 bits::

    scale_b(a) = |hi · (1/M)|   if |m| ≤ |M| · |lo/hi|      (m = min(a), M = max(a))
               = |lo · (1/m)|   otherwise                    (lo = −2^(b−1), hi = 2^(b−1) − 1)
    s = min(scale_8(W), scale_8(B), scale_16([θ_low, θ_high]) [, scale_16(V0)])
    every value → round(x · s)   (round half to even)

All arithmetic is float32, as sinabs does it with torch: the division is a float32 reciprocal followed
by a float32 product (``int / tensor`` in torch), and ``|lo/hi|`` is rounded to float32 before its
product. A single float32 division, or float64, differs in the last bit for a few inputs in a thousand
and then changes a rounded weight. An all-zero tensor (e.g. absent biases) has scale infinity.
"""

from __future__ import annotations

import numpy as np

WEIGHT_BITS = 8  #: weights and biases (sinabs scales the biases into the 8-bit range too)
STATE_BITS = 16  #: thresholds and membrane states
NO_MIN_V_MEM = -(2 ** 15)  #: θ_low used when the spiking layer has no ``min_v_mem``


def scale(values: np.ndarray, bits: int) -> np.float32:
    """The largest float32 factor that brings ``values`` into the signed ``bits``-bit range (see module doc)."""
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    values = np.asarray(values, np.float32)
    m, big_m = values.min(), values.max()
    with np.errstate(divide="ignore"):
        if abs(m) <= abs(big_m) * np.float32(abs(lo / hi)):
            return abs(np.float32(hi) * np.reciprocal(big_m))
        return abs(np.float32(lo) * np.reciprocal(m))


def quantize(values: np.ndarray, s: np.float32) -> np.ndarray:
    """``round(values · s)`` in float32, half to even, as int64."""
    return np.round(np.asarray(values, np.float32) * np.float32(s)).astype(np.int64)


def layer_scale(weight: np.ndarray, bias: np.ndarray | None, thresholds: np.ndarray,
                v_mem: np.ndarray | None = None) -> np.float32:
    """The common scale of one core: weights (after pooling rescale), biases, [θ_low, θ_high], initial state."""
    scales = [scale(weight, WEIGHT_BITS),
              scale(np.zeros(1, np.float32) if bias is None else bias, WEIGHT_BITS),
              scale(thresholds, STATE_BITS)]
    if v_mem is not None:
        scales.append(scale(v_mem, STATE_BITS))
    return min(scales)
