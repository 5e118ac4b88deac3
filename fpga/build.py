"""Build a bitstream for a board and write its report: what ``spikegate fpga build`` runs.

A design holds one core, or several behind one UART (SELECT index in the order given): each is a chip
with an FPGA facet (:mod:`.facet`), which gives its hardware parameters, its adapter, its clock per board
and its cycle figures. The report (``report.json`` and ``report.txt`` beside the bitstream) holds the
board, the cores, each core's hardware parameters (what the host driver needs to talk to it, under the
facet's ``report_key``), the clock, nextpnr's utilisation and Fmax, and the cycle figures.
"""

from __future__ import annotations

import time
from pathlib import Path

from .board import BOARDS, BoardTop, uart_divisor
from .facet import Design, fpga_chips
from .pll import BoardPLL, pll_settings
from .protocol import MAX_CORES
from .serial_top import SerialTop
from .toolchain import build, write_report


def design_cores(core) -> list[str]:
    """The chip names of design ``core``: one name, several joined by ``+`` (``"xylo+dynapcnn"``) or a
    list of names, in SELECT index order; ValueError naming the value otherwise."""
    names = core.split("+") if isinstance(core, str) else list(core)
    known = tuple(fpga_chips())
    for name in names:
        if name not in known:
            raise ValueError(f"core: {name!r} is not one of {known} (or several joined by +)")
    if len(set(names)) != len(names):
        raise ValueError(f"core: {'+'.join(names)!r} names a core twice")
    if len(names) > MAX_CORES:
        raise ValueError(f"core: {len(names)} cores; a design holds 1..{MAX_CORES}")
    return names


def design_clock_hz(board: str, cores: list[str]) -> float | None:
    """The default clock of a design of ``cores`` on ``board`` (the slowest of its cores'); None when
    the board cannot hold it."""
    spec = BOARDS[board]
    facets = [fpga_chips()[name].facet("fpga") for name in cores]
    if len(cores) > spec.max_cores or any(board not in facet.clock_hz for facet in facets):
        return None
    return min(facet.clock_hz[board] for facet in facets)


def build_bitstream(board: str, core, out_dir, *, config=None, options: dict | None = None,
                    clock_hz: float | None = None, baud: int | None = None, cycles: bool = True) -> dict:
    """Build design ``core`` (:func:`design_cores`) for ``board`` into ``out_dir``; returns the report
    (also written there).

    ``config``: a register configuration a single-core design must hold (its size decides the core's);
    ``options``: chip name -> keywords of its facet's ``hardware`` (the build options: Xylo ``size``,
    ``fanout``, ``synapses``; DYNAP-CNN ``cores``, ``kernel``, ``neuron``, ``bias``); ``clock_hz``/``baud``:
    default the board's; ``cycles``: also measure cycles in simulation. A design of several cores puts
    them behind one UART (SELECT index in the order of the report's ``cores``).
    """
    if board not in BOARDS:
        raise ValueError(f"board: {board!r} is not one of {tuple(BOARDS)}")
    kinds = design_cores(core)
    name = "+".join(kinds)
    spec = BOARDS[board]
    default_clock = design_clock_hz(board, kinds)
    if default_clock is None:
        fitting = [b for b in BOARDS if design_clock_hz(b, kinds) is not None]
        raise ValueError(f"core: {name!r} does not fit the {board} ({spec.fits}); "
                         f"build it for {', '.join(fitting) or 'none of the boards'}")
    if config is not None and len(kinds) > 1:
        raise ValueError(f"config: sizes a single core; {name!r} takes each core's options")
    options = options or {}
    unknown = set(options) - set(kinds)
    if unknown:
        raise ValueError(f"options: for {', '.join(sorted(unknown))}, which {name!r} does not hold")
    facets = {kind: fpga_chips()[kind].facet("fpga") for kind in kinds}
    if config is not None and not isinstance(config, fpga_chips()[name].config_class()):
        raise TypeError(f"config: a {type(config).__name__} is not a {name} configuration")
    platform = spec.platform()
    clock_hz = clock_hz or default_clock
    settings = pll_settings(platform, clock_hz)
    clock = settings.freq_hz
    baud = baud or spec.baud
    divisor = uart_divisor(clock, baud)
    report = {"board": board, "core": name, "cores": kinds, "device": platform.device,
              "clock": {"requested_hz": clock_hz, "pll_hz": clock, "pll": settings.params},
              "uart": {"baud": baud, "divisor": divisor, "actual_baud": clock / divisor}}
    hardware = {kind: facet.hardware(board, config, **options.get(kind, {})) for kind, facet in facets.items()}
    report.update(Design(board, tuple(kinds), hardware).to_report())
    adapters = {kind: facet.adapter(hardware[kind]) for kind, facet in facets.items()}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    top = BoardTop(SerialTop(adapters, divisor), BoardPLL(platform, clock_hz))
    resources = build(platform, top, out_dir)
    report["build_seconds"] = round(time.monotonic() - start, 1)
    report["bitstream"] = "top.bin" if platform.family.lower() == "ice40" else "top.bit"
    report["resources"] = resources.to_dict()
    if cycles:
        for kind, facet in facets.items():
            report.update(facet.cycles(hardware[kind], clock))
    write_report(report, out_dir, report_text(report, resources))
    return report


def report_text(report: dict, resources) -> str:
    """The human-readable report."""
    clock = report["clock"]["pll_hz"] / 1e6
    lines = [f"spikegate fpga build: {report['core']} on {report['board']} ({report['device']})",
             f"bitstream   {report['bitstream']} (built in {report['build_seconds']} s)",
             f"clock       {clock:.3f} MHz from the PLL; UART {report['uart']['baud']} baud "
             f"(divisor {report['uart']['divisor']})"]
    cores = report["cores"]
    facets = [fpga_chips()[kind].facet("fpga") for kind in cores]
    for index, facet in enumerate(facets):  # a design of several cores names each core's SELECT index
        label = f"core {index}" if len(cores) > 1 else "core"
        lines.append(f"{label:<12}{facet.describe(report)}")
    lines.append(resources.text())
    for facet in facets:
        lines.extend(facet.cycle_lines(report))
    return "\n".join(lines)
