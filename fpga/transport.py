"""Byte transports for the host driver: a real serial port, or the Amaranth simulation of a design.

All offer ``write(data)``, ``read(n)`` (exactly ``n`` bytes, or :class:`TimeoutError`) and
``drain(quiet_bits)`` (discard what arrives until the line has been quiet that long), so the host
driver (:mod:`.host`) runs unchanged against a board and against the simulated top level. The
simulated ones also inject line faults for the protocol fuzzer (:mod:`.fuzz`): ``write_garbled(byte)``
sends a byte whose stop bit is low (a framing error), ``pause(bits)`` holds the line idle.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from amaranth.sim import Simulator

from spikegate.hdl import cxxrtl, tools


async def _ticks(ctx, n: int) -> None:
    # plain awaits: a suspended ``ctx.tick().repeat()`` generator complains when garbage-collected
    for _ in range(n):
        await ctx.tick()


class SerialTransport:
    """A pyserial port: ``SerialTransport("/dev/ttyUSB1", baudrate=1_000_000)``."""

    def __init__(self, port: str, baudrate: int, timeout: float = 5.0):
        import serial

        self.port = serial.Serial(port, baudrate=baudrate, timeout=timeout)

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def read(self, n: int) -> bytes:
        data = self.port.read(n)
        if len(data) != n:
            raise TimeoutError(f"serial port {self.port.port}: read {len(data)} of {n} bytes before the timeout")
        return data

    def drain(self, quiet_bits: int) -> int:
        """Discard received bytes until none came for ``quiet_bits`` bit times; returns how many."""
        import time

        quiet = max(quiet_bits / self.port.baudrate, 0.001)
        dropped = 0
        while True:
            time.sleep(quiet)
            waiting = self.port.in_waiting
            if not waiting:
                return dropped
            dropped += len(self.port.read(waiting))

    def close(self) -> None:
        self.port.close()


class SimulatedSerial:
    """A serial port wired to the ``rx``/``tx`` pins of a design run in Amaranth's simulator.

    ``design`` is a component with members ``rx`` (In(1), from the host) and ``tx`` (Out(1), to the
    host) whose UART uses ``divisor`` clock cycles per bit. Bytes written are sent on ``rx`` bit by
    bit, bytes on ``tx`` are decoded at the middle of each bit; the simulation advances only while
    :meth:`read` waits for bytes, so a host program drives it like a board.

    ``timeout_cycles`` bounds how long one :meth:`read` may simulate without the bytes arriving,
    counted from when every byte written has been sent.
    ``cycles`` is the number of clock cycles simulated so far.
    """

    #: simulated seconds per clock cycle (the value does not matter; cycles are what count)
    PERIOD = 1e-6

    def __init__(self, design, divisor: int, timeout_cycles: int = 200_000):
        self.design, self.divisor, self.timeout_cycles = design, divisor, timeout_cycles
        self._to_device: deque[int] = deque()
        self._from_device: deque[int] = deque()
        self._sim = Simulator(design)
        self._sim.add_clock(self.PERIOD)
        self._sim.add_testbench(self._drive_rx, background=True)
        self._sim.add_testbench(self._sample_tx, background=True)
        self.cycles = 0

    async def _drive_rx(self, ctx):
        # queue items: a byte (0..255), a byte with a low stop bit (256 + byte), idle bit times (-bits)
        rx = self.design.rx
        while True:
            ctx.set(rx, 1)
            if not self._to_device:
                await _ticks(ctx, self.divisor)
                continue
            item = self._to_device.popleft()
            if item < 0:
                await _ticks(ctx, -item * self.divisor)
                continue
            for bit in [0, *((item >> i) & 1 for i in range(8)), int(item < 256)]:
                ctx.set(rx, bit)
                await _ticks(ctx, self.divisor)

    async def _sample_tx(self, ctx):
        tx = self.design.tx
        while True:
            await ctx.negedge(tx)
            await _ticks(ctx, self.divisor // 2)  # middle of the start bit
            byte = 0
            for i in range(8):
                await _ticks(ctx, self.divisor)
                byte |= ctx.get(tx) << i
            await _ticks(ctx, self.divisor)  # stop bit
            self._from_device.append(byte)

    def write(self, data: bytes) -> None:
        self._to_device.extend(data)

    def write_garbled(self, byte: int) -> None:
        """Send ``byte`` with a low stop bit: the device's receiver sees a framing error."""
        self._to_device.append(256 + byte)

    def pause(self, bits: int) -> None:
        """Hold the line idle for ``bits`` bit times before the next byte written."""
        self._to_device.append(-bits)

    def drain(self, quiet_bits: int) -> int:
        """Send what is queued, then discard received bytes until none came for ``quiet_bits`` bit
        times; returns how many were discarded."""
        dropped = 0
        while True:
            limit = self.cycles + quiet_bits * self.divisor
            while self.cycles < limit:
                if self._to_device:  # the quiet time counts once everything written has been sent
                    limit = self.cycles + (quiet_bits + 10) * self.divisor
                self.cycles += 10 * self.divisor
                self._sim.run_until(self.cycles * self.PERIOD)
            if not self._from_device:
                return dropped
            dropped += len(self._from_device)
            self._from_device.clear()

    def read(self, n: int) -> bytes:
        limit = self.cycles + self.timeout_cycles
        chunk = 10 * self.divisor * max(1, n - len(self._from_device))
        while len(self._from_device) < n:
            if self._to_device:  # the limit counts once everything written has been sent
                limit = self.cycles + self.timeout_cycles + 10 * self.divisor
            if self.cycles >= limit:
                raise TimeoutError(f"simulated serial: {len(self._from_device)} of {n} bytes after "
                                   f"{self.timeout_cycles} cycles")
            self.cycles = min(self.cycles + chunk, limit)
            self._sim.run_until(self.cycles * self.PERIOD)
            chunk = 10 * self.divisor
        return bytes(self._from_device.popleft() for _ in range(n))

    def close(self) -> None:
        pass


