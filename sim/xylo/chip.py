"""The Xylo family's descriptor (:class:`spikegate.sim.chip.Chip`)."""

from __future__ import annotations

from ..chip import Chip

#: Xylo prediction rules of dataset evaluations (:class:`~spikegate.sim.eval.chips.XyloEvaluator`)
XYLO_RULES = ("spikes", "vmem")


class XyloChip(Chip):
    name = "xylo"
    title = "Xylo LIF array"
    input_kind = "raster: (T, Nin) input event counts per time step"
    facets = {"converter": "spikegate.converter.xylo.facet:CONVERTER",
              "hdl": "spikegate.hdl.xylo.facet:HDL",
              "fpga": "spikegate.fpga.xylo_facet:FPGA"}
    pj_per_sop = 5.0
    pj_per_event = 10.0
    bundled_network = "spikegate.sim.eval.synthetic:xylo_network"  # classifies synthetic:xylo
    cli_options = {
        "eval": {"rule": {"choices": XYLO_RULES, "default": "spikes",
                          "help": "Xylo prediction: most readout spikes (default) or highest Vmem_out"}},
        "vectors": {"no-state": {"dest": "with_state", "action": "store_false",
                                 "help": "Xylo: leave out the expected state per step"}},
    }

    def config_class(self) -> type:
        from .config import XyloConfig

        return XyloConfig

    def model(self, config):
        from .model import XyloSim

        return XyloSim(config)

    def trace(self, config, inputs):
        """Every hidden and readout state of one unbatched run on raster ``inputs`` (T, Nin)."""
        from ..trace import xylo_trace

        out, _, rec = self.model(config).evolve(inputs, record=True)
        return xylo_trace(config, inputs, out, rec)

    def evaluator(self, config, costs, rule: str = "spikes"):
        from ..eval.chips import XyloEvaluator

        return XyloEvaluator(config, rule=rule, costs=costs)


XYLO = XyloChip()
