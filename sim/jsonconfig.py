"""The file and identity methods shared by the register configurations of both chips.

:class:`~spikegate.sim.xylo.XyloConfig` and :class:`~spikegate.sim.dynapcnn.ChipConfig` each define a
canonical JSON form (``to_json`` / ``from_json``); that form is also their identity: two configs are
equal when their JSON is, and :meth:`JsonConfig.digest` names a config in traces and test vectors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


class JsonConfig:
    """Mixin: ``save``/``load`` files and compare, hash and digest by the canonical JSON form.

    A subclass defines ``FORMAT`` (the ``format`` tag its JSON form carries), ``to_json(self) -> str``
    and the classmethod ``from_json(cls, text) -> cls``.
    """

    FORMAT: str

    def save(self, path: str | Path) -> None:
        """Write the JSON form to ``path``."""
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path):
        """Read a config written by :meth:`save`."""
        return cls.from_json(Path(path).read_text())

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON form: identifies a config in traces and test vectors."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.digest())
