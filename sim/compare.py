"""Compare two recordings of the same run and say where they first part.

Every equivalence test in spikegate (numpy against xylosim, RTL against numpy, a trace against a
user's own implementation) reports a mismatch through :func:`first_difference`, so that a failure
names the first time step (or event), the field, the position within the field (neuron, or
core/feature/x/y) and both values, followed by how many values differ per field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Difference:
    """The first place where two recordings differ.

    Attributes:
        field: name of the recorded array (e.g. ``"Vmem"``).
        index: full index into that array.
        axes: names of the array's axes (e.g. ``("step", "neuron")``).
        a, b: the two values at ``index``.
        counts: per field, how many values differ.
    """

    field: str
    index: tuple[int, ...]
    axes: tuple[str, ...]
    a: object
    b: object
    counts: dict[str, int]
    names: tuple[str, str] = ("a", "b")

    def where(self) -> str:
        return ", ".join(f"{axis} {i}" for axis, i in zip(self.axes, self.index))

    def headline(self) -> str:
        """Where, which field, both values."""
        return (f"first difference at {self.where()}, field {self.field}: "
                f"{self.names[0]}={self.a!r}, {self.names[1]}={self.b!r}")

    def __str__(self) -> str:
        summary = ", ".join(f"{field}: {n}" for field, n in self.counts.items() if n)
        return f"{self.headline()} (values that differ: {summary})"


def _axes_for(name: str, array: np.ndarray, axes: Mapping[str, Sequence[str]] | Sequence[str]) -> tuple[str, ...]:
    names = axes.get(name, ()) if isinstance(axes, Mapping) else axes
    names = tuple(names)[: array.ndim]
    return names + tuple(f"axis{i}" for i in range(len(names), array.ndim))


def first_difference(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray],
                     axes: Mapping[str, Sequence[str]] | Sequence[str] = ("step", "neuron"),
                     names: tuple[str, str] = ("a", "b")) -> Difference | None:
    """The earliest difference between two recordings, or ``None`` when they are identical.

    ``a`` and ``b`` map field names to arrays whose first axis is time (steps or events). Fields
    are compared in ``a``'s order; the earliest index along the first axis wins, then field order,
    then the remaining axes in C order. Fields missing on one side, or of different shapes, raise
    ``ValueError`` (a shape difference is not a value difference).
    """
    missing = set(a) ^ set(b)
    if missing:
        raise ValueError(f"fields present in only one recording: {sorted(missing)}")
    best: tuple[int, int, tuple[int, ...], str] | None = None
    counts: dict[str, int] = {}
    for order, field in enumerate(a):
        x, y = np.asarray(a[field]), np.asarray(b[field])
        if x.shape != y.shape:
            raise ValueError(f"field {field}: shapes differ, {names[0]} {x.shape} against {names[1]} {y.shape}")
        differ = x != y
        counts[field] = int(np.count_nonzero(differ))
        if counts[field] == 0:
            continue
        index = tuple(int(i) for i in np.argwhere(differ)[0]) if x.ndim else ()
        key = (index[0] if index else 0, order, index, field)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        return None
    index, field = best[2], best[3]
    x, y = np.asarray(a[field]), np.asarray(b[field])
    return Difference(field=field, index=index, axes=_axes_for(field, x, axes), a=x[index].item(), b=y[index].item(),
                      counts=counts, names=names)


def assert_same(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray],
                axes: Mapping[str, Sequence[str]] | Sequence[str] = ("step", "neuron"),
                names: tuple[str, str] = ("a", "b"), context: str = "") -> None:
    """Raise ``AssertionError`` naming the first difference (see :func:`first_difference`)."""
    difference = first_difference(a, b, axes=axes, names=names)
    if difference is not None:
        raise AssertionError(f"{context}: {difference}" if context else str(difference))
