"""Dataset readers of spikegate.sim.eval: N-MNIST binary files, class folders, .npz, synthetic data."""

import numpy as np
import pytest

from spikegate.sim.eval.datasets import (EVENT_DTYPE, FolderDataset, MalformedSample, NpzDataset, as_events,
                                         open_dataset, read_nmnist_bin, save_events_npz, save_rasters_npz,
                                         write_nmnist_bin)
from spikegate.sim.eval.synthetic import SyntheticDVS, SyntheticRaster, open_synthetic


def events_of(rows):
    rows = list(rows)
    events = np.zeros(len(rows), EVENT_DTYPE)
    for i, (x, y, t, p) in enumerate(rows):
        events[i] = (x, y, t, p)
    return events


def random_events(rng, n, size=34):
    return events_of(zip(rng.integers(0, size, n), rng.integers(0, size, n), np.sort(rng.integers(0, 2 ** 23, n)),
                         rng.integers(0, 2, n)))


def test_nmnist_bin_known_bytes(tmp_path):
    # x 5, y 7, ON, t 0x012345 -> 05 07 81 23 45; x 33, y 0, OFF, t 0x7FFFFF -> 21 00 7F FF FF
    path = tmp_path / "two.bin"
    path.write_bytes(bytes([0x05, 0x07, 0x81, 0x23, 0x45, 0x21, 0x00, 0x7F, 0xFF, 0xFF]))
    events = read_nmnist_bin(path)
    assert events.dtype == EVENT_DTYPE
    assert events.tolist() == [(5, 7, 0x012345, 1), (33, 0, 0x7FFFFF, 0)]


def test_nmnist_bin_overflow_marker_adds_2_pow_13(tmp_path):
    path = tmp_path / "overflow.bin"
    # event at t 10, an overflow marker (y 240), event at t 20 -> 20 + 8192
    path.write_bytes(bytes([1, 2, 0x80, 0, 10, 0, 240, 0, 0, 0, 3, 4, 0, 0, 20]))
    assert read_nmnist_bin(path).tolist() == [(1, 2, 10, 1), (3, 4, 20 + 8192, 0)]


def test_nmnist_bin_roundtrip(tmp_path):
    events = random_events(np.random.default_rng(1), 500)
    write_nmnist_bin(tmp_path / "a.bin", events)
    assert (tmp_path / "a.bin").stat().st_size == 5 * 500
    np.testing.assert_array_equal(read_nmnist_bin(tmp_path / "a.bin"), events)


def test_nmnist_bin_truncated_wrong(tmp_path):
    path = tmp_path / "cut.bin"
    path.write_bytes(bytes(12))
    with pytest.raises(MalformedSample, match="12 bytes is not a whole number of 5-byte events"):
        read_nmnist_bin(path)


def test_write_nmnist_bin_wrong(tmp_path):
    with pytest.raises(ValueError, match=r"events\[0\]\.t: value 8388608 does not fit the N-MNIST format"):
        write_nmnist_bin(tmp_path / "x.bin", events_of([(0, 0, 2 ** 23, 0)]))


def test_as_events_converts_tonic_dtype_and_refuses_bad_arrays():
    tonic_like = np.zeros(2, np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)]))
    tonic_like[1] = (3, 4, 99, True)
    assert as_events(tonic_like).tolist() == [(0, 0, 0, 0), (3, 4, 99, 1)]
    with pytest.raises(MalformedSample, match=r"missing \['p'\]"):
        as_events(np.zeros(2, np.dtype([("x", int), ("y", int), ("t", int)])))
    tonic_like[0]["x"] = -1
    with pytest.raises(MalformedSample, match="field x value -1 is negative"):
        as_events(tonic_like)


def test_folder_dataset_numeric_classes_and_sensor_check(tmp_path):
    rng = np.random.default_rng(2)
    for label in (0, 3):
        (tmp_path / str(label)).mkdir()
        for k in range(2):
            write_nmnist_bin(tmp_path / str(label) / f"{k:05d}.bin", random_events(rng, 20))
    np.save(tmp_path / "3" / "z.npy", events_of([(40, 1, 5, 0)]))  # outside a 34 x 34 sensor
    (tmp_path / "3" / "bad.bin").write_bytes(bytes(7))
    dataset = FolderDataset(tmp_path, sensor=(34, 34, 2))
    assert len(dataset) == 6 and dataset.labels.tolist() == [0, 0, 3, 3, 3, 3]
    assert dataset.name(2) == "3/00000.bin"
    assert dataset.load(0).size == 20
    with pytest.raises(MalformedSample, match="bad.bin: .*7 bytes"):
        dataset.load(4)  # sorted: 00000, 00001, bad, z
    with pytest.raises(MalformedSample, match=r"z.npy: event 0 has x = 40, outside the sensor's range 0..33"):
        dataset.load(5)


