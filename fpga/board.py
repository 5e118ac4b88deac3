"""A design on a board: its PLL, its UART pins, and the boards this package builds for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io


@dataclass(frozen=True)
class Board:
    """A supported board: its amaranth-boards platform and the defaults of a build on it. Which cores
    it holds, and their default clocks, are the chips' (``clock_hz`` of each FPGA facet, :mod:`.facet`)."""

    name: str
    platform: Callable  #: returns a new platform object
    max_cores: int      #: most cores one design on it holds (behind one UART)
    baud: int           #: default UART rate
    fits: str           #: what limits the designs it takes, for the error that refuses the others


def _icebreaker():
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    return ICEBreakerPlatform()


def _ulx3s_85f():
    from amaranth_boards.ulx3s import ULX3S_85F_Platform
    return ULX3S_85F_Platform()


#: Boards by command-line name. The iCEBreaker's FTDI channel B is its UART; the ULX3S's FTDI is.
BOARDS = {
    "icebreaker": Board("icebreaker", _icebreaker, max_cores=1, baud=1_000_000,
                        fits="iCE40UP5K: the full Xylo array takes 64 % of its 5280 logic cells and all 4 SPRAMs, "
                             "one DYNAP-CNN core 66 %: one design at a time"),
    "ulx3s": Board("ulx3s", _ulx3s_85f, max_cores=2, baud=1_000_000,
                   fits="ECP5-85F: the full Xylo array and nine DYNAP-CNN cores together"),
}


def uart_divisor(clock_hz: float, baud: int) -> int:
    """Clock cycles per UART bit; refuses rates the receiver cannot sample (divisor < 4) or whose
    rounding error exceeds 2 % (a UART frame tolerates about 4 % in total)."""
    divisor = round(clock_hz / baud)
    if divisor < 4:
        raise ValueError(f"baud: {baud} needs at least 4 clock cycles per bit at {clock_hz / 1e6:.3f} MHz "
                         f"(at most {int(clock_hz // 4)} baud)")
    error = abs(clock_hz / divisor - baud) / baud
    if error > 0.02:
        raise ValueError(f"baud: {baud} is {error:.1%} off at {clock_hz / 1e6:.3f} MHz with divisor {divisor} "
                         f"(limit 2%)")
    return divisor


class BoardTop(Elaboratable):
    """The top level of a bitstream: ``design`` clocked by the board PLL, on the board's UART.

    ``design`` is a component with ``rx`` (In(1)) and ``tx`` (Out(1)) members, built for the UART
    divisor of the PLL frequency; ``pll`` is the :class:`.pll.BoardPLL` that drives the ``sync``
    domain defined here.
    """

    def __init__(self, design, pll):
        self.design, self.pll = design, pll

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.submodules.pll = self.pll
        m.submodules.design = self.design
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx = rx = io.Buffer("i", uart.rx)
        m.submodules.tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [self.design.rx.eq(rx.i), tx.o.eq(self.design.tx)]
        return m
