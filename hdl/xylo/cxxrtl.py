"""XyloCore compiled with CXXRTL and g++ (:mod:`spikegate.hdl.cxxrtl`): the same transactions as
:func:`spikegate.hdl.xylo.simulate`, several hundred times faster, for long or full-size runs.

The design and the host driver (``data/xylo_driver.cc``: configuration port writes, input counts,
``step``, the spike stream, read-back of every state word) are compiled once per core size by
:func:`spikegate.hdl.cxxrtl.build` and kept in its cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spikegate.sim.xylo import XyloConfig

from .. import cxxrtl, tools
from .core import XyloCore
from .memory_map import Ctrl, Region, XyloCoreParams, address, config_writes, decode_flat_state, state_addresses

DRIVER = Path(__file__).parent / "data" / "xylo_driver.cc"


def build(params: XyloCoreParams) -> Path:
    """The compiled simulator of a core of size ``params`` (g++ -O1 unless cached, ~10 s at full size;
    :func:`spikegate.hdl.cxxrtl.build`, keyed by the generated source, so an edited core is rebuilt)."""
    return cxxrtl.build(XyloCore(params), DRIVER, what="Xylo CXXRTL simulator")


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
