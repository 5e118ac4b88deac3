"""The toy counter chip's FPGA facet, as a plug-in would write it: its core on the protocol engine's ports
(:class:`CounterAdapter`), its host driver (:class:`CounterBoard`) and its entry in the build report.

The core's register map: configuration address 0 takes the threshold (bits 0-7), a write to address 1
zeroes every membrane; READ of address ``c`` gives channel ``c``'s membrane. EVENT words are
:data:`CounterInput`; after a STEP the core sends one :data:`CounterOutput` word per spiking channel, in
channel order. Only the threshold reset (``reset="subtract"``, :class:`plugin_chip.CounterSim`'s default) is built.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Module, Signal
from amaranth.lib import data, wiring

from spikegate.fpga.engine import WORD_BITS, core_signature
from spikegate.fpga.facet import FPGAFacet

#: An EVENT word: this step's input count on one channel.
CounterInput = data.StructLayout({"count": 8, "channel": WORD_BITS - 8})
#: An output word: the index of a channel that spiked.
CounterOutput = data.StructLayout({"channel": WORD_BITS})
#: Bits of a membrane (the model's membranes stay below the threshold plus one step's counts).
MEMBRANE_BITS = 16


class CounterAdapter(wiring.Component):
    """``channels`` counter neurons on the ports of :func:`spikegate.fpga.engine.core_signature`, flipped.
    A STEP takes one cycle per channel (plus one per output word the host takes)."""

    def __init__(self, channels: int):
        self.channels = channels
        super().__init__(core_signature(events=CounterInput, outputs=CounterOutput).flip())

    def elaborate(self, platform):
        m = Module()
        n = self.channels
        threshold = Signal(8)
        membranes = Array(Signal(MEMBRANE_BITS, name=f"membrane{c}") for c in range(n))
        pending = Array(Signal(MEMBRANE_BITS, name=f"pending{c}") for c in range(n))
        running, index = Signal(), Signal(range(n))
        out_valid, out_channel = Signal(), Signal(range(n))

        m.d.comb += self.config.ready.eq(1)
        with m.If(self.config.valid & (self.config.payload.addr == 0)):
            m.d.sync += threshold.eq(self.config.payload.data[:8])
        with m.If(self.config.valid & (self.config.payload.addr == 1)):
            m.d.sync += [membrane.eq(0) for membrane in membranes]

        m.d.comb += self.events.ready.eq(~running)
        with m.If(self.events.valid & self.events.ready & (self.events.payload.channel < n)):
            m.d.sync += pending[self.events.payload.channel].eq(pending[self.events.payload.channel] +
                                                                self.events.payload.count)

        with m.If(self.step):
            m.d.sync += [running.eq(1), index.eq(0)]
        with m.Elif(running & ~out_valid):
            total = membranes[index] + pending[index]
            spike = total >= threshold
            m.d.sync += [membranes[index].eq(total - spike * threshold), pending[index].eq(0),
                         out_valid.eq(spike), out_channel.eq(index), index.eq(index + 1)]
            with m.If(index == n - 1):
                m.d.sync += running.eq(0)
        with m.If(self.outputs.valid & self.outputs.ready):
            m.d.sync += out_valid.eq(0)
        m.d.comb += [self.outputs.valid.eq(out_valid), self.outputs.payload.channel.eq(out_channel),
                     self.busy.eq(running | out_valid | self.step)]

        m.d.comb += self.read_addr.ready.eq(~self.read_data.valid)
        with m.If(self.read_addr.valid & self.read_addr.ready):
            m.d.sync += [self.read_data.payload.eq(membranes[self.read_addr.payload]),
                         self.read_data.valid.eq(1)]
        with m.Elif(self.read_data.ready):
            m.d.sync += self.read_data.valid.eq(0)
        return m


class CounterBoard:
    """The counter core on a board (or its simulation), called like :class:`CounterSim`."""

    chip = "counter"

    def __init__(self, link, channels: int, config=None, select: int | None = None):
        from spikegate.fpga.host import SelectedCore

        self.link = link if select is None else SelectedCore(link, select, self.chip)
        self.channels, self.config = channels, None
        if config is not None:
            self.load(config)

    def load(self, config) -> None:
        if config.n_inputs > self.channels:
            raise ValueError(f"config: n_inputs {config.n_inputs} is above the core's {self.channels} channels")
        self.link.write_config([(0, config.threshold), (1, 0)])
        self.link.sync()
        self.config = config

    def run(self, raster):
        """``(membranes, spikes)`` of ``raster`` (T, n_inputs), as :meth:`CounterSim.run`."""
        raster = np.asarray(raster, np.int64)
        membranes, spikes = np.zeros_like(raster), np.zeros_like(raster)
        for step, counts in enumerate(raster):
            self.link.send(CounterInput.const({"channel": c, "count": int(n)}).as_bits()
                           for c, n in enumerate(counts) if n)
            words, _ = self.link.step()
            spikes[step, [CounterOutput.from_bits(w).channel for w in words]] = 1
            membranes[step] = self.link.read(0, self.config.n_inputs)
        return membranes, spikes


class CounterFPGA(FPGAFacet):
    """The counter core: hardware parameters are its channel count (the report's ``counter`` entry)."""

    chip = "counter"
    clock_hz = {"icebreaker": 12e6}
    build_options = {"channels": {"type": int, "help": "counter chip channels (default 2)"}}
    report_key = "counter"

    def __init__(self, core_kind: int = 3):
        self.core_kind = core_kind

    def hardware(self, board, config=None, channels: int | None = None) -> int:
        return config.n_inputs if config is not None else channels or 2

    def adapter(self, hardware: int):
        return CounterAdapter(hardware)

    def report_entry(self, hardware: int) -> dict:
        return {"channels": hardware}

    def hardware_from_entry(self, entry) -> int:
        return int(entry["channels"])

    def cycles(self, hardware, clock_hz: float) -> dict:
        return {}

    def describe(self, report: dict) -> str:
        return f"counter, {self.hardware_from_entry(report[self.report_key])} channels"

    def cycle_lines(self, report: dict) -> list[str]:
        return []

    def board_class(self) -> type:
        return CounterBoard


FPGA = CounterFPGA()
#: a facet that claims Xylo's core kind id (for the refusal of a collision)
CLASHING = CounterFPGA(core_kind=1)
#: a facet whose core kind id does not fit the IDENT word
OVERSIZED = CounterFPGA(core_kind=256)
