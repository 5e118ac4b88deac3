"""Test-only access to sinabs (vendor reference of the DYNAP-CNN converter and time-stepped forward).

sinabs imports SynSense's ``samna``, which cannot be installed; :func:`import_sinabs` puts the mock
stand-in of ``standin/`` on ``sys.path`` (only when no real samna is importable) and imports sinabs'
DYNAP-CNN back-end. The spikegate package never imports any of this. :func:`one_torch_thread` is a
fixture the DYNAP-CNN test modules share.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
import torch

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


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Small tensors: torch's thread pool only costs time, and under xdist the two workers share two cores.
    Import it into a test module to use it there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
