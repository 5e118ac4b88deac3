"""What the FPGA layer knows of one chip: the interface of its facet ``Chip.facet("fpga")``.

A chip that runs on the boards (:mod:`.board`) names a :class:`FPGAFacet` in its descriptor's ``facets``
(``"fpga": "spikegate.fpga.xylo_facet:FPGA"``). :mod:`.build` and :mod:`.cli` use only this interface, so
a chip brings its core to the boards without an edit of them: its hardware parameters (from a config or
the ``spikegate fpga build`` options), the protocol adapter of its core, its clock per board, its cycle
figures in the build report, and the host driver rebuilt from that report::

    facet = get_chip("xylo").facet("fpga")
    board = facet.open_board(link, json.load(open("build/report.json")), config)  # a XyloBoard
"""

from __future__ import annotations


class FPGAFacet:
    """One chip's core on the FPGA boards. Subclasses set the attributes and implement the methods.

    Attributes:
        chip: the chip's name (its descriptor's ``name``), as in the report's ``cores``.
        clock_hz: board name -> default ``sync`` clock (Hz) the PLL is asked for in a design with this
            core on that board (the builds meet it); a board left out cannot hold the core. A design
            with several cores runs at the slowest of their clocks.
        build_options: option name -> keywords of ``argparse.add_argument`` for ``spikegate fpga
            build --NAME``; the options given (not None) are passed to :meth:`hardware`.
        report_key: the build report's entry holding the hardware parameters (:meth:`report_entry`).
    """

    chip: str = ""
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

    def hardware_from_report(self, report: dict):
        """The hardware parameters a design was built with, from its build report (``report.json``)."""
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

    def open_board(self, link, report: dict, config=None):
        """The host driver of this core of a built design, on ``link`` (:class:`.host.Link` or alike):
        its hardware parameters and SELECT index come from the build ``report``; ``config`` is loaded."""
        cores = report["cores"]
        if self.chip not in cores:
            raise ValueError(f"report: the design holds {'+'.join(cores)}, no {self.chip} core")
        select = cores.index(self.chip) if len(cores) > 1 else None
        return self.board_class()(link, self.hardware_from_report(report), config, select=select)
