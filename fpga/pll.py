"""The boards' PLLs: the ``sync`` clock domain at a chosen frequency from the board oscillator.

:func:`ice40_pll_params` and :func:`ecp5_pll_params` pick divider settings within the datasheet
ranges (iCE40 sysCLOCK PLL: PFD 10-133 MHz, VCO 533-1066 MHz; ECP5 EHXPLLL: PFD 3.125-400 MHz,
VCO 400-800 MHz) for the frequency closest to the one asked for (within :data:`TOLERANCE`); :class:`BoardPLL` instantiates the
family's primitive and holds ``sync`` in reset until the PLL locks.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer


#: Largest relative distance between the frequency asked for and the one a setting gives.
TOLERANCE = 0.01


@dataclass(frozen=True)
class PLLSettings:
    """Divider settings of one PLL and the output frequency they give (Hz)."""

    params: dict
    freq_hz: float


def ice40_pll_params(freq_in_hz: float, freq_out_hz: float) -> PLLSettings:
    """SB_PLL40_PAD settings: ``f_out = f_in * (DIVF + 1) / ((DIVR + 1) * 2**DIVQ)``."""
    best = None
    for divr in range(16):
        pfd = freq_in_hz / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                out = vco / 2 ** divq
                if best is None or abs(out - freq_out_hz) < abs(best[0] - freq_out_hz):
                    best = (out, divr, divf, divq, pfd)
    if best is None or abs(best[0] - freq_out_hz) > TOLERANCE * freq_out_hz:
        raise ValueError(f"clock: no iCE40 PLL setting makes {freq_out_hz / 1e6:.3f} MHz from "
                         f"{freq_in_hz / 1e6:.3f} MHz (within {TOLERANCE:.0%})")
    out, divr, divf, divq, pfd = best
    filter_range = next(i for i, edge in enumerate((17e6, 26e6, 44e6, 66e6, 101e6, 133e6)) if pfd < edge) + 1
    return PLLSettings({"FEEDBACK_PATH": "SIMPLE", "DIVR": divr, "DIVF": divf, "DIVQ": divq,
                        "FILTER_RANGE": filter_range}, out)


def ecp5_pll_params(freq_in_hz: float, freq_out_hz: float) -> PLLSettings:
    """EHXPLLL settings with CLKOP fed back: ``f_out = f_in * CLKFB_DIV / CLKI_DIV``."""
    best = None
    for clki_div in range(1, 129):
        pfd = freq_in_hz / clki_div
        if not 3.125e6 <= pfd <= 400e6:
            continue
        for clkfb_div in range(1, 129):
            out = pfd * clkfb_div
            for clkop_div in range(1, 129):
                if 400e6 <= out * clkop_div <= 800e6:
                    if best is None or abs(out - freq_out_hz) < abs(best[0] - freq_out_hz):
                        best = (out, clki_div, clkfb_div, clkop_div)
                    break
    if best is None or abs(best[0] - freq_out_hz) > TOLERANCE * freq_out_hz:
        raise ValueError(f"clock: no ECP5 PLL setting makes {freq_out_hz / 1e6:.3f} MHz from "
                         f"{freq_in_hz / 1e6:.3f} MHz (within {TOLERANCE:.0%})")
    out, clki_div, clkfb_div, clkop_div = best
    return PLLSettings({"CLKI_DIV": clki_div, "CLKFB_DIV": clkfb_div, "CLKOP_DIV": clkop_div,
                        "CLKOP_CPHASE": clkop_div - 1, "CLKOP_FPHASE": 0, "FEEDBK_PATH": "CLKOP",
                        "CLKOP_ENABLE": "ENABLED", "OUTDIVIDER_MUXA": "DIVA"}, out)


def pll_settings(platform, freq_hz: float) -> PLLSettings:
    """The settings :class:`BoardPLL` uses on ``platform`` for ``freq_hz``."""
    solve = ice40_pll_params if platform.family.lower() == "ice40" else ecp5_pll_params
    return solve(platform.default_clk_frequency, freq_hz)


class BoardPLL(Elaboratable):
    """Drives the ``sync`` domain (defined by the parent) from the platform's default clock through the
    family's PLL.

    ``freq_hz`` is the frequency asked for; :attr:`settings` has the one obtained, which callers
    use for UART divisors and reports. ``sync`` stays in reset until the PLL reports lock.
    """

    def __init__(self, platform, freq_hz: float):
        self.family = platform.family.lower()
        self.freq_in_hz = platform.default_clk_frequency
        self.settings = pll_settings(platform, freq_hz)

    def elaborate(self, platform):
        m = Module()
        lock = Signal()
        params = {f"p_{name}": value for name, value in self.settings.params.items()}
        if self.family == "ice40":
            # the UP5K's PLL sits on the clock pad's site: it takes the pad itself, not a fabric clock
            pad = platform.request(platform.default_clk, 0, dir="-")
            m.submodules.pll = Instance("SB_PLL40_PAD", **params, i_PACKAGEPIN=pad.io, i_RESETB=1,
                                        i_BYPASS=0, o_PLLOUTGLOBAL=ClockSignal("sync"), o_LOCK=lock)
        else:
            m.submodules.clk_in = clk_buffer = io.Buffer("i", platform.request(platform.default_clk, 0, dir="-"))
            clk_in = clk_buffer.i
            clkop = Signal()
            m.submodules.pll = Instance(
                "EHXPLLL", **params, a_FREQUENCY_PIN_CLKI=f"{self.freq_in_hz / 1e6:.6f}",
                a_FREQUENCY_PIN_CLKOP=f"{self.settings.freq_hz / 1e6:.6f}",
                i_CLKI=clk_in, i_CLKFB=clkop, i_RST=0, i_STDBY=0, i_PHASESEL0=0, i_PHASESEL1=0,
                i_PHASEDIR=0, i_PHASESTEP=0, i_PHASELOADREG=0, i_PLLWAKESYNC=0, i_ENCLKOP=0,
                o_CLKOP=clkop, o_LOCK=lock)
            m.d.comb += ClockSignal("sync").eq(clkop)
        m.submodules.reset = ResetSynchronizer(~lock, domain="sync")
        return m
