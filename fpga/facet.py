"""What the FPGA layer knows of one chip: the interface of its facet ``Chip.facet("fpga")``, and the
typed view of a build report that the host drivers are rebuilt from (:class:`Design`).

A chip that runs on the boards (:mod:`.board`) names a :class:`FPGAFacet` in its descriptor's ``facets``
(``"fpga": "spikegate.fpga.xylo_facet:FPGA"``). :mod:`.build`, :mod:`.cli`, :mod:`.protocol` and
:mod:`.host` use only this interface, so a chip brings its core to the boards without an edit of them:
its core kind id in the protocol, its hardware parameters (from a config or the ``spikegate fpga build``
options), the protocol adapter of its core, its clock per board, its cycle figures and its entry in the
build report, and its host driver::

    design = Design.load("build/ulx3s-both/report.json")   # cores ("xylo", "dynapcnn"), typed hardware
    xylo = design.open_board(link, "xylo", config)          # a XyloBoard, SELECT index 0
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spikegate.sim.chip import chips, get_chip


class FPGAFacet:
    """One chip's core on the FPGA boards. Subclasses set the attributes and implement the methods.

    Attributes:
        chip: the chip's name (its descriptor's ``name``), as in the report's ``cores``.
        core_kind: the core's kind id in the protocol's IDENT word (bits 8-15; 1..255, its own among the
            registered chips: :func:`.protocol.core_kinds`).
        clock_hz: board name -> default ``sync`` clock (Hz) the PLL is asked for in a design with this
            core on that board (the builds meet it); a board left out cannot hold the core. A design
            with several cores runs at the slowest of their clocks.
        build_options: option name -> keywords of ``argparse.add_argument`` for ``spikegate fpga
            build --NAME``; the options given (not None) are passed to :meth:`hardware`.
        report_key: the build report's entry holding the hardware parameters (:meth:`report_entry`).
    """

    chip: str = ""
    core_kind: int = 0
    clock_hz: dict[str, float] = {}
    build_options: dict[str, dict] = {}
    report_key: str = ""

    def hardware(self, board: str, config=None, **options):
        """The hardware parameters of a core on ``board``: the smallest that holds ``config`` (this
        chip's register configuration), or those of the build ``options`` (board defaults)."""
        raise NotImplementedError

    def adapter(self, hardware):
        """The core of ``hardware`` parameters on the protocol engine's core ports
        (:func:`.engine.core_signature`, flipped): an Amaranth component."""
        raise NotImplementedError

    def report_entry(self, hardware):
        """``hardware`` as JSON data: the build report's :attr:`report_key` entry."""
        raise NotImplementedError

    def hardware_from_entry(self, entry):
        """The hardware parameters of this chip's :meth:`report_entry` ``entry`` read back from JSON (typed,
        as :meth:`hardware` returns them)."""
        raise NotImplementedError

    def cycles(self, hardware, clock_hz: float) -> dict:
        """The report entries of the cycle figures measured in simulation (clock ``clock_hz``, Hz)."""
        raise NotImplementedError

    def describe(self, report: dict) -> str:
        """The core's line of the text report (after its label): its hardware parameters."""
        raise NotImplementedError

    def cycle_lines(self, report: dict) -> list[str]:
        """The text report's lines of the cycle figures of :meth:`cycles` (none when not measured)."""
        raise NotImplementedError

    def board_class(self) -> type:
        """The host driver (:mod:`.host`): called ``(link, hardware, config=None, select=None)``."""
        raise NotImplementedError


def fpga_chips() -> dict:
    """The registered chips that have an FPGA facet, by name."""
    return {name: chip for name, chip in chips().items() if chip.has_facet("fpga")}


def fpga_facets() -> dict:
    """The FPGA facet of every registered chip that has one, by chip name."""
    return {name: chip.facet("fpga") for name, chip in fpga_chips().items()}


@dataclass(frozen=True)
class Design:
    """A built design as its host sees it: the typed codec of a build report's design entries.

    Attributes:
        board: the board's name (:data:`.board.BOARDS`).
        cores: the chip name of each core, in SELECT index order (the report's ``cores``).
        hardware: chip name -> the core's hardware parameters (a :class:`~spikegate.hdl.xylo.XyloCoreParams`,
            nine DYNAP-CNN :class:`~spikegate.hdl.dynapcnn.CoreLimits` or None, ...), each read and written
            by its chip's FPGA facet under the facet's ``report_key``.
    """

    board: str
    cores: tuple[str, ...]
    hardware: Mapping[str, object]

    @classmethod
    def from_report(cls, report: Mapping) -> "Design":
        """The design of a build report (``report.json`` as loaded). Raises ValueError (one line) naming
        the missing or unknown entry."""
        if not isinstance(report, Mapping) or not isinstance(report.get("cores"), list):
            raise ValueError("report: no 'cores' list; not a report of spikegate fpga build")
        facets, hardware = fpga_facets(), {}
        for name in report["cores"]:
            if name not in facets:
                raise ValueError(f"report: core {name!r} is not one of {tuple(facets)}")
            facet = facets[name]
            if facet.report_key not in report:
                raise ValueError(f"report: no '{facet.report_key}' entry for its {name} core")
            try:
                hardware[name] = facet.hardware_from_entry(report[facet.report_key])
            except (TypeError, ValueError, KeyError, AttributeError) as error:
                raise ValueError(f"report '{facet.report_key}': not the hardware of a {name} core ({error})") from None
        return cls(board=report.get("board", ""), cores=tuple(report["cores"]), hardware=hardware)

    @classmethod
    def load(cls, path: str | Path) -> "Design":
        """The design of build report file ``path`` (``report.json``); errors start with the path."""
        try:
            return cls.from_report(json.loads(Path(path).read_text()))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None

    def to_report(self) -> dict:
        """The report's design entries: ``board``, ``core`` (the names joined by ``+``), ``cores`` and each
        core's hardware under its facet's ``report_key``."""
        report = {"board": self.board, "core": "+".join(self.cores), "cores": list(self.cores)}
        for name in self.cores:
            facet = get_chip(name).facet("fpga")
            report[facet.report_key] = facet.report_entry(self.hardware[name])
        return report

    def select(self, chip: str) -> int | None:
        """The SELECT index of core ``chip``; None in a single-core design (no SELECT is sent)."""
        if chip not in self.cores:
            raise ValueError(f"report: the design holds {'+'.join(self.cores)}, no {chip} core")
        return self.cores.index(chip) if len(self.cores) > 1 else None

    def open_board(self, link, chip: str, config=None):
        """The host driver of core ``chip`` on ``link`` (:class:`.host.Link` or alike): its chip's
        ``board_class``, given the core's hardware parameters and SELECT index; ``config`` is loaded."""
        select = self.select(chip)
        return get_chip(chip).facet("fpga").board_class()(link, self.hardware[chip], config, select=select)
