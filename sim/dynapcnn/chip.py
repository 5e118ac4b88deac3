"""The DYNAP-CNN chip's descriptor (:class:`spikegate.sim.chip.Chip`)."""

from __future__ import annotations

from ..chip import Chip

#: DYNAP-CNN models of dataset evaluations (:class:`~spikegate.sim.eval.chips.DynapcnnEvaluator`)
DYNAPCNN_MODES = ("event", "timestep")
#: samples the time-stepped model runs together by default
DEFAULT_BATCH_SIZE = 64


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
    cli_options = {
        "trace": {"membranes": {"type": int, "nargs": "*", "default": [],
                                "help": "DYNAP-CNN cores whose membranes are recorded after every input event"}},
        "eval": {
            "mode": {"choices": DYNAPCNN_MODES, "default": "event",
                     "help": "DYNAP-CNN model: event-driven chip model (default) or time-stepped"},
            "dt-us": {"type": int, "default": 1000, "help": "time step of --mode timestep in µs (default 1000)"},
            "device": {"default": "cpu", "help": "torch device of --mode timestep: cpu (default) or cuda"},
            "batch-size": {"type": int, "default": DEFAULT_BATCH_SIZE,
                           "help": f"samples run together by --mode timestep (default {DEFAULT_BATCH_SIZE}; at most "
                                   f"--shard-size take effect)"},
            "output-core": {"type": int, "help": "DYNAP-CNN readout core (default: the monitored core)"},
        },
        "vectors": {"membranes": {"type": int, "nargs": "*", "default": [],
                                  "help": "DYNAP-CNN: cores whose final membranes are expected"}},
    }

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
                  device: str = "cpu", batch_size: int = DEFAULT_BATCH_SIZE):
        from ..eval.chips import DynapcnnEvaluator

        return DynapcnnEvaluator(config, mode=mode, output_core=output_core, dt_us=dt_us, costs=costs, device=device,
                                 batch_size=batch_size)


DYNAPCNN = DynapcnnChip()
