"""cocotb testbench of the exported XyloCore Verilog: loads each case's config through the configuration
port (``config_writes``), drives input counts, and compares outputs and read-back state with the numpy
model's recording after every step.

Run by ``tests/test_xylo_hdl_cocotb.py``; the cases come from the JSON file named by ``XYLO_CASES``:
a list of ``{"config": <path of a XyloConfig JSON>, "expected": <path of an .npz>}`` with the core's
size in ``XYLO_PARAMS`` (JSON of XyloCoreParams fields). The .npz holds ``raster`` (T, Nin), ``out``
(T, Nout) and the records ``Isyn, Isyn2, Vmem, Spikes, Isyn_out, Vmem_out``.
"""

import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from spikegate.hdl.xylo import Ctrl, Region, XyloCoreParams, address, config_writes, state_addresses
from spikegate.hdl.xylo.memory_map import ADDRESS_BITS, decode_flat_state
from spikegate.sim.compare import assert_same
from spikegate.sim.xylo import XyloConfig


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


@cocotb.test()
async def configs_equal_numpy(dut):
    params = XyloCoreParams(**json.loads(os.environ["XYLO_PARAMS"]))
    cases = json.loads(open(os.environ["XYLO_CASES"]).read())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name in ("counts__valid", "step", "spikes__ready", "config__valid", "readback_addr__valid",
                 "readback_data__ready"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    host = Host(dut, params)
    for _ in range(2):
        await host.cycle()
    dut.rst.value = 0
    for number, case in enumerate(cases):
        config = XyloConfig.load(case["config"])
        expected = dict(np.load(case["expected"]))
        raster = expected.pop("raster")
        await host.write(config_writes(config, params) + [(address(Region.CTRL, Ctrl.CLEAR), 0)])
        while True:
            await ReadOnly()
            busy = int(dut.busy.value)
            await host.cycle()
            if not busy:
                break
        got = {name: np.zeros_like(value) for name, value in expected.items()}
        for t, counts in enumerate(raster):
            got["out"][t, await host.step(counts)] = 1
            for name, value in (await host.state()).items():
                got[name][t] = value
        assert_same(expected, got, names=("numpy", "icarus"), context=f"case {number} ({config!r})")
        dut._log.info("case %d: %d steps equal", number, len(raster))
