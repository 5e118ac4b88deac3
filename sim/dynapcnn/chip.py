"""The DYNAP-CNN chip's descriptor (:class:`spikegate.sim.chip.Chip`)."""

from __future__ import annotations

from ..chip import Chip


class DynapcnnChip(Chip):
    name = "dynapcnn"
    title = "DYNAP-CNN (Speck) cores"
    input_kind = "events: a record array with fields x, y, t, p (specksim's layout)"
    facets = {"converter": "spikegate.converter.dynapcnn.facet:CONVERTER",
              "hdl": "spikegate.hdl.dynapcnn.facet:HDL",
              "fpga": "spikegate.fpga.dynapcnn_facet:FPGA"}
    pj_per_sop = 10.0
    pj_per_event = 20.0
    bundled_network = "spikegate.sim.eval.synthetic:dynapcnn_network"  # classifies synthetic:dvs

    def config_class(self) -> type:
        from .config import ChipConfig

        return ChipConfig

    def model(self, config):
        from .model import DynapcnnSim

        return DynapcnnSim(config)

    def trace(self, config, inputs, membranes=()):
        """The event-driven model one input event at a time; ``membranes``: cores whose membranes are
        recorded after every event."""
        from ..trace import dynapcnn_trace

        return dynapcnn_trace(config, inputs, membrane_cores=membranes)

    def evaluator(self, config, costs, mode: str = "event", output_core: int | None = None, dt_us: int = 1000,
                  device: str = "cpu", batch_size: int = 64):
        from ..eval.chips import DynapcnnEvaluator

        return DynapcnnEvaluator(config, mode=mode, output_core=output_core, dt_us=dt_us, costs=costs, device=device,
                                 batch_size=batch_size)


DYNAPCNN = DynapcnnChip()
