"""Test-only stand-in for SynSense's ``samna`` (which cannot be installed here), so that sinabs imports.

Every attribute, and every ``samna.*`` submodule, is a :class:`unittest.mock.MagicMock`: sinabs'
conversion, discretization, placement and torch forward never need the real library; only writing a
configuration to a device would. Never imported by spikegate itself.
"""

import importlib.abc
import importlib.machinery
import sys
from unittest.mock import MagicMock


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    value = MagicMock(name=f"samna.{name}")
    globals()[name] = value
    return value


class _MockFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers any ``samna.<sub>`` or ``samnagui.<sub>`` import with a mock module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in ("samna", "samnagui") and "." in fullname:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = MagicMock(name=spec.name)
        module.__path__ = []
        module.__spec__ = spec
        return module

    def exec_module(self, module):
        pass


if not any(isinstance(finder, _MockFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MockFinder())
