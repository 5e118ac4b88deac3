"""A toy third chip, written as a plug-in would be: one package, one descriptor, no edit of spikegate.

The "counter chip" has ``n_inputs`` channels, each an integrate-and-fire neuron without leak: it adds
the channel's input count every step and emits one spike and subtracts ``threshold`` when it reaches it.
Its register configuration is ``{"format": "spikegate-toy.counter.config", "n_inputs": N, "threshold": T}``.
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


class CounterSim:
    """The counter chip's model: ``run(raster)`` -> (membranes, spikes), both (T, n_inputs)."""

    def __init__(self, config: CounterConfig):
        self.config = config

    def run(self, raster):
        raster = np.asarray(raster, np.int64)
        if raster.ndim != 2 or raster.shape[1] != self.config.n_inputs:
            raise ValueError(f"raster: expected shape (T, {self.config.n_inputs}), got {raster.shape}")
        membrane = np.zeros(self.config.n_inputs, np.int64)
        membranes, spikes = np.zeros_like(raster), np.zeros_like(raster)
        for step, counts in enumerate(raster):
            membrane += counts
            spikes[step] = membrane >= self.config.threshold
            membrane -= spikes[step] * self.config.threshold
            membranes[step] = membrane
        return membranes, spikes


class CounterEvaluator(Evaluator):
    chip = "counter"
    sops_units = ("input",)
    events_units = ("output",)

    def __init__(self, config, costs):
        self.config, self.costs, self.n_outputs = config, costs, config.n_inputs

    def options(self) -> dict:
        return {}

    def simulator(self):
        return CounterSim(self.config)

    def evaluate(self, simulator, raster) -> dict:
        _, spikes = simulator.run(raster)
        return self.result(spikes.sum(axis=0), {"input": int(np.sum(raster))}, {"output": int(spikes.sum())},
                           int(np.sum(raster)), len(raster))


class CounterChip(Chip):
    name = "counter"
    title = "toy counter chip"
    input_kind = "raster: (T, n_inputs) counts"
    pj_per_sop, pj_per_event = 1.0, 2.0

    def config_class(self):
        return CounterConfig

    def model(self, config):
        return CounterSim(config)

    def trace(self, config, inputs):
        membranes, spikes = CounterSim(config).run(inputs)
        return Trace(chip=self.name, model="numpy", config_digest=config.digest(),
                     fields={"membrane": membranes, "spikes": spikes},
                     axes={"membrane": ("step", "channel"), "spikes": ("step", "channel")})

    def evaluator(self, config, costs):
        return CounterEvaluator(config, costs)


COUNTER = CounterChip()
