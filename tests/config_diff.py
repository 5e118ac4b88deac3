"""Field-by-field comparison of two configurations' plain forms (``to_dict()``): the first field that differs,
with its path, the position in an array and both values. Test-only."""

from __future__ import annotations

import numpy as np


def first_difference(a, b, path: str = "config") -> str | None:
    """Where two nested dict/list values first differ (``None`` when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}.{key}: present on one side only ({a.get(key)!r} / {b.get(key)!r})"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if a == b:
        return None
    if isinstance(a, list) and isinstance(b, list) and any(isinstance(v, (dict, type(None))) for v in a + b):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries / {len(b)}"
        return next(filter(None, (first_difference(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b)))))
    if isinstance(a, list) and isinstance(b, list):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return f"{path}: shape {x.shape} / {y.shape}"
        index = tuple(int(i) for i in np.argwhere(x != y)[0])
        return f"{path}{list(index)}: {x[index]} / {y[index]}"
    return f"{path}: {a!r} / {b!r}"


def assert_same_config(a, b, context: str, names: tuple[str, str] = ("ours", "theirs")) -> None:
    """Fail naming the first differing field of two configs (anything with ``to_dict()``)."""
    found = first_difference(a.to_dict(), b.to_dict())
    assert found is None, f"{context}: first difference ({names[0]} / {names[1]}) at {found}"
