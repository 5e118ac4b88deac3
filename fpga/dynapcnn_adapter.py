"""DynapcnnChip on the protocol engine's generic core ports."""

from amaranth.hdl import Module
from amaranth.lib import data, wiring

from spikegate.hdl.dynapcnn import DynapcnnChip
from spikegate.hdl.dynapcnn.layouts import ChipInput, MonitorOut

from .engine import WORD_BITS, core_signature

#: An EVENT word: one input item of the chip (an event or a leak tick) in its low bits.
DynapcnnInput = data.StructLayout({"item": ChipInput, "reserved": WORD_BITS - ChipInput.size})

#: An output word: one monitor record of the chip in its low bits.
DynapcnnOutput = data.StructLayout({"record": MonitorOut, "reserved": WORD_BITS - MonitorOut.size})


class DynapcnnAdapter(wiring.Component):
    """A :class:`DynapcnnChip` with the ports of :func:`.engine.core_signature`, flipped.

    - ``config``/``read_addr``: configuration writes and reads of the chip's address map
      (:mod:`spikegate.hdl.dynapcnn.memory_map`), both on the chip's one configuration stream,
      writes first; ``read_data`` carries the chip's read-back words.
    - ``events``: :data:`DynapcnnInput` words (events and leak ticks, with ``t``).
    - ``outputs``: :data:`DynapcnnOutput` words, the chip's monitor records.
    - ``busy``: the chip's (an item queued or in process, or a record queued). ``step`` is not
      used: the chip runs on events; STEP and SYNC both wait for it to be idle.

    Parameters: ``limits``, the nine :class:`~spikegate.hdl.dynapcnn.CoreLimits` (or None) of the
    chip; ``depths``, FIFO depths passed to :class:`DynapcnnChip`.
    """

    def __init__(self, limits, **depths):
        self.limits, self.depths = tuple(limits), depths
        super().__init__(core_signature(events=DynapcnnInput, outputs=DynapcnnOutput).flip())

    def elaborate(self, platform):
        m = Module()
        m.submodules.chip = chip = DynapcnnChip(self.limits, **self.depths)
        writing = self.config.valid
        m.d.comb += [
            chip.config.payload.write.eq(writing),
            chip.config.valid.eq(writing | self.read_addr.valid),
            self.config.ready.eq(chip.config.ready),
            self.read_addr.ready.eq(chip.config.ready & ~writing),
            self.read_data.payload.eq(chip.readback.payload), self.read_data.valid.eq(chip.readback.valid),
            chip.readback.ready.eq(self.read_data.ready),
            chip.events.payload.eq(self.events.payload.item),
            chip.events.valid.eq(self.events.valid), self.events.ready.eq(chip.events.ready),
            self.outputs.payload.record.eq(chip.monitor.payload), self.outputs.valid.eq(chip.monitor.valid),
            chip.monitor.ready.eq(self.outputs.ready),
            self.busy.eq(chip.busy),
        ]
        with m.If(writing):
            m.d.comb += [chip.config.payload.addr.eq(self.config.payload.addr),
                         chip.config.payload.data.eq(self.config.payload.data)]
        with m.Else():
            m.d.comb += chip.config.payload.addr.eq(self.read_addr.payload)
        return m
