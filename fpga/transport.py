"""Byte transports for the host driver: a real serial port, or the Amaranth simulation of a design.

Both offer ``write(data)`` and ``read(n)`` (exactly ``n`` bytes, or :class:`TimeoutError`), so the
host driver (:mod:`.host`) runs unchanged against a board and against the simulated top level.
"""

from __future__ import annotations

from collections import deque

from amaranth.sim import Simulator


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

    def close(self) -> None:
        self.port.close()


class SimulatedSerial:
    """A serial port wired to the ``rx``/``tx`` pins of a design run in Amaranth's simulator.

    ``design`` is a component with members ``rx`` (In(1), from the host) and ``tx`` (Out(1), to the
    host) whose UART uses ``divisor`` clock cycles per bit. Bytes written are sent on ``rx`` bit by
    bit, bytes on ``tx`` are decoded at the middle of each bit; the simulation advances only while
    :meth:`read` waits for bytes, so a host program drives it like a board.

    ``timeout_cycles`` bounds how long one :meth:`read` may simulate without the bytes arriving.
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
        rx = self.design.rx
        ctx.set(rx, 1)
        while True:
            if not self._to_device:
                await _ticks(ctx, self.divisor)
                continue
            byte = self._to_device.popleft()
            for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
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

    def read(self, n: int) -> bytes:
        limit = self.cycles + self.timeout_cycles
        chunk = 10 * self.divisor * max(1, n - len(self._from_device))
        while len(self._from_device) < n:
            if self.cycles >= limit:
                raise TimeoutError(f"simulated serial: {len(self._from_device)} of {n} bytes after "
                                   f"{self.timeout_cycles} cycles")
            self.cycles = min(self.cycles + chunk, limit)
            self._sim.run_until(self.cycles * self.PERIOD)
            chunk = 10 * self.divisor
        return bytes(self._from_device.popleft() for _ in range(n))

    def close(self) -> None:
        pass
