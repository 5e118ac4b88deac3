"""Labelled datasets as users have them: one reader per file layout, one small class per layout.

Every dataset has ``len(ds)``, ``ds.labels`` ((N,) int64, -1 where a sample has no label),
``ds.name(i)`` (a short id: file path or index), ``ds.load(i)`` (the sample's data) and
``ds.describe()`` (a JSON-able dict identifying it, stored in the run's manifest so that a resumed
run refuses a different dataset). ``ds.kind`` says what ``load`` returns:

- ``"events"``: a numpy structured array with fields ``x``, ``y``, ``t``, ``p`` (all ``uint32``, as
  specksim; ``t`` in microseconds, ``p`` the polarity or channel), checked against ``ds.sensor`` =
  (width, height, polarities) when that is known;
- ``"raster"``: a (T, channels) array of event counts per time step (Xylo input).

A sample that cannot be read raises :class:`MalformedSample` with the reason; the evaluation records
the reason and goes on. Datasets are small picklable descriptions (paths, seeds): each Dask worker
opens the files itself, so on a multi-machine cluster the paths must be readable on every worker.

File layouts:

- **N-MNIST / N-Caltech101 binary** (``.bin``, Orchard et al. 2015): 5 bytes per event, big-endian
  bits 39-32 x, 31-24 y, bit 23 polarity, bits 22-0 timestamp (µs). An event with y = 240 is a
  timestamp-overflow marker: it is dropped and adds 2**13 µs to every later timestamp (as the
  dataset's own reader and tonic's do). Read with :func:`read_nmnist_bin`, written with
  :func:`write_nmnist_bin`.
- **A folder of samples**, one sub-folder per class, as N-MNIST ships (``Test/0/00004.bin``):
  ``ROOT/<class>/<sample>.bin`` or ``.npy`` (a structured event array with fields x, y, t, p).
  Class folders named by integers give those labels; otherwise labels are the positions of the
  folder names in sorted order (N-Caltech101: ``accordion`` = 0, ...).
- **One .npz holding a whole dataset**: either ``events`` (one structured array, all samples
  concatenated, fields x, y, t, p), ``offsets`` ((N+1,) int64: sample i is
  ``events[offsets[i]:offsets[i+1]]``) and ``labels`` ((N,) int), optionally ``sensor``
  ((3,) int: width, height, polarities); or ``rasters`` ((N, T, C) int counts) and ``labels``.
  Written with :func:`save_events_npz` / :func:`save_rasters_npz`.
- **tonic**: any ``tonic.datasets`` class already on disk (``tonic:NMNIST:ROOT[:train]``); tonic is
  optional and imported only then.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..dynapcnn.model import INPUT_EVENT_DTYPE as EVENT_DTYPE  # x, y, t (µs), p: uint32, as specksim

#: N-MNIST / N-Caltech101 binary format constants.
NMNIST_EVENT_BYTES = 5
NMNIST_OVERFLOW_Y = 240  #: y address of a timestamp-overflow marker
NMNIST_OVERFLOW_US = 2 ** 13  #: µs added to later timestamps by each marker
NMNIST_MAX_T = 2 ** 23 - 1  #: 23-bit timestamp field


class MalformedSample(ValueError):
    """A sample that cannot be evaluated (unreadable file, events outside the sensor...)."""


# ---------------------------------------------------------------------------------------- events
def as_events(array, what: str = "events") -> np.ndarray:
    """``array`` (a structured array with integer fields x, y, t, p in any order and width; tonic's
    bool polarity included) as an :data:`EVENT_DTYPE` array. Refuses missing fields and negative values."""
    array = np.asarray(array)
    names = array.dtype.names or ()
    missing = [f for f in EVENT_DTYPE.names if f not in names]
    if missing:
        raise MalformedSample(f"{what}: structured array with fields x, y, t, p expected; "
                              f"missing {missing} (dtype {array.dtype})")
    events = np.empty(array.shape[0] if array.ndim else 0, EVENT_DTYPE)
    for field in EVENT_DTYPE.names:
        values = array[field]
        if values.dtype.kind not in "iub":
            raise MalformedSample(f"{what}: field {field} has dtype {values.dtype}; integers expected")
        if values.size and values.dtype.kind == "i" and values.min() < 0:
            raise MalformedSample(f"{what}: field {field} value {int(values.min())} is negative")
        events[field] = values
    return events


def check_sensor(events: np.ndarray, sensor: tuple[int, int, int], what: str = "events") -> None:
    """Refuse events outside a (width, height, polarities) sensor, naming the first one."""
    for field, limit in zip(("x", "y", "p"), sensor):
        bad = np.flatnonzero(events[field] >= limit)
        if bad.size:
            raise MalformedSample(f"{what}: event {int(bad[0])} has {field} = {int(events[field][bad[0]])}, "
                                  f"outside the sensor's range 0..{limit - 1}")


def read_nmnist_bin(path: str | Path) -> np.ndarray:
    """Events of one N-MNIST / N-Caltech101 ``.bin`` file (layout in the module docstring)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % NMNIST_EVENT_BYTES:
        raise MalformedSample(f"{path}: {raw.size} bytes is not a whole number of 5-byte events (truncated file?)")
    raw = raw.reshape(-1, NMNIST_EVENT_BYTES).astype(np.uint32)
    y = raw[:, 1]
    t = ((raw[:, 2] & 0x7F) << 16) | (raw[:, 3] << 8) | raw[:, 4]
    overflow = y == NMNIST_OVERFLOW_Y
    t = t + NMNIST_OVERFLOW_US * np.cumsum(overflow, dtype=np.uint32)
    keep = ~overflow
    events = np.empty(int(keep.sum()), EVENT_DTYPE)
    events["x"], events["y"], events["t"], events["p"] = raw[keep, 0], y[keep], t[keep], raw[keep, 2] >> 7
    return events


