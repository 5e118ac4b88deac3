"""Test-only stand-in for SynSense's ``samnagui`` (imported by sinabs' io module); see ``samna``."""

from unittest.mock import MagicMock


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return MagicMock(name=f"samnagui.{name}")
