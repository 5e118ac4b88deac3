"""The DYNAP-CNN chip's HDL facet (``Chip.facet("hdl")`` of :mod:`spikegate.sim.dynapcnn.chip`)."""

from __future__ import annotations

from .. import examples
from ..vectors import export_dynapcnn


class DynapcnnHardware:
    """Test vectors and hand-computed examples of the DYNAP-CNN core.

    Attributes:
        examples: name -> function returning (config, events, expected answer), see :mod:`spikegate.hdl.examples`.
    """

    examples = {"kernel-1x1": examples.dynapcnn_kernel_1x1, "kernel-3x3-border": examples.dynapcnn_kernel_3x3_border,
                "two-layers": examples.dynapcnn_two_layers}

    def export_vectors(self, config, inputs, out, membranes=()):
        """Test vectors of ``config`` run on events ``inputs`` into folder ``out``
        (:func:`spikegate.hdl.vectors.export_dynapcnn`); ``membranes``: cores whose final membranes are
        expected (the examples' default: the last used core)."""
        return export_dynapcnn(config, inputs, out, membrane_cores=membranes)

    def example_options(self, config) -> dict:
        """The export options of a worked example: the final membranes of its last core."""
        return {"membranes": config.used_cores[-1:]}

    def describe_run(self, config, inputs) -> list[str]:
        """The model's output events on ``inputs``, one line each, for people checking an example by hand."""
        from spikegate.sim.dynapcnn import DynapcnnSim

        return [f"input event {event['t']}: core {event['layer']} feature {event['feature']} x {event['x']} "
                f"y {event['y']}" for event in DynapcnnSim(config)(inputs)]


HDL = DynapcnnHardware()