def write_nmnist_bin(path: str | Path, events: np.ndarray) -> None:
    """Write events in the N-MNIST binary format (x, y < 240, p < 2, t < 2**23; no overflow markers)."""
    events = as_events(events)
    for field, limit in (("x", 256), ("y", NMNIST_OVERFLOW_Y), ("p", 2), ("t", NMNIST_MAX_T + 1)):
        bad = np.flatnonzero(events[field] >= limit)
        if bad.size:
            raise ValueError(f"events[{int(bad[0])}].{field}: value {int(events[field][bad[0]])} does not fit the "
                             f"N-MNIST format (limit {limit - 1})")
    raw = np.empty((events.size, NMNIST_EVENT_BYTES), np.uint8)
    t = events["t"]
    raw[:, 0], raw[:, 1] = events["x"], events["y"]
    raw[:, 2] = (events["p"] << 7) | (t >> 16)
    raw[:, 3], raw[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    raw.tofile(path)


def save_events_npz(path: str | Path, samples: list[np.ndarray], labels, sensor=None) -> None:
    """Write event samples and labels as one .npz (``events``, ``offsets``, ``labels``, ``sensor``)."""
    samples = [as_events(s, f"samples[{i}]") for i, s in enumerate(samples)]
    offsets = np.concatenate([[0], np.cumsum([s.size for s in samples])]).astype(np.int64)
    extra = {} if sensor is None else {"sensor": np.asarray(sensor, np.int64)}
    events = np.concatenate(samples) if samples else np.empty(0, EVENT_DTYPE)
    np.savez(path, events=events, offsets=offsets, labels=np.asarray(labels, np.int64), **extra)


def save_rasters_npz(path: str | Path, rasters, labels) -> None:
    """Write (N, T, C) count rasters and labels as one .npz (``rasters``, ``labels``)."""
    np.savez(path, rasters=np.asarray(rasters), labels=np.asarray(labels, np.int64))


def _file_digest(path: Path) -> str:
    """Size and modification time of a file: enough to tell a resumed run that the data changed."""
    stat = path.stat()
    return hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]


