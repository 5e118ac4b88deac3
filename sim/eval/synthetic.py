"""Small labelled datasets generated deterministically, and hand-built networks that classify them.

Nothing can be downloaded where spikegate is tested, so the default evaluation runs on data made
here: sample ``i`` of a dataset with seed ``s`` is drawn from ``numpy.random.default_rng([s, i])``
alone, so any worker of a Dask cluster regenerates exactly the same sample without shared files.

- ``synthetic:dvs`` (:class:`SyntheticDVS`): a DVS-like sensor of 16 x 16 pixels and 2
  polarities. Class k is a bar of length 3-7 px at orientation k x 45 degrees (0: horizontal,
  1: rising diagonal, 2: vertical, 3: falling diagonal) that moves back and forth across its width
  by one pixel per 1 ms frame for 6 frames (a saccade, as the sensor of N-MNIST moves); a pixel the
  bar enters gives an ON event (p = 1), a pixel it leaves an OFF event (p = 0); timestamps are
  spread uniformly within the frame; as many uniform noise events again. About 60-160 events per
  sample. The bundled network scores about 0.9 on it.
- ``synthetic:xylo`` (:class:`SyntheticRaster`): (T = 40, 16) input-count rasters for Xylo.
  Class k raises the event rate of channels 4k..4k+3 to 0.35 per step over a background of 0.25
  per step on every channel (Poisson counts, at most 15 per step and channel). The bundled network
  scores about 0.85 on it.

:func:`dynapcnn_network` and :func:`xylo_network` build register configurations by hand (no
training) that classify these datasets well above chance; they are the bundled networks of
``spikegate eval bundled:dynapcnn synthetic:dvs`` (each chip's descriptor names its own:
``Chip.bundled_network``).
"""

from __future__ import annotations

import numpy as np

from .datasets import EVENT_DTYPE

DEFAULT_SAMPLES = 200
DEFAULT_SEED = 0


class SyntheticDataset:
    """What both generated datasets share: balanced labels (sample i has class i mod n_classes), names
    and the description stored in a run's manifest. Subclasses set ``key``, ``kind`` and ``load``."""

    key: str
    n_classes = 4

    def __init__(self, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED):
        self.samples, self.seed = int(samples), int(seed)
        self.labels = np.arange(self.samples, dtype=np.int64) % self.n_classes

    def __len__(self) -> int:
        return self.samples

    def name(self, index: int) -> str:
        return f"{self.key}[{index}]"

    def describe(self) -> dict:
        return {"type": "synthetic", "name": self.key, "samples": self.samples, "seed": self.seed}


class SyntheticDVS(SyntheticDataset):
    """Moving oriented bars on a small DVS sensor (see the module docstring)."""

    key, kind = "dvs", "events"
    size = 16
    sensor = (size, size, 2)
    saccade = (0, 1, 0, -1, 0, 1)  #: offset across the bar (px) in each 1 ms frame
    frame_us = 1000
    noise = 1.0  #: noise events per signal event
    lengths = (3, 8)  #: bar length range (px), upper bound excluded

    def _bar(self, center, along, normal, length, offset) -> np.ndarray:
        """(size, size) bool mask [y, x] of the bar's pixels, shifted by ``offset`` along ``normal``."""
        y, x = np.mgrid[0:self.size, 0:self.size].astype(float)
        dx, dy = x - center[0] - offset * normal[0], y - center[1] - offset * normal[1]
        across = np.abs(dx * normal[0] + dy * normal[1])
        lengthwise = np.abs(dx * along[0] + dy * along[1])
        return (across <= 0.5) & (lengthwise <= length / 2)

    def load(self, index: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index])
        angle = np.pi / 4 * int(self.labels[index])
        along = np.array([np.cos(angle), -np.sin(angle)])  # image y grows downwards
        normal = np.array([along[1], -along[0]]) * rng.choice([-1, 1])
        center = rng.uniform(5.5, 10.5, size=2)
        length = rng.integers(*self.lengths)
        events, previous = [], np.zeros((self.size, self.size), bool)
        for frame, offset in enumerate(self.saccade):
            bar = self._bar(center, along, normal, length, offset)
            for polarity, mask in ((1, bar & ~previous), (0, previous & ~bar)):
                ys, xs = np.nonzero(mask)
                t = frame * self.frame_us + rng.integers(0, self.frame_us, xs.size)
                events.append(np.stack([xs, ys, t, np.full(xs.size, polarity)], axis=1))
            previous = bar
        signal = np.concatenate(events)
        noise_count = rng.poisson(self.noise * len(signal))
        noise = np.stack([rng.integers(0, self.size, noise_count), rng.integers(0, self.size, noise_count),
                          rng.integers(0, len(self.saccade) * self.frame_us, noise_count),
                          rng.integers(0, 2, noise_count)], axis=1)
        rows = np.concatenate([signal, noise])
        rows = rows[np.argsort(rows[:, 2], kind="stable")]
        out = np.empty(len(rows), EVENT_DTYPE)
        out["x"], out["y"], out["t"], out["p"] = rows.T
        return out


