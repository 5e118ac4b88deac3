"""One sample through a chip-exact model: prediction, output counts, operation counts and costs.

An evaluator is a small picklable description (register config + options) sent to every worker;
``simulator()`` builds the model there once per shard and ``evaluate(simulator, data)`` runs one
sample from a reset state.

Prediction rules (ties go to the lowest class index, so a sample without any output spike is
predicted as class 0 and shows ``n_output = 0`` in the results):

- **DYNAP-CNN**: the class is the output feature of the readout core with the most output events.
  The readout core is ``output_core`` when given, else the only core with ``monitor_enable`` (of
  several, the one of the highest model layer in ``layer_to_core``).
- **Xylo**, ``rule="spikes"`` (default): the readout neuron with the most output spikes over the
  sample; ``rule="vmem"``: the readout neuron whose ``Vmem_out`` reached the highest value at any
  step (rockpool's usual readout for training on membrane potentials).

Models: DYNAP-CNN ``mode="event"`` (default) runs the event-driven chip model on the event array;
``mode="timestep"`` bins events into a (T, polarities, height, width) count raster of ``dt_us``
microsecond steps and runs the time-stepped (sinabs-equivalent) model, ``batch_size`` samples at a
time on ``device`` (see :meth:`DynapcnnEvaluator.evaluate_batch`). Xylo takes (T, Nin) rasters, or
event arrays binned into them (channel p, steps of the config's ``dt``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..chip import chip_of, chips, cli_option_defaults, select_options
from ..chip import load_config as chip_load_config
from ..dynapcnn.chip import DEFAULT_BATCH_SIZE, DYNAPCNN_MODES
from ..dynapcnn.config import DVS_POLARITIES, DVS_SIZE
from ..xylo.chip import XYLO_RULES
from .cost import CostModel, default_costs, dynapcnn_cycles, xylo_cycles
from .datasets import MalformedSample, as_events
from .fit import first_sample, sensor_of

DEVICES = ("cpu", "cuda")
MAX_RASTER_VALUES = 1 << 28
"""Most counts a time-stepped run holds at once (one sample's raster, or a batch's padded rasters): 2^28, a
2 GiB raster of int64 counts. A sample needing more (a late timestamp at a small ``dt_us``) is malformed;
a batch needing more runs in smaller batches."""
SAMPLE_ERRORS = (MalformedSample, ValueError, TypeError, OSError)
"""What loading or evaluating one sample may raise: that sample gets an error row and the run goes on."""


class Evaluator:
    """What the runner needs of a chip (see :class:`XyloEvaluator` and :class:`DynapcnnEvaluator`).

    A subclass sets the attributes below and implements ``options() -> dict`` (what the run's manifest
    records), ``simulator()`` (the model, built once per shard on the worker) and
    ``evaluate(simulator, sample) -> dict`` (one sample from a reset state: :meth:`result`'s columns).
    The runner calls :meth:`evaluate_batch` with up to ``batch_size`` samples at a time.
    """

    batch_size = 1  #: samples the runner passes to :meth:`evaluate_batch` at once

    chip: str  #: the chip's name in the registry (:mod:`spikegate.sim.chip`)
    config: object  #: the register configuration
    n_outputs: int
    sops_units: tuple[str, ...]
    events_units: tuple[str, ...]
    costs: CostModel

    def result(self, counts, sops: dict[str, int], events: dict[str, int], n_input: int, latency: int) -> dict:
        """One sample's columns (see :mod:`.report` for their meaning) from its output ``counts`` per
        class, SOPs and emitted events per unit, input events and latency in cycles; the prediction is
        the class with the most counts, the energy priced by ``self.costs``."""
        counts = np.asarray(counts, np.int64)
        row = {"prediction": int(np.argmax(counts)), "n_input": int(n_input), "n_output": int(counts.sum())}
        row.update({f"out_{k}": int(c) for k, c in enumerate(counts)})
        row.update({f"sops_{unit}": int(n) for unit, n in sops.items()})
        row.update({f"events_{unit}": int(n) for unit, n in events.items()})
        total_sops, total_events = int(sum(sops.values())), int(sum(events.values()))
        row.update(sops=total_sops, events=total_events, latency_cycles=int(latency),
                   energy_nj=self.costs.energy_nj(total_sops, total_events))
        return row

    #: what the outputs are, for messages ("readout neurons")
    outputs_name = "outputs"

    def check_input(self, dataset) -> str | None:
        """Why ``dataset`` (its ``kind``, its sensor or first sample) cannot be this network's input, or
        None when it can (see :func:`.fit.check_fit`); the default accepts any."""
        return None

    def evaluate_batch(self, simulator, loaders) -> list:
        """Per sample, in order, its :meth:`evaluate` result or the error (one of :data:`SAMPLE_ERRORS`) that
        loading it (``loaders``: a function without arguments per sample) or evaluating it raised. This
        default runs one sample after another; a subclass may run them together with the same results."""
        results = []
        for load in loaders:
            try:
                results.append(self.evaluate(simulator, load()))
            except SAMPLE_ERRORS as error:
                results.append(error)
        return results

    def empty_result(self) -> dict:
        """The columns of a sample that could not be evaluated (prediction -1, counts 0)."""
        row = self.result(np.zeros(self.n_outputs), dict.fromkeys(self.sops_units, 0),
                          dict.fromkeys(self.events_units, 0), 0, 0)
        row["prediction"] = -1
        return row

    def describe(self) -> dict:
        return {"chip": self.chip, "config_digest": self.config.digest(), **self.options(),
                "pj_per_sop": self.costs.pj_per_sop, "pj_per_event": self.costs.pj_per_event}


class XyloEvaluator(Evaluator):
    """A Xylo network (:class:`~spikegate.sim.xylo.XyloConfig`) on (T, Nin) count rasters."""

    chip = "xylo"
    sops_units = ("input", "recurrent", "readout")
    events_units = ("hidden", "readout")

    def __init__(self, config, rule: str = "spikes", costs: CostModel | None = None):
        if rule not in XYLO_RULES:
            raise ValueError(f"rule: value {rule!r} is not one of {XYLO_RULES}")
        self.config, self.rule = config, rule
        self.costs = costs or default_costs(self.chip)
        self.n_outputs = config.n_outputs

    outputs_name = "readout neurons"

    def options(self) -> dict:
        return {"rule": self.rule}

    def check_input(self, dataset) -> str | None:
        """Rasters of Nin channels, or events whose channel p is below Nin and whose x and y are 0."""
        config = self.config
        if dataset.kind == "raster":
            raster = first_sample(dataset)
            channels = None if raster is None else np.asarray(raster).shape[-1]
            if channels is not None and channels != config.n_inputs:
                return f"the rasters have {channels} channels, the network Nin = {config.n_inputs} inputs"
            return None
        sensor = sensor_of(dataset)
        if sensor is not None and (sensor[0] > 1 or sensor[1] > 1):
            return (f"the events span a {sensor[0]}x{sensor[1]}x{sensor[2]} sensor (x, y, p), but a Xylo network "
                    f"reads only the channel p of an event ({config.n_inputs} inputs) and would ignore x and y")
        if sensor is not None and sensor[2] > config.n_inputs:
            return f"the events use channels p up to {sensor[2] - 1}, the network has Nin = {config.n_inputs} inputs"
        return None

    def simulator(self):
        from ..xylo import XyloSim

        return XyloSim(self.config)

    def evaluate(self, simulator, raster) -> dict:
        raster = self.raster(raster)
        simulator.reset_state()
        out, _, rec = simulator.evolve(raster, record=True)
        counts = out.sum(axis=0)
        sops = {unit: int(n.sum()) for unit, n in simulator.synaptic_events(raster, rec["Spikes"]).items()}
        events = {"hidden": int(rec["Spikes"].sum()), "readout": int(counts.sum())}
        latency = xylo_cycles(sum(sops.values()), raster.shape[0], self.config.n_hidden, self.n_outputs)
        row = self.result(counts, sops, events, raster.sum(), latency)
        if self.rule == "vmem":
            row["prediction"] = int(np.argmax(rec["Vmem_out"].max(axis=0)))
        return row

    def raster(self, sample) -> np.ndarray:
        """A (T, Nin) raster as it is, or an event array binned into one: event p is the input channel,
        step ``t // dt`` with the config's ``dt``; T covers the last event."""
        sample = np.asarray(sample)
        if sample.dtype.names is None:
            return sample
        events = as_events(sample)
        if events.size and events["p"].max() >= self.config.n_inputs:
            raise MalformedSample(f"events: channel p = {int(events['p'].max())} is outside the inputs "
                                  f"0..{self.config.n_inputs - 1}")
        dt_us = max(1, round(self.config.dt * 1e6))
        steps = int(events["t"].max()) // dt_us + 1 if events.size else 1
        raster = np.zeros((steps, self.config.n_inputs), np.int64)
        np.add.at(raster, (events["t"] // dt_us, events["p"]), 1)
        return raster


class DynapcnnEvaluator(Evaluator):
    """A DYNAP-CNN network (:class:`~spikegate.sim.dynapcnn.config.ChipConfig`) on event arrays.

    ``device`` ("cpu" or "cuda") and ``batch_size`` (samples run together) apply to ``mode="timestep"``;
    the event-driven model runs on the CPU, one sample at a time."""

    chip = "dynapcnn"

    def __init__(self, config, mode: str = "event", output_core: int | None = None, dt_us: int = 1000,
                 costs: CostModel | None = None, device: str = "cpu", batch_size: int = DEFAULT_BATCH_SIZE):
        if mode not in DYNAPCNN_MODES:
            raise ValueError(f"mode: value {mode!r} is not one of {DYNAPCNN_MODES}")
        if dt_us < 1:
            raise ValueError(f"dt_us: value {dt_us} is below the minimum 1")
        if batch_size < 1:
            raise ValueError(f"batch_size: value {batch_size} is below the minimum 1")
        self.config, self.mode, self.dt_us = config, mode, int(dt_us)
        self.device = _checked_device(device, mode)
        self.batch_size = int(batch_size) if mode == "timestep" else 1
        self.output_core = self._readout_core(config) if output_core is None else int(output_core)
        core = config.cores[self.output_core] if 0 <= self.output_core < len(config.cores) else None
        if core is None:
            raise ValueError(f"output_core: core {self.output_core} is not used by the config "
                             f"(used: {list(config.used_cores)})")
        self.n_outputs = core.features
        self.costs = costs or default_costs(self.chip)
        self.sops_units = self.events_units = tuple(f"core{c}" for c in config.used_cores)
        cores = [config.cores[c] for c in config.used_cores]
        #: whether samples of different lengths may share a batch (:meth:`evaluate_batch`)
        self.pads = all(not (core.leak_enable and np.any(core.biases)) and core.threshold_low < core.threshold_high
                        for core in cores)

    @staticmethod
    def _readout_core(config) -> int:
        monitored = [c for c in config.used_cores if config.cores[c].monitor_enable]
        if not monitored:
            raise ValueError("output_core: no core has monitor_enable; name the readout core (--output-core)")
        by_layer = {core: layer for layer, core in config.layer_to_core.items()}
        return max(monitored, key=lambda c: (by_layer.get(c, -1), c))

    @property
    def outputs_name(self) -> str:
        return f"output features on readout core {self.output_core}"

    def check_input(self, dataset) -> str | None:
        """Events whose sensor fits the DVS layer: its window (when it passes events on as they are) and
        its polarities, or the channels of the cores it feeds."""
        if dataset.kind != "events":
            return f"a DYNAP-CNN network takes events (x, y, t, p), the dataset holds {dataset.kind}s"
        sensor = sensor_of(dataset)
        if sensor is None:
            return None
        dvs = self.config.dvs_layer
        if dvs.is_direct:
            width, height = dvs.output_map
            channels = max(self.config.cores[d.layer].channels for d in dvs.destinations if d.enable)
        else:  # the DVS layer crops a larger sensor by design; only its polarities are bounded
            width = height = None
            channels = DVS_POLARITIES
        if (width is not None and (sensor[0] > width or sensor[1] > height)) or sensor[2] > channels:
            network = f"{width}x{height}x{channels}" if width is not None else f"{channels} polarities"
            return (f"the sensor is {sensor[0]}x{sensor[1]}x{sensor[2]} (width x height x polarities), the "
                    f"network's input {network}")
        return None

    def options(self) -> dict:
        timestep = {"dt_us": self.dt_us, "device": self.device, "batch_size": self.batch_size}
        return {"mode": self.mode, "output_core": self.output_core, **(timestep if self.mode == "timestep" else {})}

    def simulator(self):
        if self.mode == "event":
            from ..dynapcnn import DynapcnnSim

            return DynapcnnSim(self.config)
        from ..dynapcnn.timestepped import DynapcnnTimeStepped

        return DynapcnnTimeStepped(self.config, device=self.device)

    def evaluate(self, simulator, events) -> dict:
        events = as_events(events)
        if self.mode == "timestep":
            return self._evaluate_timestepped(simulator, [(self.raster(events), events.size)])[0]
        simulator.reset_states()
        out = simulator(events)
        counts = np.bincount(out["feature"][out["layer"] == self.output_core].astype(np.int64),
                             minlength=self.n_outputs)
        counters, used = simulator.counters, self.config.used_cores
        sops = {f"core{c}": int(counters["synops"][c]) for c in used}
        emitted = {f"core{c}": int(counters["events_out"][c]) for c in used}
        return self.result(counts, sops, emitted, events.size, dynapcnn_cycles(sops, emitted))

    def evaluate_batch(self, simulator, loaders) -> list:
        """``mode="timestep"``: the samples' rasters run through the model together, with the results of
        :meth:`evaluate` on each sample alone. Rule: when :attr:`pads` (no core adds a nonzero bias and
        every core's ``threshold_low < threshold_high``), shorter rasters are padded with empty steps to
        the longest (and with empty channels): an empty step then changes no membrane and emits no spike,
        so no column changes; otherwise only samples of the same number of steps T run together. A
        batch the model refuses (range guard, too many channels) runs again one sample at a time."""
        if self.mode != "timestep":
            return super().evaluate_batch(simulator, loaders)
        results, samples = [None] * len(loaders), {}
        for k, load in enumerate(loaders):
            try:
                events = as_events(load())
                samples[k] = (self.raster(events), events.size)
            except SAMPLE_ERRORS as error:
                results[k] = error
        groups: dict[int, list[int]] = {}
        for k, (raster, _) in samples.items():
            groups.setdefault(0 if self.pads else len(raster), []).append(k)
        for group in groups.values():
            for batch in _within_raster_limit(group, [samples[k][0] for k in group]):
                for k, result in zip(batch, self._run_together(simulator, [samples[k] for k in batch])):
                    results[k] = result
        return results

    def _run_together(self, simulator, samples: list) -> list:
        """:meth:`_evaluate_timestepped` of ``samples`` in one batch, else one by one (errors as results)."""
        try:
            return self._evaluate_timestepped(simulator, samples)
        except (ValueError, TypeError) as error:
            if len(samples) == 1:
                return [error]
            return [self._run_together(simulator, [sample])[0] for sample in samples]

    def _evaluate_timestepped(self, simulator, samples: list) -> list[dict]:
        """The time-stepped model on a batch of ``(raster, input events)`` samples, rasters padded with
        empty steps and channels to the largest (see :meth:`evaluate_batch` for when that is exact). SOPs
        count, as the event-driven model does, the updates of on-map neurons that each input count causes:
        per core, features x the sum over its neuron map of the input counts within each receptive field (a
        convolution with a ones kernel). Sums are taken in float64 and rounded, so they are exact."""
        import torch
        from torch.nn import functional

        steps, channels = (max(raster.shape[axis] for raster, _ in samples) for axis in (0, 1))
        x = torch.zeros((len(samples), steps, channels, *samples[0][0].shape[2:]), dtype=simulator.dtype,
                        device=simulator.device)
        for k, (raster, _) in enumerate(samples):
            x[k, :raster.shape[0], :raster.shape[1]] = torch.as_tensor(raster)
        spikes = simulator(x).spikes
        counts = spikes[self.output_core].sum(dim=(1, 3, 4), dtype=torch.float64)
        # the input counts of every core over the whole sample, routed as the model routes a step
        inputs = {core: zeros.double() for core, zeros in simulator.zero_inputs(len(samples)).items()}
        simulator.route(simulator.dvs_layer(x.sum(dim=1, dtype=torch.float64)), self.config.dvs_layer.destinations,
                        inputs)
        for core in simulator.order:
            simulator.route(spikes[core].sum(dim=1, dtype=torch.float64), self.config.cores[core].destinations, inputs)
        sops, emitted = {}, {}
        for core in self.config.used_cores:
            config = self.config.cores[core]
            dims, k = config.dimensions, config.dimensions.kernel_size
            ones = torch.ones((1, 1, k, k), dtype=torch.float64, device=simulator.device)
            footprint = functional.conv2d(inputs[core].sum(dim=1, keepdim=True), ones, stride=(dims.stride.y, dims.stride.x),
                                          padding=(dims.padding.y, dims.padding.x))
            sops[f"core{core}"] = torch.round(footprint).sum(dim=(1, 2, 3)) * config.features
            emitted[f"core{core}"] = spikes[core].sum(dim=(1, 2, 3, 4), dtype=torch.float64)
        counts, sops, emitted = (_int64(value) for value in (counts, sops, emitted))
        rows = []
        for k, (_, n_input) in enumerate(samples):
            sample_sops = {unit: int(n[k]) for unit, n in sops.items()}
            sample_emitted = {unit: int(n[k]) for unit, n in emitted.items()}
            rows.append(self.result(counts[k], sample_sops, sample_emitted, n_input,
                                    dynapcnn_cycles(sample_sops, sample_emitted)))
        return rows

    def raster(self, events: np.ndarray) -> np.ndarray:
        """(T, channels, height, width) counts of ``dt_us`` steps over the sensor area the DVS layer
        keeps (events outside it are cropped, as the chip does); T covers the last event. Channels: 2
        when the DVS layer merges polarities, else the highest channel (p) + 1. MalformedSample when an
        event's x or y is outside the DVS input map."""
        for field in ("x", "y"):  # p is a polarity or, without a DVS stage, a channel: the model checks it
            if events.size and events[field].max() >= DVS_SIZE:
                raise MalformedSample(f"events: {field} = {int(events[field].max())} is outside the DVS input "
                                      f"map 0..{DVS_SIZE - 1}")
        dvs = self.config.dvs_layer
        width, height = (min(DVS_SIZE, (cut + 1) * pool) for cut, pool in
                         ((dvs.cut.x, dvs.pooling.x), (dvs.cut.y, dvs.pooling.y)))
        channels = DVS_POLARITIES if dvs.merge else int(events["p"].max()) + 1 if events.size else 1
        steps = int(events["t"].max()) // self.dt_us + 1 if events.size else 1
        if steps * channels * height * width > MAX_RASTER_VALUES:
            raise MalformedSample(f"events: t up to {int(events['t'].max())} us makes {steps} steps of dt_us "
                                  f"{self.dt_us} x {channels}x{height}x{width} counts, more than the limit of "
                                  f"{MAX_RASTER_VALUES} counts per sample (a larger dt_us makes fewer steps)")
        raster = np.zeros((steps, channels, height, width), np.int64)
        kept = (events["x"] < width) & (events["y"] < height)
        np.add.at(raster, (events["t"][kept] // self.dt_us, events["p"][kept], events["y"][kept], events["x"][kept]), 1)
        return raster


def _within_raster_limit(keys: list, rasters: list) -> Iterator[list]:
    """``keys`` in consecutive batches whose rasters, padded to the batch's largest steps and channels,
    hold at most :data:`MAX_RASTER_VALUES` counts (every raster alone is within it)."""
    batch, steps, channels = [], 0, 0
    for key, raster in zip(keys, rasters):
        grown = max(steps, raster.shape[0]), max(channels, raster.shape[1])
        if batch and (len(batch) + 1) * grown[0] * grown[1] * raster[0, 0].size > MAX_RASTER_VALUES:
            yield batch
            batch, grown = [], raster.shape[:2]
        batch.append(key)
        steps, channels = grown
    if batch:
        yield batch


def _checked_device(device: str, mode: str) -> str:
    """``device`` when the model of ``mode`` can run there (one-line ValueError naming --device if not)."""
    if device not in DEVICES:
        raise ValueError(f"device: value {device!r} is not one of {DEVICES}")
    if device != "cpu" and mode != "timestep":
        raise ValueError(f"device: value {device!r} applies to mode 'timestep' only (the event-driven model "
                         f"runs on the CPU; --mode timestep --device {device})")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("device: value 'cuda' was asked for (--device cuda), but torch finds no CUDA device "
                             "here (torch.cuda.is_available() is False); use --device cpu")
    return device


def _int64(value):
    """Integer-valued float64 tensors (or a dict of them) as int64 numpy arrays on the host."""
    if isinstance(value, dict):
        return {key: _int64(tensor) for key, tensor in value.items()}
    return value.round().cpu().numpy().astype(np.int64)


# ----------------------------------------------------------------------------------- configs
def load_config(spec: str | Path):
    """A register configuration from a JSON file (of any chip, told by its ``format`` field), or the
    bundled network of a chip (its descriptor's ``bundled_network``): ``bundled:dynapcnn``, ``bundled:xylo``."""
    text = str(spec)
    if text.startswith("bundled:"):
        bundled = {name: chip for name, chip in chips().items() if chip.bundled_network}
        name = text[len("bundled:"):]
        if name not in bundled:
            raise ValueError(f"config {text!r}: bundled networks are {sorted('bundled:' + n for n in bundled)}")
        return bundled[name].bundled_config()
    return chip_load_config(text)


def make_evaluator(config, *, pj_per_sop: float | None = None, pj_per_event: float | None = None,
                   **options) -> Evaluator:
    """The evaluator of ``config``, a register configuration of any chip, with the chip's evaluator
    ``options`` (its descriptor's ``evaluator`` keywords: Xylo ``rule``; DYNAP-CNN ``mode``, ``output_core``,
    ``dt_us``, ``device``, ``batch_size``). Options of other chips (the ``eval`` options of every chip's
    ``cli_options``) are ignored at their defaults and refused when set.

    ``pj_per_sop`` / ``pj_per_event`` replace the chip's default energy prices (:mod:`.cost`)."""
    chip = chip_of(config)
    costs = CostModel(pj_per_sop=chip.pj_per_sop if pj_per_sop is None else pj_per_sop,
                      pj_per_event=chip.pj_per_event if pj_per_event is None else pj_per_event)
    return chip.evaluator(config, costs, **select_options(chip, chip.evaluator, options, cli_option_defaults("eval")))
