"""Test-only access to sinabs (vendor reference of the DYNAP-CNN converter and time-stepped forward).

sinabs imports SynSense's ``samna``, which cannot be installed here; :func:`import_sinabs` activates
spikegate's own stand-in (``spikegate.compat.install()``, which never shadows a real samna) and imports
sinabs' DYNAP-CNN back-end. The spikegate package never imports sinabs. ``fixtures`` holds a fixture the
DYNAP-CNN test modules share, ``networks`` their random networks.
"""

import importlib
import importlib.util

from spikegate.compat import install


def import_sinabs():
    """``(sinabs, sinabs.backend.dynapcnn)``, or ``None`` when sinabs is not installed."""
    if importlib.util.find_spec("sinabs") is None:
        return None
    install()
    sinabs = importlib.import_module("sinabs")
    importlib.import_module("sinabs.from_torch")
    return sinabs, importlib.import_module("sinabs.backend.dynapcnn")
