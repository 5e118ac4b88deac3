"""XyloCore on the protocol engine's generic core ports."""

from amaranth.hdl import Module
from amaranth.lib import data, fifo, wiring

from spikegate.hdl.xylo import XyloCore, XyloCoreParams

from .engine import WORD_BITS, core_signature

#: An EVENT word: this step's input events on one channel (above 15 acts as 15).
XyloInput = data.StructLayout({"count": 8, "channel": WORD_BITS - 8})

#: An output word: the index of a readout neuron that spiked.
XyloOutput = data.StructLayout({"neuron": WORD_BITS})


def input_word(channel: int, count: int) -> int:
    """The EVENT word (:data:`XyloInput`) of one input channel's count for the next step."""
    return XyloInput.const({"channel": channel, "count": count}).as_bits()


class XyloAdapter(wiring.Component):
    """A :class:`XyloCore` with the ports of :func:`.engine.core_signature`, flipped.

    - ``config``: ``addr`` bits 0-20 and ``data`` bits 0-15 go to the core's configuration port.
    - ``events``: :data:`XyloInput` words (:func:`input_word`) go to the core's ``counts`` stream.
    - ``step`` starts a time step; ``busy`` is the core's.
    - ``outputs``: :data:`XyloOutput` words, the index of each readout neuron that spikes, in
      ascending order, through a FIFO holding a whole step's worth (``n_outputs``), so the core never
      waits for the UART and its busy cycles are its own.
    - ``read_addr``/``read_data``: the core's read-back port (address map of
      :mod:`spikegate.hdl.xylo.memory_map`), data zero-extended.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.
    """

    def __init__(self, params: XyloCoreParams):
        self.params = params
        super().__init__(core_signature(events=XyloInput, outputs=XyloOutput).flip())

    def elaborate(self, platform):
        m = Module()
        p = self.params
        m.submodules.core = core = XyloCore(p)
        m.submodules.spikes = spikes = fifo.SyncFIFOBuffered(width=p.output_bits, depth=max(2, p.n_outputs))
        wiring.connect(m, core.spikes, spikes.w_stream)
        m.d.comb += [
            core.config.payload.addr.eq(self.config.payload.addr),
            core.config.payload.data.eq(self.config.payload.data),
            core.config.valid.eq(self.config.valid), self.config.ready.eq(core.config.ready),
            core.counts.payload.count.eq(self.events.payload.count),
            core.counts.payload.channel.eq(self.events.payload.channel),
            core.counts.valid.eq(self.events.valid), self.events.ready.eq(core.counts.ready),
            core.step.eq(self.step), self.busy.eq(core.busy),
            self.outputs.payload.neuron.eq(spikes.r_stream.payload), self.outputs.valid.eq(spikes.r_stream.valid),
            spikes.r_stream.ready.eq(self.outputs.ready),
            core.readback_addr.payload.addr.eq(self.read_addr.payload),
            core.readback_addr.valid.eq(self.read_addr.valid), self.read_addr.ready.eq(core.readback_addr.ready),
            self.read_data.payload.eq(core.readback_data.payload.data),
            self.read_data.valid.eq(core.readback_data.valid), core.readback_data.ready.eq(self.read_data.ready),
        ]
        return m