class CompiledSerial:
    """:class:`SimulatedSerial`'s behaviour on a CXXRTL model of ``design``, compiled with g++.

    The design is compiled together with a small bridge (``data/cxxrtl_serial.cc``) by
    :func:`spikegate.hdl.cxxrtl.build` (kept in its cache, or in ``cache_dir``) and run as a subprocess
    that bit-bangs the bytes written here onto ``rx`` and decodes ``tx``. It runs hundreds of times
    faster than Amaranth's simulator, which lets tests load full-size networks through the UART.
    Compiling takes a minute or so for a large design.

    ``divisor=None``: the design has the host link's byte streams in place of the UART pins
    (:class:`.serial_top.SerialTop` built with ``divisor=None``); bytes go in and out at up to one per
    cycle, so the protocol engine and the core run cycle-exact without UART bit times (the busy cycles
    DONE reports are the core's own). A bit time (``pause``, ``drain``) is then one cycle and
    :meth:`write_garbled` is refused.
    """

    BRIDGE = Path(__file__).parent / "data" / "cxxrtl_serial.cc"
    #: With byte streams, a read simulates on until no byte came for this many cycles and keeps what
    #: came (a READ's replies follow each other within a few cycles): one request instead of one per
    #: reply. The extra cycles are idle time between host commands; the core's busy cycles are unchanged.
    READ_AHEAD_CYCLES = 32

    def __init__(self, design, divisor: int | None, cache_dir=None, timeout_cycles: int = 5_000_000,
                 optimize: str = "-O1"):
        import subprocess

        binary = cxxrtl.build(design, self.BRIDGE, what="CXXRTL serial simulation", optimize=optimize,
                              defines=("BYTE_STREAMS",) if divisor is None else (), cache_dir=cache_dir)
        self.divisor, self.timeout_cycles, self.cycles = divisor or 1, timeout_cycles, 0
        self._bytes, self._ahead = divisor is None, b""
        self._process = subprocess.Popen([str(binary), str(self.divisor)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True, bufsize=1, start_new_session=True)

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), 4096):
            self._process.stdin.write("W " + data[start:start + 4096].hex() + "\n")
        self._process.stdin.flush()

    def write_garbled(self, byte: int) -> None:
        """Send ``byte`` with a low stop bit: the device's receiver sees a framing error."""
        if self._bytes:
            raise ValueError("write_garbled: a design with byte streams (divisor None) has no UART line to garble")
        self._process.stdin.write(f"F {byte:02x}\n")

    def pause(self, bits: int) -> None:
        """Hold the line idle for ``bits`` bit times before the next byte written."""
        self._process.stdin.write(f"P {bits}\n")

    def _request(self, n: int, cycles: int, quiet: int = 0) -> bytes:
        self._process.stdin.write(f"R {n} {cycles} {quiet}\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise TimeoutError(f"compiled serial: the simulation process ended (exit status {self._process.poll()})")
        cycles, _, data = line.strip().partition(" ")
        self.cycles = int(cycles)
        return bytes.fromhex(data)

    def drain(self, quiet_bits: int) -> int:
        """Send what is queued, then discard received bytes until none came for ``quiet_bits`` bit
        times; returns how many were discarded."""
        dropped, self._ahead = len(self._ahead), b""
        while received := self._request(1 << 20, quiet_bits * self.divisor):
            dropped += len(received)
        return dropped

    def read(self, n: int) -> bytes:
        if len(self._ahead) < n:
            # byte streams: read on while replies keep coming (a READ's words arrive in one request)
            self._ahead += self._request(n - len(self._ahead), self.timeout_cycles,
                                         self.READ_AHEAD_CYCLES if self._bytes else 0)
        if len(self._ahead) < n:
            received, self._ahead = len(self._ahead), b""
            raise TimeoutError(f"compiled serial: {received} of {n} bytes after {self.timeout_cycles} cycles")
        received, self._ahead = self._ahead[:n], self._ahead[n:]
        return received

    def close(self) -> None:
        """End the simulation; one still busy after 10 s (a read abandoned midway) is killed."""
        import subprocess

        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                tools.kill_group(self._process)
                self._process.wait()
