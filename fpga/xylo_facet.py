"""The Xylo family's FPGA facet (``Chip.facet("fpga")`` of :mod:`spikegate.sim.xylo.chip`)."""

from __future__ import annotations

import dataclasses

from .facet import FPGAFacet


def xylo_params(size: str | None = None, config=None, fanout: int | None = None, synapses: int | None = None):
    """Core parameters from ``"NIN/NHID/NOUT"`` (default: the full 16/1000/8), or the smallest core
    that holds ``config``; ``fanout``/``synapses`` override the recurrent limits."""
    from spikegate.hdl.xylo import XyloCoreParams

    if config is not None:
        params = XyloCoreParams.for_config(config)
    elif size:
        try:
            n_in, n_hid, n_out = (int(v) for v in size.split("/"))
        except ValueError:
            raise ValueError(f"size: {size!r} is not of the form NIN/NHID/NOUT (e.g. 16/1000/8)") from None
        params = XyloCoreParams(n_inputs=n_in, n_hidden=n_hid, n_outputs=n_out,
                                max_synapses=min(32000, 32 * n_hid), max_fanout=min(64, 2 * n_hid))
    else:
        params = XyloCoreParams()
    changes = {k: v for k, v in (("max_fanout", fanout), ("max_synapses", synapses)) if v is not None}
    return dataclasses.replace(params, **changes) if changes else params


class XyloFPGA(FPGAFacet):
    """The Xylo core (:class:`~spikegate.hdl.xylo.XyloCoreParams` as its hardware parameters, the
    report's ``params``) behind :class:`.xylo_adapter.XyloAdapter`; cycles per time step in the report
    (``cycles_per_step``, :func:`.cycles.xylo_cycles`); host driver :class:`.host.XyloBoard`."""

    chip = "xylo"
    core_kind = 1
    clock_hz = {"icebreaker": 30e6, "ulx3s": 50e6}
    build_options = {
        "size": {"help": "Xylo NIN/NHID/NOUT (default 16/1000/8, the full array)"},
        "fanout": {"type": int, "help": "Xylo recurrent targets per neuron (default 64, or 2*NHID)"},
        "synapses": {"type": int, "help": "Xylo recurrent synapses in total (default 32000, or 32*NHID)"},
    }
    report_key = "params"

    def hardware(self, board: str, config=None, size: str | None = None, fanout: int | None = None,
                 synapses: int | None = None):
        """:func:`xylo_params` (the same on every board)."""
        return xylo_params(size, config, fanout, synapses)

    def adapter(self, hardware):
        from .xylo_adapter import XyloAdapter

        return XyloAdapter(hardware)

    def report_entry(self, hardware) -> dict:
        return dataclasses.asdict(hardware)

    def hardware_from_entry(self, entry):
        """A :class:`~spikegate.hdl.xylo.XyloCoreParams` of the report's ``params`` (one is kept as it is)."""
        from spikegate.hdl.xylo import XyloCoreParams

        return entry if isinstance(entry, XyloCoreParams) else XyloCoreParams(**entry)

    def cycles(self, hardware, clock_hz: float) -> dict:
        from .cycles import xylo_cycles

        return {"cycles_per_step": xylo_cycles(hardware, clock_hz)}

    def describe(self, report: dict) -> str:
        p = self.hardware_from_entry(report[self.report_key])
        return (f"Xylo {p.n_inputs}/{p.n_hidden}/{p.n_outputs}, fan-out {p.max_fanout} per neuron, "
                f"{p.max_synapses} recurrent synapses, version {p.version}")

    def cycle_lines(self, report: dict) -> list[str]:
        clock = report["clock"]["pll_hz"] / 1e6
        lines = []
        for row in report.get("cycles_per_step", []):
            vendor = f"{row['vendor_cycles']:>7}" if row["vendor_cycles"] is not None else "    n/a"
            lines.append(f"step @ {row['target_activity']:4.0%} hidden activity (measured "
                         f"{row['measured_activity']:5.1%}): {row['cycles']:>7} cycles (vendor model {vendor}), "
                         f"{row['step_us']:8.1f} us at {clock:.1f} MHz, real-time factor of a 1 ms step "
                         f"{row['realtime_factor']:.1f}x")
        return lines

    def board_class(self) -> type:
        from .host import XyloBoard

        return XyloBoard


FPGA = XyloFPGA()
