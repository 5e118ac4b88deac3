"""Whether a network can be evaluated on a dataset at all: checked once, before any sample runs.

A pair that cannot fit would otherwise run to the end and report a meaningless accuracy (a 2-readout
network on 4 classes never predicts classes 2 and 3). :func:`check_fit` refuses, naming both sides:

- the kind and size of the data, checked by the chip's evaluator (``check_input``): DYNAP-CNN networks
  take events whose sensor fits the DVS layer's window and channels; Xylo networks take (T, Nin) rasters,
  or events whose ``p`` is the input channel (x and y must be 0: a Xylo network has no pixels);
- the classes (largest label + 1) against the readout neurons (Xylo) or features (DYNAP-CNN readout core).

The sensor is the dataset's own when it declares one, else read from its first sample.
"""

from __future__ import annotations

import numpy as np

from .datasets import MalformedSample


def check_fit(evaluator, dataset, config_name: str = "the network", dataset_name: str = "the dataset") -> None:
    """Raise ``ValueError`` naming both sides when ``dataset`` cannot be evaluated by ``evaluator``: the
    chip's own checks of the data's kind and size (``evaluator.check_input``), then the classes."""
    pair = f"{config_name} ({evaluator.chip}) and {dataset_name} ({dataset.kind})"
    problem = evaluator.check_input(dataset)
    if problem:
        raise ValueError(f"{pair} do not fit: {problem}")
    labels = np.asarray(dataset.labels)
    labelled = labels[labels >= 0]
    if labelled.size and int(labelled.max()) >= evaluator.n_outputs:
        classes = int(labelled.max()) + 1
        raise ValueError(f"{pair} do not fit: the dataset has {classes} classes (labels up to {classes - 1}), the "
                         f"network {evaluator.n_outputs} {evaluator.outputs_name}: every class needs its own output")


def first_sample(dataset):
    """The dataset's first sample, or None (no samples, or a malformed first one)."""
    try:
        return dataset.load(0) if len(dataset) else None
    except MalformedSample:
        return None


def sensor_of(dataset) -> tuple[int, int, int] | None:
    """(width, height, polarities or channels) of an event dataset: declared, or spanned by its first sample."""
    if getattr(dataset, "sensor", None) is not None:
        return tuple(int(v) for v in dataset.sensor)
    events = first_sample(dataset)
    if events is None or events.size == 0:
        return None
    return tuple(int(events[field].max()) + 1 for field in ("x", "y", "p"))