class SyntheticRaster(SyntheticDataset):
    """Class-dependent channel rates as (T, 16) count rasters for Xylo (see the module docstring)."""

    key, kind = "xylo", "raster"
    sensor = None
    channels = 16
    steps = 40
    rate_high = 0.35
    rate_low = 0.25

    def load(self, index: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index])
        rates = np.full(self.channels, self.rate_low)
        group = self.channels // self.n_classes
        label = int(self.labels[index])
        rates[label * group:(label + 1) * group] = self.rate_high
        return np.minimum(rng.poisson(rates, size=(self.steps, self.channels)), 15).astype(np.int64)


SYNTHETIC = {cls.key: cls for cls in (SyntheticDVS, SyntheticRaster)}


def open_synthetic(spec: str):
    """``synthetic:NAME[:SAMPLES[:SEED]]`` -> the generated dataset."""
    parts = spec.split(":")
    if len(parts) < 2 or parts[1] not in SYNTHETIC or len(parts) > 4:
        raise ValueError(f"dataset {spec!r}: expected synthetic:NAME[:SAMPLES[:SEED]] with NAME one of "
                         f"{sorted(SYNTHETIC)}")
    try:
        numbers = [int(p) for p in parts[2:]]
    except ValueError as error:
        raise ValueError(f"dataset {spec!r}: SAMPLES and SEED must be integers") from error
    if numbers and numbers[0] < 1:
        raise ValueError(f"dataset {spec!r}: SAMPLES must be at least 1, got {numbers[0]}")
    return SYNTHETIC[parts[1]](*numbers)


# ------------------------------------------------------------------------------- bundled networks
def line_kernel(orientation: int, size: int = 5, on: int = 3, off: int = -1) -> np.ndarray:
    """A ``[kx][ky]`` kernel: ``on`` along a line through the centre at ``orientation`` x 45 degrees
    (the bars of :class:`SyntheticDVS`, image y downwards), ``off`` elsewhere."""
    kx, ky = np.mgrid[0:size, 0:size] - size // 2
    line = {0: ky == 0, 1: kx == -ky, 2: kx == 0, 3: kx == ky}[orientation]
    return np.where(line, on, off)


def dynapcnn_network():
    """Two cores classifying :class:`SyntheticDVS` (no training): core 0 holds four 5x5 oriented line
    detectors over both polarities (2 x 16 x 16 -> 4 x 16 x 16, padding 2, threshold 24), sum-pooled
    by 4 into core 1, which adds each detector map over the whole field (4 x 4 x 4 -> 4 x 1 x 1,
    threshold 2) and is monitored: its output feature k counts evidence for class k."""
    from ..dynapcnn.config import ChipConfig, CoreConfig, Destination, DvsLayerConfig

    size, classes = SyntheticDVS.size, SyntheticDVS.n_classes
    detectors = np.stack([np.stack([line_kernel(k)] * 2) for k in range(classes)])
    core0 = CoreConfig.from_weights(detectors, (size, size), padding=(2, 2), threshold_high=24, threshold_low=-64,
                                    destinations=[Destination(layer=1, enable=True, pooling=4)])
    pooled = size // 4
    summing = np.zeros((classes, classes, pooled, pooled), np.int64)
    summing[np.arange(classes), np.arange(classes)] = 1
    core1 = CoreConfig.from_weights(summing, (pooled, pooled), threshold_high=2, threshold_low=-64,
                                    monitor_enable=True)
    return ChipConfig(cores={0: core0, 1: core1}, dvs_layer=DvsLayerConfig.direct([0], (size, size)),
                      layer_to_core={0: 0, 1: 1})


def xylo_network():
    """A Xylo v1 network classifying :class:`SyntheticRaster` (no training): 8 hidden neurons, two per
    class, excited (+24) by their class's four channels and inhibited (-8) by the others, with fast
    synapses and membranes (dash 2); each readout neuron sums its class's two hidden neurons (+40)."""
    from ..xylo import XyloConfig

    group = SyntheticRaster.channels // SyntheticRaster.n_classes
    hidden_class = np.repeat(np.arange(SyntheticRaster.n_classes), 2)
    channel_class = np.arange(SyntheticRaster.channels) // group
    weights_in = np.where(channel_class[:, None] == hidden_class[None, :], 24, -8)
    weights_out = np.where(hidden_class[:, None] == np.arange(SyntheticRaster.n_classes)[None, :], 40, 0)
    return XyloConfig.from_spec(weights_in=weights_in, weights_out=weights_out, dash_syn=2, dash_mem=2,
                                dash_syn_out=2, dash_mem_out=2, threshold=60, threshold_out=60)

