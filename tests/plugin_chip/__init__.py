"""A toy third chip, written as a plug-in would be: one package, one descriptor, no edit of spikegate.

The "counter chip" has ``n_inputs`` channels, each an integrate-and-fire neuron without leak: it adds
the channel's input count every step and emits one spike and subtracts ``threshold`` when it reaches it
(or, with ``reset="zero"``, goes back to 0). Its register configuration is
``{"format": "spikegate-toy.counter.config", "n_inputs": N, "threshold": T}``. Its CLI option ``--reset``
(``trace record`` and ``eval``), its bundled network (``bundled:counter``) and its facets (``hdl``:
:mod:`.hdl`, ``fpga``: :mod:`.fpga`) come with the descriptor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from spikegate.sim.chip import Chip
from spikegate.sim.eval.chips import Evaluator
from spikegate.sim.jsonconfig import JsonConfig
from spikegate.sim.trace import Trace


@dataclass(frozen=True, eq=False)
class CounterConfig(JsonConfig):
    FORMAT = "spikegate-toy.counter.config"

    n_inputs: int
    threshold: int

    def __post_init__(self):
        if not 1 <= self.threshold <= 255:
            raise ValueError(f"threshold: value {self.threshold} is outside 1..255")

    def to_json(self) -> str:
        return json.dumps({"format": self.FORMAT, "n_inputs": self.n_inputs, "threshold": self.threshold})

    @classmethod
    def from_json(cls, text: str) -> "CounterConfig":
        doc = json.loads(text)
        if doc.pop("format", None) != cls.FORMAT:
            raise ValueError(f"not a counter-chip config (format must be {cls.FORMAT!r})")
        return cls(**doc)


#: what a spiking channel does: subtract the threshold, or go back to 0
RESETS = ("subtract", "zero")


class CounterSim:
    """The counter chip's model: ``run(raster)`` -> (membranes, spikes), both (T, n_inputs)."""

    def __init__(self, config: CounterConfig, reset: str = "subtract"):
        if reset not in RESETS:
            raise ValueError(f"reset: value {reset!r} is not one of {RESETS}")
        self.config, self.reset = config, reset

    def run(self, raster):
        raster = np.asarray(raster, np.int64)
        if raster.ndim != 2 or raster.shape[1] != self.config.n_inputs:
            raise ValueError(f"raster: expected shape (T, {self.config.n_inputs}), got {raster.shape}")
        membrane = np.zeros(self.config.n_inputs, np.int64)
        membranes, spikes = np.zeros_like(raster), np.zeros_like(raster)
        for step, counts in enumerate(raster):
            membrane += counts
            spikes[step] = membrane >= self.config.threshold
            membrane -= spikes[step] * (self.config.threshold if self.reset == "subtract" else membrane)
            membranes[step] = membrane
        return membranes, spikes


class CounterEvaluator(Evaluator):
    chip = "counter"
    sops_units = ("input",)
    events_units = ("output",)

    def __init__(self, config, costs, reset: str = "subtract"):
        self.config, self.costs, self.n_outputs, self.reset = config, costs, config.n_inputs, reset

    def options(self) -> dict:
        return {"reset": self.reset}

    def simulator(self):
        return CounterSim(self.config, self.reset)

    def evaluate(self, simulator, raster) -> dict:
        _, spikes = simulator.run(raster)
        return self.result(spikes.sum(axis=0), {"input": int(np.sum(raster))}, {"output": int(spikes.sum())},
                           int(np.sum(raster)), len(raster))


def counter_network() -> CounterConfig:
    """The bundled network: 16 channels (``synthetic:xylo``'s rasters), threshold 3."""
    return CounterConfig(n_inputs=16, threshold=3)


_RESET_OPTION = {"choices": RESETS, "default": "subtract", "help": "counter chip: reset by subtraction or to zero"}


class CounterChip(Chip):
    name = "counter"
    title = "toy counter chip"
    input_kind = "raster: (T, n_inputs) counts"
    pj_per_sop, pj_per_event = 1.0, 2.0
    bundled_network = "plugin_chip:counter_network"
    cli_options = {"trace": {"reset": _RESET_OPTION}, "eval": {"reset": _RESET_OPTION}}

    def config_class(self):
        return CounterConfig

    def model(self, config):
        return CounterSim(config)

    def trace(self, config, inputs, reset: str = "subtract"):
        membranes, spikes = CounterSim(config, reset).run(inputs)
        return Trace(chip=self.name, model="numpy", config_digest=config.digest(),
                     fields={"membrane": membranes, "spikes": spikes},
                     axes={"membrane": ("step", "channel"), "spikes": ("step", "channel")})

    def evaluator(self, config, costs, reset: str = "subtract"):
        return CounterEvaluator(config, costs, reset)


COUNTER = CounterChip()