def test_folder_dataset_named_classes(tmp_path):
    for name in ("cup", "accordion"):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "a.npy", events_of([(1, 1, 1, 1)]))
    dataset = open_dataset(tmp_path)
    assert dataset.classes == ["accordion", "cup"] and dataset.labels.tolist() == [0, 1]


def test_npz_events_and_rasters(tmp_path):
    rng = np.random.default_rng(3)
    samples = [random_events(rng, n, size=16) for n in (5, 0, 9)]
    samples[2]["x"][4] = 16
    save_events_npz(tmp_path / "ev.npz", samples, [2, 0, 1], sensor=(16, 16, 2))
    dataset = open_dataset(tmp_path / "ev.npz")
    assert isinstance(dataset, NpzDataset) and dataset.kind == "events" and len(dataset) == 3
    np.testing.assert_array_equal(dataset.load(0), samples[0])
    assert dataset.load(1).size == 0 and dataset.labels.tolist() == [2, 0, 1]
    with pytest.raises(MalformedSample, match=r"ev.npz\[2\]: event 4 has x = 16, outside the sensor's range 0..15"):
        dataset.load(2)
    rasters = rng.integers(0, 4, (4, 10, 16))
    save_rasters_npz(tmp_path / "r.npz", rasters, [0, 1, 2, 3])
    dataset = open_dataset(tmp_path / "r.npz")
    assert dataset.kind == "raster"
    np.testing.assert_array_equal(dataset.load(3), rasters[3])


def test_open_dataset_wrong(tmp_path):
    np.savez(tmp_path / "odd.npz", stuff=np.zeros(3))
    with pytest.raises(ValueError, match="needs 'events' \\+ 'offsets' or 'rasters'"):
        open_dataset(tmp_path / "odd.npz")
    with pytest.raises(ValueError, match="no such file or folder"):
        open_dataset(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="expected tonic:NAME:ROOT"):
        open_dataset("tonic:NMNIST")
    with pytest.raises(ValueError, match="NAME one of \\['dvs', 'xylo'\\]"):
        open_dataset("synthetic:audio")
    with pytest.raises(ValueError, match="SAMPLES must be at least 1"):
        open_dataset("synthetic:dvs:0")


class FakeTonicNMNIST:
    """Stands in for a tonic dataset class: events as tonic gives them (bool polarity, int64 t)."""

    sensor_size = (34, 34, 2)
    dtype = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])

    def __init__(self, save_to, train=True):
        self.targets = [1, 0, 2] if train else [7, 3]

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        events = np.zeros(3, self.dtype)
        events["x"], events["t"], events["p"] = [index, 33, 40 * index], [1, 2, 3], [True, False, True]
        return events, self.targets[index]


def test_tonic_dataset_through_a_stand_in(monkeypatch, tmp_path):
    import sys
    import types

    fake = types.ModuleType("tonic")
    fake.datasets = types.SimpleNamespace(NMNIST=FakeTonicNMNIST)
    monkeypatch.setitem(sys.modules, "tonic", fake)
    monkeypatch.setitem(sys.modules, "tonic.datasets", fake.datasets)
    dataset = open_dataset(f"tonic:NMNIST:{tmp_path}")
    assert dataset.sensor == (34, 34, 2) and dataset.labels.tolist() == [7, 3]
    assert dataset.load(0).tolist() == [(0, 0, 1, 1), (33, 0, 2, 0), (0, 0, 3, 1)]
    with pytest.raises(MalformedSample, match=r"NMNIST\[1\]: event 2 has x = 40, outside the sensor's range 0..33"):
        dataset.load(1)
    assert open_dataset(f"tonic:NMNIST:{tmp_path}:train").labels.tolist() == [1, 0, 2]


def test_tonic_missing_gives_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tonic", None)
    monkeypatch.setitem(sys.modules, "tonic.datasets", None)
    with pytest.raises(ValueError, match="optional package 'tonic'"):
        open_dataset("tonic:NMNIST:/nowhere")


def test_synthetic_is_deterministic_and_balanced():
    a, b = SyntheticDVS(12, seed=5), open_synthetic("synthetic:dvs:12:5")
    for i in (0, 7, 11):
        np.testing.assert_array_equal(a.load(i), b.load(i))
    events = a.load(3)
    assert np.all(np.diff(events["t"].astype(np.int64)) >= 0)
    assert events["x"].max() < 16 and events["y"].max() < 16 and set(np.unique(events["p"])) <= {0, 1}
    assert not np.array_equal(SyntheticDVS(12, seed=6).load(3), events)
    assert np.bincount(a.labels).tolist() == [3, 3, 3, 3]
    raster = SyntheticRaster(8).load(2)
    assert raster.shape == (40, 16) and raster.min() >= 0 and raster.max() <= 15
    # class 2's channels 8..11 carry more events than the rest
    assert raster[:, 8:12].mean() > raster[:, np.r_[0:8, 12:16]].mean()
