"""A compiled simulation of :class:`DynapcnnChip`: CXXRTL and g++ (:mod:`spikegate.hdl.cxxrtl`).

The C++ model is generated from the same design :func:`~spikegate.hdl.dynapcnn.simulate` runs, with the
configuration built in, and driven by ``data/cxxrtl_driver.cc`` (stdin: packed input items and read
requests; stdout: monitor records, counters, read answers). Compiling takes a minute or more (g++ on the
generated C++), then it runs about two orders of magnitude faster than Amaranth's Python simulator: use it
for long runs (many events, full-size networks), build once and :meth:`CompiledChip.run` many batches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spikegate.sim.dynapcnn.config import ChipConfig
from spikegate.sim.dynapcnn.model import OUTPUT_EVENT_DTYPE

from .. import cxxrtl, tools
from .chip import ChipConfigRequest, DynapcnnChip
from .layouts import ChipInput, MonitorOut
from .memory_map import decode_membranes, membrane_addresses
from .simulate import SimResult, fitted_limits, input_items

DRIVER = Path(__file__).parent / "data" / "cxxrtl_driver.cc"


class CompiledChip:
    """A :class:`DynapcnnChip` with ``chip_config`` built in, compiled to a native simulator by
    :func:`spikegate.hdl.cxxrtl.build` (kept in its cache, or in ``cache_dir``).

    ``optimize``: g++'s optimisation flag ("-O1" compiles in about a minute for a five-core network; "-O0"
    compiles faster and runs slower). ``depths``: FIFO depths for :class:`DynapcnnChip`.
    """

    def __init__(self, chip_config: ChipConfig, cache_dir=None, *, optimize: str = "-O1", **depths):
        self.config = chip_config
        chip = DynapcnnChip(fitted_limits(chip_config), chip_config, **depths)
        self.executable = cxxrtl.build(chip, DRIVER, what="DYNAP-CNN CXXRTL simulator", optimize=optimize,
                                       cache_dir=cache_dir)

    def run(self, events: np.ndarray, leak_ticks=(), read_membranes: bool = True) -> SimResult:
        """Like :func:`~spikegate.hdl.dynapcnn.simulate` (from the reset state, monitor always ready)."""
        items = [ChipInput.const(item).as_bits() for item in input_items(self.config, events, leak_ticks)]
        cores = self.config.used_cores if read_membranes else ()
        addresses = {i: membrane_addresses(self.config.cores[i], slot=i) for i in cores}
        reads = [ChipConfigRequest.const({"addr": int(a)}).as_bits()
                 for i in cores for a in addresses[i]]
        text = "\n".join(map(str, [len(items), *items, len(reads), *reads])) + "\n"
        lines = tools.run_tool([str(self.executable)], input=text, capture_output=True, text=True,
                               tool="the compiled DYNAP-CNN simulator", timeout_s=tools.RUN_TIMEOUT_S,
                               advice="run fewer events per call or raise spikegate.hdl.tools.RUN_TIMEOUT_S"
                               ).stdout.splitlines()
        records = [int(line[2:]) for line in lines if line[0] == "E"]
        cycles, synops, stalls = (int(v) for v in next(line for line in lines if line[0] == "C").split()[1:])
        words = iter(int(line[2:]) for line in lines if line[0] == "R")
        membranes = {i: decode_membranes(self.config.cores[i], [next(words) for _ in addresses[i]]) for i in cores}
        out = np.zeros(len(records), OUTPUT_EVENT_DTYPE)
        fields = [MonitorOut.from_bits(word) for word in records]
        for name in ("layer", "feature", "x", "y", "t"):
            out[name] = [f[name] for f in fields]
        out["p"] = out["feature"]
        return SimResult(events=out, membranes=membranes, cycles=cycles, items=len(items), synops=synops,
                         input_stalls=stalls)
