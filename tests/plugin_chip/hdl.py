"""The toy counter chip's HDL facet, as a plug-in would write it: test vectors and one worked example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import CounterConfig, CounterSim


def one_channel():
    """Channel 0 of a 2-channel counter with threshold 2 gets 1, 1, 3 events: it spikes at steps 1 and 2."""
    return CounterConfig(n_inputs=2, threshold=2), np.array([[1, 0], [1, 0], [3, 0]]), "spikes at steps 1 and 2"


class CounterHardware:
    examples = {"one-channel": one_channel}

    def export_vectors(self, config, inputs, out):
        """``inputs.mem`` (one hex count per line, step-major), ``spikes.mem`` (expected, same order) and
        ``manifest.json`` in folder ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _, spikes = CounterSim(config).run(inputs)
        (out / "inputs.mem").write_text("".join(f"{int(v):02x}\n" for v in np.ravel(inputs)))
        (out / "spikes.mem").write_text("".join(f"{int(v):x}\n" for v in spikes.ravel()))
        (out / "manifest.json").write_text(json.dumps({"chip": "counter", "steps": len(spikes),
                                                       "channels": config.n_inputs}))
        return out

    def example_options(self, config) -> dict:
        return {}

    def describe_run(self, config, inputs) -> list[str]:
        _, spikes = CounterSim(config).run(inputs)
        return [f"channel {c} spikes at steps {np.flatnonzero(spikes[:, c]).tolist()}" for c in range(config.n_inputs)]


HDL = CounterHardware()