# -------------------------------------------------------------------------------------- datasets
class NpzDataset:
    """A whole dataset in one .npz file (event or raster layout, see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        arrays = _open_npz(self.path)
        if "rasters" in arrays:
            self.kind = "raster"
            self.sensor = None
            rasters = arrays["rasters"]
            if rasters.ndim != 3 or rasters.dtype.kind not in "iu":
                raise ValueError(f"{self.path}: rasters must be an (N, T, C) integer array, got dtype {rasters.dtype} "
                                 f"shape {rasters.shape}")
            self._count = rasters.shape[0]
        elif {"events", "offsets"} <= set(arrays):
            self.kind = "events"
            self.sensor = _sensor(self.path, arrays["sensor"]) if "sensor" in arrays else None
            self._count = _check_offsets(self.path, arrays["offsets"], arrays["events"])
        else:
            raise ValueError(f"{self.path}: an .npz dataset needs 'events' + 'offsets' or 'rasters' "
                             f"(found {sorted(arrays)})")
        labels = arrays.get("labels", np.full(self._count, -1))
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{self.path}: labels must be integers, got dtype {labels.dtype}")
        self.labels = labels.astype(np.int64)
        if self.labels.shape != (self._count,):
            raise ValueError(f"{self.path}: labels has shape {self.labels.shape}, expected ({self._count},)")

    def __len__(self) -> int:
        return self._count

    def name(self, index: int) -> str:
        return f"{self.path.name}[{index}]"

    def load(self, index: int) -> np.ndarray:
        arrays = _open_npz(self.path)
        if self.kind == "raster":
            raster = np.asarray(arrays["rasters"][index])
            if raster.size and raster.min() < 0:
                raise MalformedSample(f"{self.name(index)}: raster value {int(raster.min())} is negative")
            return raster
        start, stop = arrays["offsets"][index], arrays["offsets"][index + 1]
        events = as_events(arrays["events"][start:stop], self.name(index))
        if self.sensor is not None:
            check_sensor(events, self.sensor, self.name(index))
        return events

    def describe(self) -> dict:
        return {"type": "npz", "path": str(self.path), "digest": _file_digest(self.path), "samples": len(self)}


def _sensor(path: Path, sensor: np.ndarray) -> tuple[int, int, int]:
    """The ``sensor`` entry of an .npz dataset: (width, height, polarities), positive integers."""
    if sensor.shape != (3,) or sensor.dtype.kind not in "iu" or np.any(sensor < 1):
        raise ValueError(f"{path}: sensor must be 3 positive integers (width, height, polarities), got {sensor.tolist()}")
    return tuple(int(v) for v in sensor)


def _check_offsets(path: Path, offsets: np.ndarray, events: np.ndarray) -> int:
    """The number of samples that ``offsets`` cuts ``events`` into, after checking that it can."""
    if offsets.ndim != 1 or offsets.size < 1 or offsets.dtype.kind not in "iu":
        raise ValueError(f"{path}: offsets must be a 1-D integer array of N+1 sample starts, got dtype {offsets.dtype} "
                         f"shape {offsets.shape}")
    if events.ndim != 1:
        raise ValueError(f"{path}: events must be a 1-D structured array, got shape {events.shape}")
    steps = np.diff(offsets.astype(np.int64))
    if offsets[0] != 0 or np.any(steps < 0) or int(offsets[-1]) != len(events):
        raise ValueError(f"{path}: offsets must rise from 0 to the number of events ({len(events)}), got "
                         f"{offsets[0]}..{offsets[-1]}{' with a decrease' if np.any(steps < 0) else ''}")
    return offsets.size - 1


@lru_cache(maxsize=4)
def _open_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an .npz file, loaded once per process."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("a .npy array, not an .npz archive")
            return {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable .npz dataset ({error})") from None


class FolderDataset:
    """``ROOT/<class>/<sample>.bin|.npy``: the N-MNIST / N-Caltech101 folder layout."""

    SUFFIXES = (".bin", ".npy")

    def __init__(self, root: str | Path, sensor: tuple[int, int, int] | None = None):
        self.root = Path(root).resolve()
        self.kind = "events"
        self.sensor = sensor
        folders = sorted(p for p in self.root.iterdir() if p.is_dir())
        if not folders:
            raise ValueError(f"{self.root}: no class folders (expected ROOT/<class>/<sample>.bin)")
        numeric = all(f.name.isdigit() for f in folders)
        self.classes = [f.name for f in folders]
        files, labels = [], []
        for position, folder in enumerate(folders):
            for file in sorted(folder.iterdir()):
                if file.suffix in self.SUFFIXES:
                    files.append(file.relative_to(self.root).as_posix())
                    labels.append(int(folder.name) if numeric else position)
        if not files:
            raise ValueError(f"{self.root}: no .bin or .npy samples in the class folders")
        self.files = files
        self.labels = np.asarray(labels, np.int64)

    def __len__(self) -> int:
        return len(self.files)

    def name(self, index: int) -> str:
        return self.files[index]

    def load(self, index: int) -> np.ndarray:
        path = self.root / self.files[index]
        try:
            events = read_nmnist_bin(path) if path.suffix == ".bin" else as_events(
                np.load(path, allow_pickle=False), self.files[index])
        except (OSError, ValueError) as error:
            raise MalformedSample(f"{self.files[index]}: {error}") from error
        if self.sensor is not None:
            check_sensor(events, self.sensor, self.files[index])
        return events

    def describe(self) -> dict:
        listing = hashlib.sha256("\n".join(self.files).encode()).hexdigest()[:16]
        return {"type": "folder", "path": str(self.root), "files": listing, "samples": len(self)}


class TonicDataset:
    """A ``tonic.datasets`` dataset on disk: ``TonicDataset("NMNIST", root, train=False)``.

    tonic is optional: it is imported only here. Samples are converted to :data:`EVENT_DTYPE`
    (tonic's bool polarity becomes 0/1) and checked against the class's ``sensor_size``.
    """

    def __init__(self, name: str, root: str | Path, train: bool = False):
        self.dataset_name, self.root, self.train = name, str(Path(root).resolve()), train
        self.kind = "events"
        dataset = self._dataset()
        self.sensor = tuple(int(v) for v in getattr(dataset, "sensor_size", ())) or None
        self.labels = np.asarray([int(target) for target in _tonic_targets(dataset)], np.int64)

    def _dataset(self):
        try:
            import tonic.datasets
        except ImportError as error:
            raise ValueError("reading tonic datasets needs the optional package 'tonic' (pip install tonic)") from error
        cls = getattr(tonic.datasets, self.dataset_name, None)
        if cls is None:
            raise ValueError(f"tonic.datasets has no dataset {self.dataset_name!r}")
        return _tonic_instance(cls, self.root, self.train)

    def __len__(self) -> int:
        return len(self.labels)

    def name(self, index: int) -> str:
        return f"{self.dataset_name}[{index}]"

    def load(self, index: int) -> np.ndarray:
        events, _ = self._dataset()[index]
        events = as_events(events, self.name(index))
        if self.sensor is not None:
            check_sensor(events, self.sensor, self.name(index))
        return events

    def describe(self) -> dict:
        return {"type": "tonic", "dataset": self.dataset_name, "path": self.root, "train": self.train,
                "samples": len(self)}


@lru_cache(maxsize=2)
def _tonic_instance(cls, root: str, train: bool):
    try:
        return cls(save_to=root, train=train)
    except TypeError:  # datasets without a train/test split
        return cls(save_to=root)


def _tonic_targets(dataset):
    """Labels of a tonic dataset, from its ``targets`` list when it has one, else by reading every sample."""
    targets = getattr(dataset, "targets", None)
    if targets is not None and len(targets) == len(dataset):
        return targets
    return [dataset[i][1] for i in range(len(dataset))]


# ----------------------------------------------------------------------------------------- open
def open_dataset(spec: str | os.PathLike, sensor: tuple[int, int, int] | None = None):
    """A dataset from a command-line spec.

    ``PATH.npz``: :class:`NpzDataset`; a folder: :class:`FolderDataset` (``sensor`` bounds its
    events); ``tonic:NAME:ROOT[:train]``: :class:`TonicDataset`; ``synthetic:dvs[:N[:SEED]]`` and
    ``synthetic:xylo[:N[:SEED]]``: the generated datasets of :mod:`spikegate.sim.eval.synthetic`.
    """
    text = os.fspath(spec)
    if text.startswith("synthetic:"):
        from .synthetic import open_synthetic

        return open_synthetic(text)
    if text.startswith("tonic:"):
        parts = text.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("train", "test")):
            raise ValueError(f"dataset {text!r}: expected tonic:NAME:ROOT or tonic:NAME:ROOT:train|test")
        return TonicDataset(parts[1], parts[2], train=len(parts) == 4 and parts[3] == "train")
    path = Path(text)
    if path.is_dir():
        return FolderDataset(path, sensor=sensor)
    if path.suffix == ".npz" and path.is_file():
        return NpzDataset(path)
    expected = "an .npz file, a folder ROOT/<class>/<sample>.bin|.npy, tonic:NAME:ROOT or synthetic:dvs|xylo"
    if not path.exists():
        raise ValueError(f"dataset {text!r}: no such file or folder (expected {expected})")
    raise ValueError(f"dataset {text!r}: a file but not an .npz (expected {expected})")
