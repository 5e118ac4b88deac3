"""cocotb bench of the exported Verilog of one DynapcnnCore: load a configuration through the configuration
port, stream input events, compare the output events and the read-back membranes with the numpy model.

The case is the test-vector directory named by $DYNAPCNN_VECTORS (:mod:`spikegate.hdl.vectors`, written by
tests/test_dynapcnn_hdl_cocotb.py): the core's packed port words (``core_writes.hex``, ``core_events.hex``,
``membrane_addr.hex``) and the model's answers (``expected_core_events.hex``, ``expected_membranes.hex``).
Signals are driven at falling edges; a transfer happens at the rising edge when valid and ready were both
high just before it.
"""

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from spikegate.hdl.dynapcnn.layouts import Event
from spikegate.hdl.vectors import load, read_hex


def fxy(event: int) -> tuple[int, int, int]:
    """(feature, x, y) of a packed ``Event`` payload."""
    fields = Event.from_bits(event)
    return fields.feature, fields.x, fields.y


async def put(dut, name: str, payload: int) -> None:
    """Offer ``payload`` on stream ``name`` until it is taken (called and returning at a falling edge)."""
    getattr(dut, f"{name}__payload").value = payload
    getattr(dut, f"{name}__valid").value = 1
    while True:
        await ReadOnly()
        taken = int(getattr(dut, f"{name}__ready").value)
        await FallingEdge(dut.clk)
        if taken:
            break
    getattr(dut, f"{name}__valid").value = 0


async def take(dut, name: str) -> int:
    """The next payload of stream ``name`` (called and returning at a falling edge)."""
    getattr(dut, f"{name}__ready").value = 1
    while True:
        await ReadOnly()
        valid, payload = int(getattr(dut, f"{name}__valid").value), int(getattr(dut, f"{name}__payload").value)
        await FallingEdge(dut.clk)
        if valid:
            getattr(dut, f"{name}__ready").value = 0
            return payload


async def collect(dut, out: list) -> None:
    """Record every output event (``spikes`` is always ready)."""
    dut.spikes__ready.value = 1
    while True:
        await FallingEdge(dut.clk)
        await ReadOnly()
        if int(dut.spikes__valid.value):
            out.append(int(dut.spikes__payload.value))


@cocotb.test()
async def config_port_load_and_events(dut):
    vectors = load(os.environ["DYNAPCNN_VECTORS"])
    case = {"writes": vectors["core_writes.hex"].tolist(), "events": vectors["core_events.hex"].tolist(),
            "spikes": vectors["expected_core_events.hex"].tolist(),
            "reads": vectors["membrane_addr.hex"].tolist(),
            "membranes": read_hex(vectors.directory / "expected_membranes.hex", 16, signed=True).tolist()}
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name in ("events", "config"):
        getattr(dut, f"{name}__valid").value = 0
    dut.readback__ready.value = 0
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    for word in case["writes"]:
        await put(dut, "config", word)
    spikes = []
    cocotb.start_soon(collect(dut, spikes))
    for event in case["events"]:
        await put(dut, "events", event)
    while True:
        await ReadOnly()
        if not int(dut.busy.value):
            break
        await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    for i, (got, want) in enumerate(zip(spikes, case["spikes"])):
        assert got == want, f"output event {i} (feature, x, y): hardware {fxy(got)}, model {fxy(want)}"
    assert len(spikes) == len(case["spikes"]), f"{len(spikes)} output events from the hardware, " \
                                               f"{len(case['spikes'])} from the model"
    for i, (read, want) in enumerate(zip(case["reads"], case["membranes"])):
        await put(dut, "config", read)
        word = await take(dut, "readback")
        got = word - (1 << 16) if word & 0x8000 else word
        assert got == want, f"membrane {i} (read request {hex(read)}): hardware {got}, model {want}"
    dut._log.info(f"{len(case['writes'])} config writes, {len(case['events'])} events, {len(spikes)} output events, "
                  f"{len(case['reads'])} membranes equal")
