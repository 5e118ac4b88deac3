"""XyloCore on the protocol engine's generic core ports."""

from amaranth.hdl import Module
from amaranth.lib import fifo, wiring

from spikegate.hdl.xylo import XyloCore, XyloCoreParams

from .engine import core_signature


def input_word(channel: int, count: int) -> int:
    """The EVENT word of one input channel's count for the next step: ``channel << 8 | count``."""
    return channel << 8 | count


class XyloAdapter(wiring.Component):
    """A :class:`XyloCore` with the ports of :func:`.engine.core_signature`, flipped.

    - ``config``: ``addr`` bits 0-20 and ``data`` bits 0-15 go to the core's configuration port.
    - ``events``: :func:`input_word` words go to the core's ``counts`` stream (bits 0-7 count,
      bits 8 up channel).
    - ``step`` starts a time step; ``busy`` is the core's.
    - ``outputs``: the index of each readout neuron that spikes, in ascending order, through a FIFO
      holding a whole step's worth (``n_outputs``), so the core never waits for the UART and its
      busy cycles are its own.
    - ``read_addr``/``read_data``: the core's read-back port (address map of
      :mod:`spikegate.hdl.xylo.memory_map`), data zero-extended.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.
    """

    def __init__(self, params: XyloCoreParams):
        self.params = params
        super().__init__(core_signature().flip())

    def elaborate(self, platform):
        m = Module()
        p = self.params
        m.submodules.core = core = XyloCore(p)
        m.submodules.spikes = spikes = fifo.SyncFIFOBuffered(width=p.output_bits, depth=max(2, p.n_outputs))
        m.d.comb += [
            core.config.payload.addr.eq(self.config.payload.addr),
            core.config.payload.data.eq(self.config.payload.data),
            core.config.valid.eq(self.config.valid), self.config.ready.eq(core.config.ready),
            core.counts.payload.count.eq(self.events.payload[:8]),
            core.counts.payload.channel.eq(self.events.payload[8:]),
            core.counts.valid.eq(self.events.valid), self.events.ready.eq(core.counts.ready),
            core.step.eq(self.step), self.busy.eq(core.busy),
            spikes.w_data.eq(core.spikes.payload.neuron), spikes.w_en.eq(core.spikes.valid),
            core.spikes.ready.eq(spikes.w_rdy),
            self.outputs.payload.eq(spikes.r_data), self.outputs.valid.eq(spikes.r_rdy),
            spikes.r_en.eq(self.outputs.ready),
            core.readback_addr.payload.addr.eq(self.read_addr.payload),
            core.readback_addr.valid.eq(self.read_addr.valid), self.read_addr.ready.eq(core.readback_addr.ready),
            self.read_data.payload.eq(core.readback_data.payload.data),
            self.read_data.valid.eq(core.readback_data.valid), core.readback_data.ready.eq(self.read_data.ready),
        ]
        return m
