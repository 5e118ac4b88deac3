"""An open stand-in for SynSense's ``samna`` (minimal version on the compat-xylo branch: the Xylo
namespaces; the compat-dynapcnn branch provides the full package, into which these lines merge).

Sub-namespace modules of this package (``samna.xyloCore2``...) are imported on first access.
"""

import importlib
import importlib.util

from spikegate.sim import __version__ as _spikegate_version

from . import device, graph
from ._unavailable import UnavailableError
from ._xylo_boards import NODES as _XYLO_NODES
from ._xylo_convert import from_xylo_config, to_xylo_config

__all__ = ["device", "graph", "UnavailableError", "from_xylo_config", "to_xylo_config"]

#: rockpool counts samna as usable when it has a version.
__version__ = f"spikegate-{_spikegate_version}"

globals().update(_XYLO_NODES)
__all__ += list(_XYLO_NODES)


def __getattr__(name: str):
    """A sub-namespace module of this package not imported yet; any other name is an AttributeError."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"spikegate.compat.samna provides no samna.{name} (the names it provides are listed in "
                         f"docs/compat.md)")
