"""Validation helpers shared by the configuration models and the simulators.

Every check raises :class:`ValueError` (or :class:`TypeError` for a wrong dtype) whose message
names the field, the offending value (and its index, for arrays) and the limit that it breaks.
"""

from __future__ import annotations

import math

import numpy as np

INT8 = (-128, 127)
INT16 = (-32768, 32767)


def as_array(name: str, value) -> np.ndarray:
    """``value`` as a numpy array; refuses nested lists of different lengths (TypeError naming ``name``)."""
    try:
        return np.asarray(value)
    except ValueError:
        raise TypeError(f"{name}: expected a rectangular array, got nested lists of different lengths") from None


def as_int_array(name: str, value, shape: tuple[int, ...] | None = None, dtype=np.int64) -> np.ndarray:
    """``value`` as an integer numpy array; refuses floats with a fractional part, bools and objects.

    ``shape`` (optional) is the exact shape required.
    """
    array = as_array(name, value)
    if array.dtype == object or array.dtype.kind not in "iuf" or array.dtype == bool:
        if not (array.size == 0 and array.dtype.kind in "iufb"):
            raise TypeError(f"{name}: expected an integer array, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            bad = np.argwhere(~np.isfinite(array) | (array != np.round(array)))[0]
            raise TypeError(
                f"{name}: expected integer values, got {array[tuple(bad)].item()!r} at index {tuple(int(i) for i in bad)}"
            )
    if shape is not None and array.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {array.shape}")
    return array.astype(dtype)


def check_range(name: str, array: np.ndarray, lo: int, hi: int, what: str = "") -> None:
    """Refuse any element of ``array`` outside ``[lo, hi]``, naming the first one found."""
    array = np.asarray(array)
    bad = (array < lo) | (array > hi)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {index}" if array.ndim else ""
        limit = f"{what} range {lo}..{hi}" if what else f"range {lo}..{hi}"
        raise ValueError(f"{name}: value {int(array[index])}{where} is outside the {limit}")


def check_choice(name: str, value: int, allowed: tuple[int, ...]) -> None:
    """Refuse ``value`` unless it is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name}: value {value!r} is not one of the allowed values {allowed}")


def check_int(name: str, value, lo: int, hi: int) -> int:
    """``value`` as an int, refusing a non-integer (bools included) and anything outside ``[lo, hi]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}: value {int(value)} is outside the range {lo}..{hi}")
    return int(value)


def as_indices(name: str, values) -> tuple[int, ...]:
    """``values``, a sequence of integers (core or neuron indices), as a tuple of ints; refuses anything else."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected a sequence of indices, got {values!r}")
    values = tuple(values)
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name}: expected integer indices, got {value!r}")
    return tuple(int(v) for v in values)


def is_finite_number(value) -> bool:
    """Whether ``value`` is an int or float (not a bool) and finite: the test of numeric options."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False
