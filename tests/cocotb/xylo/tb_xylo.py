"""cocotb testbench of the exported XyloCore Verilog, run from test-vector directories
(:mod:`spikegate.hdl.vectors`): for each directory it replays ``config_writes.hex`` through the
configuration port, drives the counts of ``input.hex``, and compares the output spikes with
``expected_out.hex`` and the state read back after every step with ``expected_state.hex``.

Run by ``tests/test_xylo_hdl_cocotb.py``; ``XYLO_VECTORS`` names the directories (``os.pathsep``
separated). The core's size is each directory's manifest ``params``.
"""

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from spikegate.hdl.vectors import XYLO_STATE_FIELDS, load
from spikegate.hdl.xylo import Ctrl, Region, XyloCoreParams, address, state_addresses
from spikegate.hdl.xylo.memory_map import ADDRESS_BITS, decode_flat_state
from spikegate.sim.compare import assert_same


class Host:
    """Drives the core's ports one clock cycle at a time (signals change right after a rising edge)."""

    def __init__(self, dut, params: XyloCoreParams):
        self.dut = dut
        self.params = params

    async def cycle(self):
        await RisingEdge(self.dut.clk)

    async def send(self, prefix: str, payload: int):
        dut = self.dut
        getattr(dut, f"{prefix}__payload").value = payload
        getattr(dut, f"{prefix}__valid").value = 1
        while True:
            await ReadOnly()
            ready = int(getattr(dut, f"{prefix}__ready").value)
            await self.cycle()
            if ready:
                break
        getattr(dut, f"{prefix}__valid").value = 0

    async def write(self, writes):
        for addr, data in writes:
            await self.send("config", data << ADDRESS_BITS | addr)

    async def read(self, addresses):
        dut, words = self.dut, []
        dut.readback_data__ready.value = 1
        for addr in addresses:
            await self.send("readback_addr", addr)
            while True:
                await ReadOnly()
                valid = int(dut.readback_data__valid.value)
                value = int(dut.readback_data__payload.value)
                await self.cycle()
                if valid:
                    words.append(value)
                    break
        return words

    async def state(self):
        addresses = [a for addrs in state_addresses(self.params).values() for a in addrs]
        return decode_flat_state(self.params, await self.read(addresses))

    async def step(self, counts):
        dut = self.dut
        for channel, count in enumerate(counts):
            if count:
                await self.send("counts", int(count) << self.params.input_bits | channel)
        dut.spikes__ready.value = 1
        dut.step.value = 1
        await self.cycle()
        dut.step.value = 0
        spiked = []
        while True:
            await ReadOnly()
            if int(dut.spikes__valid.value):
                spiked.append(int(dut.spikes__payload.value))
            done = int(dut.done.value)
            await self.cycle()
            if done:
                return spiked


def expected_records(vectors, params: XyloCoreParams) -> dict[str, np.ndarray]:
    """The vectors' expected outputs and state, named and shaped as ``XyloSim`` records them."""
    steps = vectors.manifest["steps"]
    bits = vectors["expected_out.hex"]
    expected = {"out": (bits[:, None] >> np.arange(params.n_outputs)) & 1}
    words = vectors["expected_state.hex"].reshape(steps, -1)
    words = (words + 0x8000) % 0x10000 - 0x8000
    start = 0
    for name in XYLO_STATE_FIELDS:
        size = params.n_outputs if name.endswith("_out") else params.n_hidden
        expected[name] = words[:, start:start + size]
        start += size
    return expected


@cocotb.test()
async def vectors_equal_numpy(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name in ("counts__valid", "step", "spikes__ready", "config__valid", "readback_addr__valid",
                 "readback_data__ready"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    host = None
    for directory in os.environ["XYLO_VECTORS"].split(os.pathsep):
        vectors = load(directory)
        params = XyloCoreParams(**vectors.manifest["params"])
        if host is None:
            host = Host(dut, params)
            for _ in range(2):
                await host.cycle()
            dut.rst.value = 0
        host.params = params
        writes = [(int(w) >> 16, int(w) & 0xFFFF) for w in vectors["config_writes.hex"]]
        await host.write(writes + [(address(Region.CTRL, Ctrl.CLEAR), 0)])
        while True:
            await ReadOnly()
            busy = int(dut.busy.value)
            await host.cycle()
            if not busy:
                break
        expected = expected_records(vectors, params)
        raster = vectors["input.hex"].reshape(vectors.manifest["steps"], params.n_inputs)
        got = {name: np.zeros_like(value) for name, value in expected.items()}
        for t, counts in enumerate(raster):
            got["out"][t, await host.step(counts)] = 1
            for name, value in (await host.state()).items():
                got[name][t] = value
        assert_same(expected, got, names=("numpy", "icarus"), context=f"vectors {directory} ({vectors.config!r})")
        dut._log.info("%s: %d steps equal", directory, len(raster))
