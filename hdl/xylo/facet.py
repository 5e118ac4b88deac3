"""The Xylo family's HDL facet (``Chip.facet("hdl")`` of :mod:`spikegate.sim.xylo.chip`)."""

from __future__ import annotations

import numpy as np

from .. import examples
from ..vectors import export_xylo


class XyloHardware:
    """Test vectors and hand-computed examples of the Xylo core.

    Attributes:
        examples: name -> function returning (config, raster, expected answer), see :mod:`spikegate.hdl.examples`.
    """

    examples = {"one-neuron": examples.xylo_one_neuron, "two-layers": examples.xylo_two_layers}

    def export_vectors(self, config, inputs, out, with_state: bool = True):
        """Test vectors of ``config`` run on raster ``inputs`` (T, Nin) into folder ``out``
        (:func:`spikegate.hdl.vectors.export_xylo`); ``with_state``: also the expected state per step."""
        return export_xylo(config, inputs, out, with_state=with_state)

    def example_options(self, config) -> dict:
        """The export options of a worked example (the defaults)."""
        return {}

    def describe_run(self, config, inputs) -> list[str]:
        """The model's spikes on ``inputs``, one line per neuron, for people checking an example by hand."""
        from spikegate.sim.xylo import XyloSim

        out, _, rec = XyloSim(config).evolve(inputs, record=True)
        return ([f"hidden {n} spikes at steps {np.flatnonzero(rec['Spikes'][:, n]).tolist()}"
                 for n in range(config.n_hidden)] +
                [f"readout {o} spikes at steps {np.flatnonzero(out[:, o]).tolist()}" for o in range(config.n_outputs)])


HDL = XyloHardware()
