"""The UART leaves on their own: the receiver's framing-error, overrun and start-glitch paths, and the
transmitter's exact line waveform and ready timing (the pair together: test_fpga_link.py)."""

import gc

import pytest
from amaranth.sim import Simulator

from spikegate.fpga.uart_rx import UARTReceiver
from spikegate.fpga.uart_tx import UARTTransmitter

DIVISOR = 6


def frame(byte: int, stop: int = 1) -> list[int]:
    """Line levels of one UART frame, one per bit: start (0), 8 data bits LSB first, stop."""
    return [0] + [byte >> k & 1 for k in range(8)] + [stop]


def run_receiver(levels, ready=lambda cycle: True):
    """Drive the line of a :class:`UARTReceiver` with ``levels`` (one per clock cycle, then idle high); return
    the bytes taken, the cycles of ``error`` strobes and of ``overrun`` strobes."""
    dut = UARTReceiver(DIVISOR)
    got, errors, overruns = [], [], []

    async def bench(ctx):
        for cycle, level in enumerate([*levels, *[1] * (4 * DIVISOR)]):
            taking = bool(ready(cycle))
            ctx.set(dut.rx, level)
            ctx.set(dut.stream.ready, taking)
            *_, valid, payload, error, overrun = await ctx.tick().sample(
                dut.stream.valid, dut.stream.payload, dut.error, dut.overrun)
            if valid and taking:
                got.append(payload)
            if error:
                errors.append(cycle)
            if overrun:
                overruns.append(cycle)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got, errors, overruns


def bits(levels) -> list[int]:
    """One line level per bit held ``DIVISOR`` cycles."""
    return [level for level in levels for _ in range(DIVISOR)]


def test_receiver_bytes_back_to_back():
    got, errors, overruns = run_receiver(bits(frame(0x00) + frame(0xA5) + frame(0xFF)))
    assert got == [0x00, 0xA5, 0xFF] and errors == [] and overruns == []


def test_receiver_framing_error_drops_the_byte():
    """A low stop bit strobes ``error`` once and delivers nothing; the receiver then takes the next frame."""
    got, errors, overruns = run_receiver(bits(frame(0x3C, stop=0) + [1] * 2 + frame(0x42)))
    assert got == [0x42] and len(errors) == 1 and overruns == []
    assert errors[0] < 10 * DIVISOR  # during the bad frame's stop bit


def test_receiver_overrun_keeps_the_newer_byte():
    """Two bytes while ``ready`` stays low: ``overrun`` strobes once, the newer byte replaces the older."""
    levels = bits(frame(0x11) + frame(0x22))
    got, errors, overruns = run_receiver(levels, ready=lambda cycle: cycle >= len(levels) + 2)
    assert got == [0x22] and errors == [] and len(overruns) == 1


def test_receiver_ignores_a_start_glitch():
    """A low pulse shorter than half a bit is no start bit: nothing is received, no error."""
    glitch = [0] * (DIVISOR // 2 - 1) + [1] * (2 * DIVISOR)
    got, errors, overruns = run_receiver(glitch + glitch + bits(frame(0x5A)))
    assert got == [0x5A] and errors == [] and overruns == []


def test_transmitter_line_waveform():
    """The exact line: idle high, start bit, 8 data bits LSB first, stop bit, each ``DIVISOR`` cycles, and
    the next byte's start bit right after the stop bit (``ready`` in the stop bit's last cycle)."""
    dut = UARTTransmitter(DIVISOR)
    line, accepted = [], []

    async def bench(ctx):
        for byte in (0xC3, 0x01):
            ctx.set(dut.stream.payload, byte)
            ctx.set(dut.stream.valid, 1)
            await ctx.tick().until(dut.stream.ready)
            accepted.append(len(line))
        ctx.set(dut.stream.valid, 0)
        await ctx.tick().repeat(12 * DIVISOR)

    async def probe(ctx):
        async for _, _, tx in ctx.tick().sample(dut.tx):
            line.append(tx)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_testbench(probe, background=True)
    sim.run()
    start = line.index(0)
    assert line[:start] == [1] * start and start == 1  # the start bit begins the cycle after acceptance
    assert line[start:start + 20 * DIVISOR] == bits(frame(0xC3) + frame(0x01))
    assert set(line[start + 20 * DIVISOR:]) == {1}
    assert accepted[1] - accepted[0] == 10 * DIVISOR


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_transmitter_divisor_wrong():
    with pytest.raises(ValueError, match="^divisor: 0 clock cycles per bit is below the minimum of 1$") as refused:
        UARTTransmitter(0)
    del refused
    gc.collect()
