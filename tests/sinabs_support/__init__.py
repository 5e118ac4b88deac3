"""Test-only access to sinabs (vendor reference of the DYNAP-CNN converter and time-stepped forward).

sinabs imports SynSense's ``samna``, which cannot be installed; :func:`import_sinabs` puts the mock
stand-in of ``standin/`` on ``sys.path`` (only when no real samna is importable) and imports sinabs'
DYNAP-CNN back-end. The spikegate package never imports any of this. ``fixtures`` holds a fixture the
DYNAP-CNN test modules share, ``networks`` their random networks.
"""

import importlib
import importlib.util
import sys
from pathlib import Path


STANDIN = Path(__file__).parent / "standin"


def import_sinabs():
    """``(sinabs, sinabs.backend.dynapcnn)``, or ``None`` when sinabs is not installed."""
    if importlib.util.find_spec("sinabs") is None:
        return None
    if importlib.util.find_spec("samna") is None and str(STANDIN) not in sys.path:
        sys.path.append(str(STANDIN))
    sinabs = importlib.import_module("sinabs")
    importlib.import_module("sinabs.from_torch")
    return sinabs, importlib.import_module("sinabs.backend.dynapcnn")

