"""The DYNAP-CNN chip's FPGA facet (``Chip.facet("fpga")`` of :mod:`spikegate.sim.dynapcnn.chip`)."""

from __future__ import annotations

import dataclasses

from spikegate.sim.dynapcnn.config import N_CORES

from .facet import FPGAFacet

#: Default DYNAP-CNN hardware per board: the memory depths of each present core.
DYNAPCNN_DEFAULTS = {
    "icebreaker": {"cores": 1, "kernel": 1024, "neuron": 1024, "bias": 16},
    "ulx3s": {"cores": N_CORES, "kernel": 8192, "neuron": 8192, "bias": 128},
}


def dynapcnn_limits(board: str, config=None, cores: int | None = None, kernel: int | None = None,
                    neuron: int | None = None, bias: int | None = None):
    """Nine entries of :class:`~spikegate.hdl.dynapcnn.CoreLimits` (None for absent cores): the fitted
    limits of ``config``, or ``cores`` cores of the given memory depths (board defaults)."""
    from spikegate.hdl.dynapcnn import CoreLimits, fitted_limits

    if config is not None:
        return fitted_limits(config)
    d = DYNAPCNN_DEFAULTS[board]
    cores = d["cores"] if cores is None else cores
    if not 1 <= cores <= N_CORES:
        raise ValueError(f"cores: {cores} is outside the chip's 1..{N_CORES} cores")
    limit = CoreLimits(kernel=kernel or d["kernel"], neuron=neuron or d["neuron"], bias=bias or d["bias"])
    return tuple(limit if i < cores else None for i in range(N_CORES))


class DynapcnnFPGA(FPGAFacet):
    """The DYNAP-CNN cores (nine :class:`~spikegate.hdl.dynapcnn.CoreLimits` or None as hardware
    parameters, the report's ``limits``) behind :class:`.dynapcnn_adapter.DynapcnnAdapter`; cycles per
    input event in the report (``cycles_per_event``, :func:`.cycles.dynapcnn_cycles`); host driver
    :class:`.host.DynapcnnBoard`."""

    chip = "dynapcnn"
    core_kind = 2
    clock_hz = {"icebreaker": 18e6, "ulx3s": 40e6}
    build_options = {
        "cores": {"type": int, "help": f"DYNAP-CNN cores (default: 1 on the iCEBreaker, {N_CORES} on the ULX3S)"},
        **{memory: {"type": int, "help": f"DYNAP-CNN {memory} memory entries per core"}
           for memory in ("kernel", "neuron", "bias")},
    }
    report_key = "limits"

    def hardware(self, board: str, config=None, cores: int | None = None, kernel: int | None = None,
                 neuron: int | None = None, bias: int | None = None):
        """:func:`dynapcnn_limits`."""
        return dynapcnn_limits(board, config, cores, kernel, neuron, bias)

    def adapter(self, hardware):
        from .dynapcnn_adapter import DynapcnnAdapter

        return DynapcnnAdapter(hardware)

    def report_entry(self, hardware) -> list:
        return [None if limit is None else dataclasses.asdict(limit) for limit in hardware]

    def hardware_from_entry(self, entry) -> tuple:
        """Nine :class:`~spikegate.hdl.dynapcnn.CoreLimits` or None of the report's ``limits`` (limits are
        kept as they are)."""
        from spikegate.hdl.dynapcnn import CoreLimits

        return tuple(None if limit is None else limit if isinstance(limit, CoreLimits) else CoreLimits(**limit)
                     for limit in entry)

    def cycles(self, hardware, clock_hz: float) -> dict:
        from .cycles import dynapcnn_cycles

        return {"cycles_per_event": dynapcnn_cycles(hardware)}

    def describe(self, report: dict) -> str:
        present = [(i, l) for i, l in enumerate(self.hardware_from_entry(report[self.report_key])) if l]
        first = present[0][1]
        memories = (f"each kernel {first.kernel}, neuron {first.neuron}, bias {first.bias}"
                    if len({l for _, l in present}) == 1 else
                    "; ".join(f"{i}: kernel {l.kernel}, neuron {l.neuron}, bias {l.bias}" for i, l in present))
        return f"DYNAP-CNN, {len(present)} core(s) ({', '.join(str(i) for i, _ in present)}): {memories}"

    def cycle_lines(self, report: dict) -> list[str]:
        if "cycles_per_event" not in report:
            return []
        c = report["cycles_per_event"]
        return [f"events      {c['cycles_per_event']:.1f} cycles per input event, {c['synops_per_cycle']:.2f} "
                f"synaptic operations per cycle ({c['events']} events; {c['network']})"]

    def board_class(self) -> type:
        from .host import DynapcnnBoard

        return DynapcnnBoard


FPGA = DynapcnnFPGA()
