"""Whether a network can be evaluated on a dataset at all: checked once, before any sample runs.

A pair that cannot fit would otherwise run to the end and report a meaningless accuracy (a 2-readout
network on 4 classes never predicts classes 2 and 3). :func:`check_fit` refuses, naming both sides:

- the kind of data: DYNAP-CNN networks take events; Xylo networks take (T, Nin) rasters, or events whose
  ``p`` is the input channel (x and y must be 0: a Xylo network has no pixels);
- the input size: the sensor (width, height, polarities), or the raster's channels, against the network's
  input (a DYNAP-CNN DVS layer's window and channels, a Xylo network's Nin);
- the classes (largest label + 1) against the readout neurons (Xylo) or features (DYNAP-CNN readout core).

The sensor is the dataset's own when it declares one, else read from its first sample.
"""

from __future__ import annotations

import numpy as np

from ..dynapcnn.config import DVS_POLARITIES
from .datasets import MalformedSample


def check_fit(evaluator, dataset, config_name: str = "the network", dataset_name: str = "the dataset") -> None:
    """Raise ``ValueError`` naming both sides when ``dataset`` cannot be evaluated by ``evaluator``."""
    pair = f"{config_name} ({evaluator.chip}) and {dataset_name} ({dataset.kind})"
    _check_kind(evaluator, dataset, pair)
    _check_input(evaluator, dataset, pair)
    labels = np.asarray(dataset.labels)
    labelled = labels[labels >= 0]
    if labelled.size and int(labelled.max()) >= evaluator.n_outputs:
        classes = int(labelled.max()) + 1
        what = "readout neurons" if evaluator.chip == "xylo" else f"output features on readout core {evaluator.output_core}"
        raise ValueError(f"{pair} do not fit: the dataset has {classes} classes (labels up to {classes - 1}), the "
                         f"network {evaluator.n_outputs} {what}: every class needs its own output")


def _check_kind(evaluator, dataset, pair: str) -> None:
    if evaluator.chip == "dynapcnn" and dataset.kind != "events":
        raise ValueError(f"{pair} do not fit: a DYNAP-CNN network takes events (x, y, t, p), the dataset holds "
                         f"{dataset.kind}s")


def _first_sample(dataset):
    try:
        return dataset.load(0) if len(dataset) else None
    except MalformedSample:
        return None


def _sensor(dataset) -> tuple[int, int, int] | None:
    """(width, height, polarities or channels) of an event dataset: declared, or spanned by its first sample."""
    if getattr(dataset, "sensor", None) is not None:
        return tuple(int(v) for v in dataset.sensor)
    events = _first_sample(dataset)
    if events is None or events.size == 0:
        return None
    return tuple(int(events[field].max()) + 1 for field in ("x", "y", "p"))


def _check_input(evaluator, dataset, pair: str) -> None:
    config = evaluator.config
    if evaluator.chip == "xylo":
        if dataset.kind == "raster":
            raster = _first_sample(dataset)
            channels = None if raster is None else np.asarray(raster).shape[-1]
            if channels is not None and channels != config.n_inputs:
                raise ValueError(f"{pair} do not fit: the rasters have {channels} channels, the network "
                                 f"Nin = {config.n_inputs} inputs")
            return
        sensor = _sensor(dataset)
        if sensor is not None and (sensor[0] > 1 or sensor[1] > 1):
            raise ValueError(f"{pair} do not fit: the events span a {sensor[0]}x{sensor[1]}x{sensor[2]} sensor "
                             f"(x, y, p), but a Xylo network reads only the channel p of an event "
                             f"({config.n_inputs} inputs) and would ignore x and y")
        if sensor is not None and sensor[2] > config.n_inputs:
            raise ValueError(f"{pair} do not fit: the events use channels p up to {sensor[2] - 1}, the network has "
                             f"Nin = {config.n_inputs} inputs")
        return
    sensor = _sensor(dataset)
    if sensor is None:
        return
    dvs = config.dvs_layer
    if dvs.is_direct:
        width, height = dvs.output_map
        channels = max(config.cores[d.layer].channels for d in dvs.destinations if d.enable)
    else:  # the DVS layer crops a larger sensor by design; only its polarities are bounded
        width = height = None
        channels = DVS_POLARITIES
    if (width is not None and (sensor[0] > width or sensor[1] > height)) or sensor[2] > channels:
        network = f"{width}x{height}x{channels}" if width is not None else f"{channels} polarities"
        raise ValueError(f"{pair} do not fit: the sensor is {sensor[0]}x{sensor[1]}x{sensor[2]} (width x height "
                         f"x polarities), the network's input {network}")
