"""spikegate.compat: the vendors' Python APIs running on spikegate, so that their users' scripts run unchanged
without the closed binaries.

- :mod:`spikegate.compat.samna`: samna's DYNAP-CNN / Speck configuration API (``make_config`` of sinabs
  writes into it, ``validate_configuration`` is spikegate's validation), device discovery that finds no
  board, importable GUI/graph modules that say they need one.
- :mod:`spikegate.compat.specksim`: specksim's ``from_sequential`` on spikegate's ``DynapcnnSim``.
- :func:`install`: ``import samna`` (and ``samnagui``, ``xylosim``) resolve to these when no real one is
  importable. To run other people's scripts or test suites unchanged, a one-line ``sitecustomize.py`` on the
  Python path does it for every interpreter::

      import spikegate.compat; spikegate.compat.install()

Nothing in spikegate.sim imports this package.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

__all__ = ["install", "ALIASES"]

#: Module names that :func:`install` may provide → the spikegate modules that stand in for them.
ALIASES = {
    "samna": "spikegate.compat.samna",
    "samnagui": "spikegate.compat.samnagui",
    "xylosim": "spikegate.compat.xylosim",
}


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``alias`` and ``alias.<sub>`` as the modules ``target`` and ``target.<sub>`` themselves (one
    module object under two names, so classes stay the same). It sits first in ``sys.meta_path`` so that a
    submodule is never loaded a second time from the stand-in's directory, and it steps aside for the
    top-level name whenever a real package of that name is on the path."""

    def __init__(self, alias: str, target: str):
        self.alias, self.target = alias, target
        self._specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.alias:
            if importlib.machinery.PathFinder.find_spec(fullname) is not None:
                return None  # a real package: never shadowed
        elif not (fullname.startswith(self.alias + ".") and sys.modules.get(self.alias) is self._module(self.alias)):
            return None
        if importlib.util.find_spec(self._real(fullname)) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def _real(self, fullname: str) -> str:
        return self.target + fullname[len(self.alias):]

    def _module(self, fullname: str):
        return sys.modules.get(self._real(fullname))

    def create_module(self, spec):
        module = importlib.import_module(self._real(spec.name))
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # the import system has just set __spec__ to the alias's; the module keeps its own
        module.__spec__ = self._specs.pop(module.__spec__.name)


def _provided(alias: str) -> bool:
    return any(isinstance(finder, AliasFinder) and finder.alias == alias for finder in sys.meta_path)


def install() -> tuple[str, ...]:
    """Make ``import samna``, ``import samnagui`` and ``import xylosim`` resolve to spikegate's stand-ins
    (:data:`ALIASES`), each only when no real package of that name is importable; a real one is never
    shadowed. A stand-in that does not exist in this installation is skipped. Idempotent.

    Returns:
        The names now provided by spikegate, e.g. ``("samna", "samnagui")``.
    """
    provided = []
    for alias, target in ALIASES.items():
        if _provided(alias):
            provided.append(alias)
        elif alias not in sys.modules and importlib.util.find_spec(alias) is None \
                and importlib.util.find_spec(target) is not None:
            sys.meta_path.insert(0, AliasFinder(alias, target))
            provided.append(alias)
    return tuple(provided)
