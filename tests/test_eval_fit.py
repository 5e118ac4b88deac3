"""eval and sweep refuse a network and a dataset that cannot fit, naming both sides (and accept those that fit)."""

import numpy as np
import pytest

from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE
from spikegate.sim.eval import load_config, make_evaluator, open_dataset, save_events_npz
from spikegate.sim.eval.fit import check_fit
from spikegate.sim.xylo import XyloConfig


def xylo(n_in=16, n_out=2):
    return make_evaluator(XyloConfig.from_spec(weights_in=np.ones((n_in, 4)), weights_out=np.ones((4, n_out)),
                                               threshold=9, threshold_out=9))


def events(x_max, y_max, p_max, n=5):
    array = np.zeros(n, INPUT_EVENT_DTYPE)
    array["x"], array["y"], array["p"] = x_max, y_max, p_max
    return array


def test_pairs_that_fit_pass(tmp_path):
    check_fit(make_evaluator(load_config("bundled:dynapcnn")), open_dataset("synthetic:dvs:4"))
    check_fit(make_evaluator(load_config("bundled:xylo")), open_dataset("synthetic:xylo:4"))
    save_events_npz(tmp_path / "channels.npz", [events(0, 0, 15)], [1])  # p is the channel, no pixels
    check_fit(xylo(), open_dataset(tmp_path / "channels.npz"))


@pytest.mark.parametrize("make, message", [
    (lambda tmp: (xylo(), open_dataset("synthetic:dvs:4")),
     r"net \(xylo\) and data \(events\) do not fit: the events span a 16x16x2 sensor \(x, y, p\), but a Xylo "
     r"network reads only the channel p"),
    (lambda tmp: (xylo(n_out=2), open_dataset("synthetic:xylo:4")),
     r"the dataset has 4 classes \(labels up to 3\), the network 2 readout neurons"),
    (lambda tmp: (xylo(n_in=8, n_out=4), open_dataset("synthetic:xylo:4")),
     r"the rasters have 16 channels, the network Nin = 8 inputs"),
    (lambda tmp: (make_evaluator(load_config("bundled:dynapcnn")), open_dataset("synthetic:xylo:4")),
     r"net \(dynapcnn\) and data \(raster\) do not fit: a DYNAP-CNN network takes events"),
    (lambda tmp: (make_evaluator(load_config("bundled:dynapcnn")), _npz_events(tmp, (34, 34, 2))),
     r"the sensor is 34x34x2 \(width x height x polarities\), the network's input 16x16x2"),
    (lambda tmp: (make_evaluator(load_config("bundled:dynapcnn")), _npz_events(tmp, None, labels=[7])),
     r"the dataset has 8 classes \(labels up to 7\), the network 4 output features on readout core 1"),
])
def test_pairs_that_cannot_fit_wrong(make, message, tmp_path):
    evaluator, dataset = make(tmp_path)
    with pytest.raises(ValueError, match=message):
        check_fit(evaluator, dataset, config_name="net", dataset_name="data")


def _npz_events(folder, sensor, labels=(0,)):
    save_events_npz(folder / "d.npz", [events(3, 3, 1)] * len(labels), list(labels), sensor=sensor)
    return open_dataset(folder / "d.npz")
