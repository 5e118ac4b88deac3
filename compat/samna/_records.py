"""Mutable records with fixed, typed fields: the building blocks of the samna-compatible objects.

samna's objects are C++ structs seen from Python: a fixed set of attribute names, setters that convert
what they are given, nested structs that can be assigned from a dict. :class:`Record` does the same in
plain Python. Each subclass lists its ``FIELDS`` as ``name: (coerce, default)``; assigning an unknown name
raises AttributeError listing the fields, and a value of the wrong kind raises TypeError naming the field
and the value. Values are converted here, never range-checked: the chip's limits are spikegate's
:class:`~spikegate.sim.dynapcnn.ChipConfig` validation, which ``validate_configuration`` runs.

What the setters take, as sinabs assigns them: Python and numpy integers and bools, 0-d torch tensors and
numpy arrays, nested lists, numpy arrays and tensors of integers (floats only with integral values). Integer
arrays read back as read-only numpy int64 arrays, so an in-place edit of a read-back array fails loudly
instead of changing a copy (assign the whole array instead).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from spikegate.sim.checks import as_int_array

Coerce = Callable[[str, Any], Any]


def _numpy(value: Any) -> Any:
    """A torch tensor as a numpy array (detached, on the CPU); anything else as it is."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


def integer(name: str, value: Any) -> int:
    """An integer: int, numpy integer, 0-d array or tensor of an integer (or an integral float)."""
    array = np.asarray(_numpy(value)) if not isinstance(value, (str, bytes)) else None
    if array is None or array.ndim != 0 or array.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    return int(as_int_array(name, array))


def boolean(name: str, value: Any) -> bool:
    """A bool: True/False, numpy bool, 0-d bool array or tensor (integers are refused, as samna does)."""
    array = np.asarray(_numpy(value)) if not isinstance(value, (str, bytes)) else None
    if array is None or array.ndim != 0 or array.dtype != bool:
        raise TypeError(f"{name}: expected a bool, got {value!r}")
    return bool(array)


def int_array(ndim: int, axes: str) -> Coerce:
    """Coercer of an integer array with ``ndim`` axes (named ``axes`` in errors); empty means unset."""

    def coerce(name: str, value: Any) -> np.ndarray:
        try:
            nested = np.asarray(_numpy(value))
        except ValueError as error:  # numpy refuses ragged nesting
            raise TypeError(f"{name}: expected a rectangular nested list of integers {axes} ({error})") from None
        array = as_int_array(name, nested)
        if array.size == 0:
            array = np.zeros((0,) * ndim, np.int64)
        elif array.ndim != ndim:
            raise TypeError(f"{name}: expected {ndim} axes {axes}, got shape {array.shape}")
        array = array.copy()
        array.flags.writeable = False
        return array

    return coerce


def record(cls: type) -> Coerce:
    """Coercer of a nested record: an instance of ``cls`` (copied) or a mapping of its fields."""

    def coerce(name: str, value: Any) -> Record:
        if isinstance(value, cls):
            return copy.deepcopy(value)
        if isinstance(value, Mapping):
            try:
                return cls(**value)
            except AttributeError as error:
                raise TypeError(f"{name}: {error}") from None
        raise TypeError(f"{name}: expected a {cls.__name__} or a dict of its fields, got {value!r}")

    return coerce


class FixedList(Sequence):
    """A list of exactly ``length`` records of one class (samna's fixed-length arrays): items can be read,
    changed in place or replaced (by a record or a dict), never added or removed."""

    def __init__(self, name: str, cls: type, items: Sequence):
        self._name, self._coerce = name, record(cls)
        self._items = list(items)

    def _index(self, index: int) -> int:
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{self._name}: index {index!r} is not an integer")
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self._name}: index {index} is out of range; there are exactly {len(self)}")
        return int(index) % len(self)

    def __getitem__(self, index):
        return self._items[self._index(index)]

    def __setitem__(self, index, value) -> None:
        index = self._index(index)
        self._items[index] = self._coerce(f"{self._name}[{index}]", value)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FixedList) and self._items == other._items

    def __repr__(self) -> str:
        return repr(self._items)


def fixed_list(cls: type, length: int) -> Coerce:
    """Coercer of a :class:`FixedList`: exactly ``length`` records or dicts."""

    def coerce(name: str, value: Any) -> FixedList:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise TypeError(f"{name}: expected a list of {length} {cls.__name__}, got {value!r}")
        if len(value) != length:
            raise TypeError(f"{name}: expected exactly {length} entries, got {len(value)}")
        element = record(cls)
        return FixedList(name, cls, [element(f"{name}[{i}]", item) for i, item in enumerate(value)])

    return coerce


class Record:
    """Base of the records: fields from ``FIELDS`` (``name: (coerce, default factory)``), set by keyword.

    Equal when of the same class with equal fields; ``to_dict()`` gives nested plain values, ``to_json()`` and
    ``from_json(text)`` (in place) the JSON form, as samna's objects have.
    """

    FIELDS: dict[str, tuple[Coerce, Callable[[], Any]]] = {}

    def __init__(self, **values: Any):
        for name, (coerce, default) in self.FIELDS.items():
            object.__setattr__(self, name, coerce(f"{type(self).__name__}.{name}", default()))
        for name, value in values.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.FIELDS:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}; its fields are "
                                 f"{', '.join(self.FIELDS)}")
        object.__setattr__(self, name, self.FIELDS[name][0](f"{type(self).__name__}.{name}", value))

    def to_dict(self) -> dict[str, Any]:
        """Nested plain values: records as dicts, fixed lists as lists, arrays as nested lists."""
        return {name: _plain(getattr(self, name)) for name in self.FIELDS}

    def to_json(self) -> str:
        """The fields as JSON (``to_dict()``)."""
        return json.dumps(self.to_dict())

    def from_json(self, text: str) -> None:
        """Set the fields given in JSON ``text`` (as samna's ``from_json``: in place)."""
        values = json.loads(text)
        if not isinstance(values, dict):
            raise TypeError(f"{type(self).__name__}.from_json: expected a JSON object, got {text[:40]!r}")
        for name, value in values.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={_short(getattr(self, name))}" for name in self.FIELDS)
        return f"{type(self).__name__}({fields})"


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, FixedList):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<int array {value.shape}>" if value.size else "[]"
    return repr(value)
