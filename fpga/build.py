"""Build a bitstream for a board and write its report: what ``spikegate fpga build`` runs.

The report (``report.json`` and ``report.txt`` beside the bitstream) holds the board, the core's
parameters (what the host driver needs to talk to it), the clock, nextpnr's utilisation and Fmax, and
the cycle figures of :mod:`.cycles`.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from amaranth.utils import ceil_log2

from spikegate.sim.dynapcnn.config import N_CORES

from .board import BOARDS, BoardTop, uart_divisor
from .pll import BoardPLL, pll_settings
from .serial_top import SerialTop
from .toolchain import build, write_report

#: What a bitstream holds: one core, or both behind one UART (SELECT 0: Xylo, 1: DYNAP-CNN).
CORES = ("xylo", "dynapcnn", "xylo+dynapcnn")

#: Default DYNAP-CNN hardware per board: the memory depths of each present core.
DYNAPCNN_DEFAULTS = {
    "icebreaker": {"cores": 1, "kernel": 1024, "neuron": 1024, "bias": 16},
    "ulx3s": {"cores": N_CORES, "kernel": 8192, "neuron": 8192, "bias": 128},  # all of the chip's cores
}


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


def dynapcnn_limits(board: str, config=None, cores: int | None = None, kernel: int | None = None,
                    neuron: int | None = None, bias: int | None = None):
    """:data:`~spikegate.sim.dynapcnn.config.N_CORES` entries of :class:`~spikegate.hdl.dynapcnn.CoreLimits`
    (None for absent cores): the fitted limits of ``config``, or ``cores`` cores of the given memory
    depths (board defaults)."""
    from spikegate.hdl.dynapcnn import CoreLimits, fitted_limits

    if config is not None:
        return fitted_limits(config)
    d = DYNAPCNN_DEFAULTS[board]
    cores = d["cores"] if cores is None else cores
    if not 1 <= cores <= N_CORES:
        raise ValueError(f"cores: {cores} is outside the chip's 1..{N_CORES} cores")
    limit = CoreLimits(kernel=kernel or d["kernel"], neuron=neuron or d["neuron"], bias=bias or d["bias"])
    return tuple(limit if i < cores else None for i in range(N_CORES))


def _dynapcnn_cycles(limits) -> dict:
    """Cycles per input event of a random 3x3-kernel network filling core 0, in simulation."""
    import numpy as np

    from spikegate.hdl.dynapcnn import simulate
    from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, DvsLayerConfig

    rng = np.random.default_rng(0)
    limit = limits[0]
    features = max(1, min(limit.bias, limit.kernel // 16 // 2))
    side = max(1, int((limit.neuron // 2 // features) ** 0.5))
    while features * (1 << (2 * ceil_log2(side))) > limit.neuron and side > 1:
        side -= 1
    core = CoreConfig.from_weights(rng.integers(-20, 40, (features, 2, 3, 3)), (side, side), threshold_high=100,
                                   threshold_low=-100, padding=(1, 1), monitor_enable=True)
    chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (side, side)))
    events = np.zeros(64, INPUT_EVENT_DTYPE)
    events["x"], events["y"] = rng.integers(0, side, 64), rng.integers(0, side, 64)
    events["p"], events["t"] = rng.integers(0, 2, 64), np.arange(64)
    result = simulate(chip, events, limits=(limit,) + (None,) * (N_CORES - 1), read_membranes=False)
    return {"network": f"core 0: 2 -> {features} features, 3x3 kernel, {side}x{side} map, padding 1",
            "events": result.items, "cycles": result.cycles, "cycles_per_event": result.cycles_per_item,
            "synops_per_cycle": result.synops_per_cycle}


def build_bitstream(board: str, core: str, out_dir, *, config=None, size: str | None = None,
                    fanout: int | None = None, synapses: int | None = None, dynapcnn: dict | None = None,
                    clock_hz: float | None = None, baud: int | None = None, cycles: bool = True) -> dict:
    """Build ``core`` (one of :data:`CORES`) for ``board`` into ``out_dir``; returns the report (also
    written there).

    ``config``: a XyloConfig or ChipConfig a single-core design must hold (its size decides the
    core's); ``size``/``fanout``/``synapses``: Xylo core size (default 16/1000/8, 64, 32000);
    ``dynapcnn``: keywords of :func:`dynapcnn_limits`; ``clock_hz``/``baud``: default the board's;
    ``cycles``: also measure cycles in simulation. ``"xylo+dynapcnn"`` puts both behind one UART
    (SELECT index 0 and 1, the report's ``cores``).
    """
    if board not in BOARDS:
        raise ValueError(f"board: {board!r} is not one of {tuple(BOARDS)}")
    if core not in CORES:
        raise ValueError(f"core: {core!r} is not one of {CORES}")
    spec = BOARDS[board]
    if core not in spec.clock_hz:
        fitting = [name for name, b in BOARDS.items() if core in b.clock_hz]
        raise ValueError(f"core: {core!r} does not fit the {board} ({spec.fits}); build it for {', '.join(fitting)}")
    kinds = core.split("+")
    if config is not None and len(kinds) > 1:
        raise ValueError(f"config: sizes a single core; {core!r} takes size and dynapcnn (memory depth) options")
    platform = spec.platform()
    clock_hz = clock_hz or spec.clock_hz[core]
    settings = pll_settings(platform, clock_hz)
    clock = settings.freq_hz
    baud = baud or spec.baud
    divisor = uart_divisor(clock, baud)
    report = {"board": board, "core": core, "cores": kinds, "device": platform.device,
              "clock": {"requested_hz": clock_hz, "pll_hz": clock, "pll": settings.params},
              "uart": {"baud": baud, "divisor": divisor, "actual_baud": clock / divisor}}
    adapters = {}
    if "xylo" in kinds:
        from .xylo_adapter import XyloAdapter

        params = xylo_params(size, config, fanout, synapses)
        adapters["xylo"] = XyloAdapter(params)
        report["params"] = dataclasses.asdict(params)
    if "dynapcnn" in kinds:
        from .dynapcnn_adapter import DynapcnnAdapter

        limits = dynapcnn_limits(board, config, **(dynapcnn or {}))
        adapters["dynapcnn"] = DynapcnnAdapter(limits)
        report["limits"] = [None if l is None else dataclasses.asdict(l) for l in limits]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    top = BoardTop(SerialTop(adapters, divisor), BoardPLL(platform, clock_hz))
    resources = build(platform, top, out_dir)
    report["build_seconds"] = round(time.monotonic() - start, 1)
    report["bitstream"] = "top.bin" if platform.family.lower() == "ice40" else "top.bit"
    report["resources"] = resources.to_dict()
    if cycles and "xylo" in kinds:
        from .cycles import xylo_cycles

        report["cycles_per_step"] = xylo_cycles(params, clock)
    if cycles and "dynapcnn" in kinds:
        report["cycles_per_event"] = _dynapcnn_cycles(limits)
    write_report(report, out_dir, report_text(report, resources))
    return report


def report_text(report: dict, resources) -> str:
    """The human-readable report."""
    clock = report["clock"]["pll_hz"] / 1e6
    lines = [f"spikegate fpga build: {report['core']} on {report['board']} ({report['device']})",
             f"bitstream   {report['bitstream']} (built in {report['build_seconds']} s)",
             f"clock       {clock:.3f} MHz from the PLL; UART {report['uart']['baud']} baud "
             f"(divisor {report['uart']['divisor']})"]
    def label(kind):  # a combined design names each core's SELECT index
        return f"core {report['cores'].index(kind)}" if len(report["cores"]) > 1 else "core"

    if "params" in report:
        p = report["params"]
        lines.append(f"{label('xylo'):<12}Xylo {p['n_inputs']}/{p['n_hidden']}/{p['n_outputs']}, fan-out "
                     f"{p['max_fanout']} per neuron, {p['max_synapses']} recurrent synapses, version {p['version']}")
    if "limits" in report:
        present = [(i, l) for i, l in enumerate(report["limits"]) if l]
        depths = {(l["kernel"], l["neuron"], l["bias"]) for _, l in present}
        memories = (f"each kernel {present[0][1]['kernel']}, neuron {present[0][1]['neuron']}, bias "
                    f"{present[0][1]['bias']}" if len(depths) == 1 else "; ".join(
                        f"{i}: kernel {l['kernel']}, neuron {l['neuron']}, bias {l['bias']}" for i, l in present))
        lines.append(f"{label('dynapcnn'):<12}DYNAP-CNN, {len(present)} core(s) "
                     f"({', '.join(str(i) for i, _ in present)}): {memories}")
    lines.append(resources.text())
    for row in report.get("cycles_per_step", []):
        vendor = f"{row['vendor_cycles']:>7}" if row["vendor_cycles"] is not None else "    n/a"
        lines.append(f"step @ {row['target_activity']:4.0%} hidden activity (measured {row['measured_activity']:5.1%}): "
                     f"{row['cycles']:>7} cycles (vendor model {vendor}), {row['step_us']:8.1f} us at {clock:.1f} MHz, "
                     f"real-time factor of a 1 ms step {row['realtime_factor']:.1f}x")
    if "cycles_per_event" in report:
        c = report["cycles_per_event"]
        lines.append(f"events      {c['cycles_per_event']:.1f} cycles per input event, {c['synops_per_cycle']:.2f} "
                     f"synaptic operations per cycle ({c['events']} events; {c['network']})")
    return "\n".join(lines)
