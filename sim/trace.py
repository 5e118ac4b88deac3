"""Traces: every intermediate value of a run, in one documented file format, and where two traces part.

A :class:`Trace` holds named integer arrays (``fields``) whose first axis is time: the time step for
Xylo and the time-stepped DYNAP-CNN model, the input event for the event-driven DYNAP-CNN model.
Each field has named axes (``("step", "neuron")``) and a unit. A trace also names the model that made
it, spikegate's version and the SHA-256 digest of the register configuration it ran, so that traces
of different configurations are never compared.

File format (``.npz``): one array per field, stored under its name, plus ``__header__``, a 0-d string
array holding a JSON object::

    {"format": "spikegate.trace", "format_version": 1, "chip": "xylo" | "dynapcnn" | ...,
     "model": "<who made it>", "version": "<spikegate version>", "config_digest": "<sha256 hex>",
     "fields": {"<name>": {"axes": ["step", "neuron"], "unit": "<unit>", "dtype": "int16",
                           "shape": [T, N]}},
     "meta": {...}}

Event tables: a field whose first axis is named ``row`` is a table of events, one row per event, whose
column 0 is the time index (the input event or step that caused it). Two tables may differ in length;
:func:`diff` compares them row by row and dates a difference by that column.

CSV form (small traces, and the form a user's own C/HLS model can write): one row per value,
columns ``field,<axis 0>,<axis 1>,...,value`` for each field in turn, for example::

    field,step,neuron,value
    Vmem,0,0,50
    Vmem,0,1,-3

Header lines starting with ``#`` carry ``# chip=xylo``, ``# config_digest=<hex>``,
``# shape <field>=<T>x<N>`` and ``# axes <field>=<axis 0>,<axis 1>``; a CSV without shape lines takes each
field's shape from its largest indices. Rows left out are zero, so a sparse implementation need write only
non-zero values (a field without rows needs its shape and axes lines).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .checks import as_array
from .chip import get_chip
from .compare import Difference, first_difference
from .errors import describe

FORMAT = "spikegate.trace"
FORMAT_VERSION = 1
MAX_CSV_VALUES = 2 ** 26  #: most values per field of a CSV trace (the array it fills is int64)
INT64 = (-2 ** 63, 2 ** 63 - 1)


#: The header's entries: name -> (JSON type, required); and each field's.
_HEADER = {"format": (str, True), "format_version": (int, False), "chip": (str, True), "model": (str, True),
           "config_digest": (str, True), "version": (str, False), "meta": (dict, False), "fields": (dict, True)}
_FIELD_INFO = {"axes": list, "unit": str, "dtype": str, "shape": list}


def _header(path: Path, entry: np.ndarray) -> dict:
    """The ``__header__`` entry of a trace archive, checked: a JSON object with the entries of
    :data:`_HEADER`, each field described by the entries of :data:`_FIELD_INFO`."""
    if entry.ndim != 0 or entry.dtype.kind != "U":
        raise ValueError(f"{path}: __header__ is not a JSON text (dtype {entry.dtype}, shape {entry.shape})")
    try:
        header = json.loads(str(entry))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: __header__ is not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: __header__ is a JSON {type(header).__name__}, expected an object")
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: format {header.get('format')!r}, expected {FORMAT!r}")
    header = {"format_version": FORMAT_VERSION, "version": "?", "meta": {}} | header
    for name, (kind, _) in _HEADER.items():
        if name not in header:
            raise ValueError(f"{path}: __header__ has no {name!r} entry")
        if not isinstance(header[name], kind) or isinstance(header[name], bool):
            raise ValueError(f"{path}: __header__ entry {name!r} is {header[name]!r}, expected a JSON {kind.__name__}")
    if header["format_version"] > FORMAT_VERSION:
        raise ValueError(f"{path}: format version {header['format_version']} is newer than {FORMAT_VERSION}")
    for name, info in header["fields"].items():
        for key, kind in _FIELD_INFO.items():
            if not isinstance(info, dict) or not isinstance(info.get(key), kind):
                raise ValueError(f"{path}: __header__ field {name!r} has no {key!r} entry of JSON type {kind.__name__}")
    return header


@dataclass
class Trace:
    """A recorded run: ``fields`` maps names to integer arrays with time as the first axis.

    Attributes:
        chip: the name of a registered chip (:mod:`spikegate.sim.chip`): ``"xylo"``, ``"dynapcnn"``...
        model: what produced it (``"numpy"``, ``"rtl"``, ``"board"``, a user's name...).
        config_digest: SHA-256 hex digest of the register configuration (``config.digest()``).
        fields: name -> integer array, first axis time (steps or input events).
        axes: name -> axis names, one per array dimension.
        units: name -> unit (``"count"``, ``"LSB"`` for raw register values...).
        meta: free-form JSON-serialisable extras (time step, event order...).
    """

    chip: str
    model: str
    config_digest: str
    fields: dict[str, np.ndarray]
    axes: dict[str, tuple[str, ...]]
    units: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    version: str = __version__

    def __post_init__(self) -> None:
        get_chip(self.chip)  # refuses an unknown chip, naming the known ones
        for name, array in self.fields.items():
            array = np.asarray(array)
            if array.dtype.kind not in "iub":
                raise TypeError(f"field {name}: expected integers, got dtype {array.dtype}")
            axes = tuple(self.axes.get(name, ()))
            if len(axes) != array.ndim:
                raise ValueError(f"field {name}: {array.ndim} dimensions but axes {axes}")
            self.fields[name] = array
            self.axes[name] = axes

    def is_table(self, name: str) -> bool:
        """Whether field ``name`` is an event table (first axis ``row``, column 0 the time index)."""
        return self.axes[name][:1] == ("row",)

    # ----------------------------------------------------------------- files
    def header(self) -> dict:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "chip": self.chip, "model": self.model,
            "version": self.version, "config_digest": self.config_digest, "meta": self.meta,
            "fields": {name: {"axes": list(self.axes[name]), "unit": self.units.get(name, ""),
                              "dtype": str(array.dtype), "shape": list(array.shape)}
                       for name, array in self.fields.items()},
        }

    def save(self, path: str | Path) -> Path:
        """Write the ``.npz`` form (or the CSV form when ``path`` ends in ``.csv``)."""
        path = Path(path)
        if path.suffix == ".csv":
            path.write_text(self.to_csv())
            return path
        np.savez_compressed(path, __header__=np.array(json.dumps(self.header())), **self.fields)
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> "Trace":
        """Read a trace written by :meth:`save` (``.npz``) or a CSV trace (``.csv``)."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"trace file {path} does not exist")
        if path.suffix == ".csv":
            return cls.from_csv(path.read_text(), source=str(path))
        try:
            with np.load(path, allow_pickle=False) as archive:
                if not hasattr(archive, "files"):
                    raise ValueError("a .npy array, not an .npz archive")
                if "__header__" not in archive:
                    raise ValueError(f"{path}: not a spikegate trace (no __header__ entry)")
                header = _header(path, archive["__header__"])
                missing = [name for name in header["fields"] if name not in archive]
                if missing:
                    raise ValueError(f"{path}: fields named in the header but missing: {missing}")
                fields = {name: archive[name] for name in header["fields"]}
        except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:  # a damaged archive
            raise ValueError(f"{path}: not a readable .npz trace ({describe(error)})") from None
        for name, info in header["fields"].items():
            if list(fields[name].shape) != info["shape"]:
                raise ValueError(f"{path}: field {name} has shape {fields[name].shape}, header says {info['shape']}")
        return cls(chip=header["chip"], model=header["model"], config_digest=header["config_digest"], fields=fields,
                   axes={n: tuple(i["axes"]) for n, i in header["fields"].items()},
                   units={n: i["unit"] for n, i in header["fields"].items()}, meta=header["meta"],
                   version=header["version"])

    def to_csv(self) -> str:
        out = io.StringIO()
        out.write(f"# chip={self.chip}\n# model={self.model}\n# config_digest={self.config_digest}\n")
        for name, array in self.fields.items():
            out.write(f"# shape {name}={'x'.join(str(n) for n in array.shape)}\n")
            out.write(f"# axes {name}={','.join(self.axes[name])}\n")
        for name, array in self.fields.items():
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["field", *self.axes[name], "value"])
            for index in np.ndindex(array.shape):
                writer.writerow([name, *index, int(array[index])])
        return out.getvalue()

    @classmethod
    def from_csv(cls, text: str, source: str = "<csv>") -> "Trace":
        """Parse the CSV form (see the module docstring)."""
        header: dict[str, str] = {}
        shapes: dict[str, tuple[int, ...]] = {}
        values: dict[str, list[tuple[tuple[int, ...], int]]] = {}
        axes: dict[str, tuple[str, ...]] = {}
        declared: dict[str, tuple[str, ...]] = {}  # axes from "# axes" lines
        current_axes: tuple[str, ...] | None = None
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or not row[0].strip():
                continue
            if row[0].startswith("#"):
                line = ",".join(row)[1:].strip()
                if line.startswith("shape "):
                    name, _, dims = line[6:].partition("=")
                    if not all(d.strip().isdecimal() and d.isascii() for d in dims.split("x")):
                        raise ValueError(f"{source}:{number}: shape {dims.strip()!r} of field {name.strip()} is not "
                                         f"sizes separated by x (e.g. 10x4)")
                    shapes[name.strip()] = tuple(int(d) for d in dims.split("x"))
                elif line.startswith("axes "):
                    name, _, names = line[5:].partition("=")
                    declared[name.strip()] = tuple(a.strip() for a in names.split(","))
                elif "=" in line:
                    key, _, value = line.partition("=")
                    header[key.strip()] = value.strip()
                continue
            if row[0] == "field":
                if row[-1] != "value":
                    raise ValueError(f"{source}:{number}: a column header must end in 'value', got {row}")
                current_axes = tuple(row[1:-1])
                continue
            if current_axes is None:
                raise ValueError(f"{source}:{number}: data before a 'field,...,value' column header")
            if len(row) != len(current_axes) + 2:
                raise ValueError(f"{source}:{number}: expected {len(current_axes) + 2} columns, got {len(row)}")
            try:
                index = tuple(int(v) for v in row[1:-1])
                value = int(row[-1])
            except ValueError:
                raise ValueError(f"{source}:{number}: {row[1:]} are not all integers (indices, then the value)") from None
            if any(i < 0 for i in index):
                raise ValueError(f"{source}:{number}: negative index {index}")
            if not INT64[0] <= value <= INT64[1]:
                raise ValueError(f"{source}:{number}: value {value} is outside the int64 range")
            name = row[0]
            if axes.setdefault(name, current_axes) != current_axes:
                raise ValueError(f"{source}:{number}: field {name} appears with axes {current_axes} and {axes[name]}")
            values.setdefault(name, []).append((index, value))
        if "chip" not in header:
            raise ValueError(f"{source}: missing '# chip=xylo|dynapcnn' header line")
        for name, shape in shapes.items():  # fields without rows: all zero
            if name not in values and name in declared and len(declared[name]) == len(shape):
                values[name], axes[name] = [], declared[name]
        fields = {}
        for name, entries in values.items():
            extent = tuple(max((ix[d] + 1 for ix, _ in entries), default=0) for d in range(len(axes[name])))
            shape = shapes.get(name, extent)
            if len(shape) != len(extent):
                raise ValueError(f"{source}: field {name} has {len(extent)} axes but its declared shape {shape} has "
                                 f"{len(shape)}")
            if any(e > s for e, s in zip(extent, shape)):
                raise ValueError(f"{source}: field {name} has an index beyond its declared shape {shape}")
            if np.prod(shape, dtype=object) > MAX_CSV_VALUES:
                raise ValueError(f"{source}: field {name} of shape {shape} has {np.prod(shape, dtype=object)} values, "
                                 f"over the limit of {MAX_CSV_VALUES} for a CSV trace (use .npz)")
            array = np.zeros(shape, np.int64)
            for index, value in entries:
                array[index] = value
            fields[name] = array
        return cls(chip=header["chip"], model=header.get("model", source), config_digest=header.get("config_digest", ""),
                   fields=fields, axes=axes)


@dataclass
class TraceDiff:
    """The outcome of :func:`diff`: the first difference (or ``None``) and per-field counts."""

    first: Difference | None
    counts: dict[str, int]
    compared: tuple[str, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]

    @property
    def equal(self) -> bool:
        return self.first is None

    def report(self) -> str:
        lines = []
        if self.first is None:
            lines.append(f"traces agree on {len(self.compared)} fields: {', '.join(self.compared)}")
        else:
            lines.append(self.first.headline())
            lines.append("values that differ per field:")
            lines += [f"  {name}: {count}" for name, count in self.counts.items()]
        for side, names in (("first", self.only_in_a), ("second", self.only_in_b)):
            if names:
                lines.append(f"fields only in the {side} trace (not compared): {', '.join(names)}")
        return "\n".join(lines)


def _compare_tables(a: np.ndarray, b: np.ndarray) -> tuple[int, tuple[int, int] | None]:
    """How many rows of two event tables differ (rows only in the longer one count), and the (row, time
    index) of the first such row, or ``None`` when they agree."""
    rows = min(len(a), len(b))
    differ = np.flatnonzero(np.any(a[:rows] != b[:rows], axis=1)) if rows else np.zeros(0, int)
    count = len(differ) + abs(len(a) - len(b))
    if len(differ):
        row = int(differ[0])
        return count, (row, int(min(a[row, 0], b[row, 0])))
    if len(a) != len(b):
        longer = a if len(a) > len(b) else b
        return count, (rows, int(longer[rows, 0]))
    return count, None


def _table_difference(name: str, a: np.ndarray, b: np.ndarray, row: int, time: int, names: tuple[str, str],
                      counts: dict[str, int]) -> Difference:
    """The :class:`Difference` of two event tables at ``row`` (time index ``time``)."""
    def describe(table: np.ndarray) -> object:
        return tuple(int(v) for v in table[row]) if row < len(table) else "no event"

    return Difference(field=name, index=(time, row), axes=("event", "row"), a=describe(a), b=describe(b),
                      counts=counts, names=names)


def diff(a: Trace, b: Trace, fields: Sequence[str] | None = None) -> TraceDiff:
    """Compare two traces of the same configuration and report where they first part.

    Refuses (``ValueError``, saying why) traces of different chips or configurations, and fields of
    different shapes or axes (event tables, whose first axis is ``row``, may differ in length). Fields
    present in only one trace are listed, not compared; a CSV trace without a ``config_digest`` line is
    taken to be of the other trace's configuration. The earliest difference in time wins, then field order.
    """
    if a.chip != b.chip:
        raise ValueError(f"traces of different chips: {a.chip} and {b.chip}")
    if a.config_digest and b.config_digest and a.config_digest != b.config_digest:
        raise ValueError(f"traces of different configurations: digest {a.config_digest[:12]}... against "
                         f"{b.config_digest[:12]}...")
    if fields:
        unknown = [n for n in fields if n not in a.fields or n not in b.fields]
        if unknown:
            raise ValueError(f"fields not in both traces: {unknown}")
    names = [n for n in (fields or a.fields) if n in b.fields]
    for name in names:
        if a.axes[name] != b.axes[name]:
            raise ValueError(f"field {name}: axes differ, {a.axes[name]} against {b.axes[name]}")
        shape_a, shape_b = a.fields[name].shape, b.fields[name].shape
        if (shape_a[1:] if a.is_table(name) else shape_a) != (shape_b[1:] if a.is_table(name) else shape_b):
            raise ValueError(f"field {name}: shapes differ, {shape_a} against {shape_b}")
    arrays = [n for n in names if not a.is_table(n)]
    first = first_difference({n: a.fields[n] for n in arrays}, {n: b.fields[n] for n in arrays},
                             axes={n: a.axes[n] for n in arrays}, names=(a.model, b.model))
    counts = dict(first.counts) if first else {n: 0 for n in arrays}
    best = (first.index[0], names.index(first.field), first) if first else None
    for name in (n for n in names if a.is_table(n)):
        counts[name], found = _compare_tables(a.fields[name], b.fields[name])
        if found and (best is None or (found[1], names.index(name)) < best[:2]):
            row, time = found
            best = (time, names.index(name), _table_difference(name, a.fields[name], b.fields[name], row, time,
                                                               (a.model, b.model), counts))
    counts = {n: counts[n] for n in names}
    first = None if best is None else dataclasses.replace(best[2], counts=counts)
    return TraceDiff(first=first, counts=counts, compared=tuple(names),
                     only_in_a=tuple(n for n in a.fields if n not in b.fields),
                     only_in_b=tuple(n for n in b.fields if n not in a.fields))


def xylo_trace(config, raster: np.ndarray, out: np.ndarray, rec: Mapping[str, np.ndarray], model: str = "numpy") -> Trace:
    """A Xylo trace from one unbatched ``evolve`` call: inputs, every hidden and readout state, outputs."""
    hidden, readout = ("step", "neuron"), ("step", "readout")
    fields = {"input": np.minimum(np.asarray(raster), 15), "Isyn": rec["Isyn"], "Isyn2": rec["Isyn2"],
              "Vmem": rec["Vmem"], "Spikes": rec["Spikes"], "Isyn_out": rec["Isyn_out"], "Vmem_out": rec["Vmem_out"],
              "out": out}
    axes = {"input": ("step", "channel"), "Isyn": hidden, "Isyn2": hidden, "Vmem": hidden, "Spikes": hidden,
            "Isyn_out": readout, "Vmem_out": readout, "out": readout}
    units = {name: "LSB" for name in fields} | {"input": "count", "Spikes": "count", "out": "count"}
    return Trace(chip="xylo", model=model, config_digest=config.digest(),
                 fields={k: np.asarray(v).astype(np.int64) for k, v in fields.items()}, axes=axes, units=units,
                 meta={"dt": config.dt, "version_rules": config.version})


#: Columns of the ``out_events`` table of a DYNAP-CNN trace.
DYNAPCNN_EVENT_COLUMNS = ("event", "core", "feature", "x", "y")


def _event_rows(index: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out_events`` rows of output events (monitor copies of the input layer left out), ``index`` the
    input event that caused each."""
    from .dynapcnn.config import N_CORES

    cores = out["layer"] < N_CORES
    return np.column_stack([index[cores], out["layer"][cores], out["feature"][cores], out["x"][cores],
                            out["y"][cores]]).astype(np.int64)


def dynapcnn_output_trace(config, events: np.ndarray, out: np.ndarray, model: str) -> Trace:
    """A DYNAP-CNN trace holding only ``out_events``, from the output events of any implementation that
    stamps each with the ``t`` of the input event that caused it (the RTL simulation, a board, a user's
    model): for the monitored cores, comparable with the same field of :func:`dynapcnn_trace`.
    The input events' timestamps must be distinct, so that a timestamp names one input event."""
    times = np.asarray(events["t"], np.int64)
    if len(np.unique(times)) != len(times):
        raise ValueError("events: timestamps must be distinct to tell which input event caused an output")
    order = np.argsort(times)
    index = order[np.searchsorted(times, np.asarray(out["t"], np.int64), sorter=order)]
    return Trace(chip="dynapcnn", model=model, config_digest=config.digest(),
                 fields={"out_events": _event_rows(index, out)}, axes={"out_events": ("row", "column")},
                 units={"out_events": "index"}, meta={"out_events_columns": list(DYNAPCNN_EVENT_COLUMNS)})


def dynapcnn_trace(config, events: np.ndarray, membrane_cores=(), order: str = "depth-first",
                   model: str = "numpy") -> Trace:
    """A DYNAP-CNN trace of the event-driven model, one input event at a time.

    Fields (time axis ``event``, the index of the input event):
        in_count (event, core): events that reached each of the nine cores;
        out_count (event, core): output events each core emitted;
        out_events (row, column): every core's output events (un-pooled, whether monitored or not) in
            emission order, columns :data:`DYNAPCNN_EVENT_COLUMNS`;
        membrane_core<n> (event, feature, x, y): core n's membranes after each input event, for the
            cores in ``membrane_cores``.
    """
    from .dynapcnn import DynapcnnSim
    from .dynapcnn.config import N_CORES

    from .dynapcnn.model import checked_events

    membrane_cores = config.check_used("membrane_cores", membrane_cores)
    checked_events(events)
    traced = config.replace(cores=tuple(None if c is None else c.replace(monitor_enable=True) for c in config.cores))
    sim = DynapcnnSim(traced, order=order)
    n = len(events)
    in_count = np.zeros((n, N_CORES), np.int64)
    out_count = np.zeros((n, N_CORES), np.int64)
    membranes = {core: np.zeros((n, *config.cores[core].neurons_initial_value.shape), np.int64)
                 for core in membrane_cores}
    rows = []
    before = sim.counters
    for i in range(n):
        out = sim(events[i:i + 1])
        rows.append(_event_rows(np.full(len(out), i), out))
        after = sim.counters
        in_count[i] = after["events_in"] - before["events_in"]
        out_count[i] = after["events_out"] - before["events_out"]
        before = after
        for core in membrane_cores:
            membranes[core][i] = sim.membranes(core)
    fields = {"in_count": in_count, "out_count": out_count,
              "out_events": np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 5), np.int64)}
    axes = {"in_count": ("event", "core"), "out_count": ("event", "core"), "out_events": ("row", "column")}
    for core, values in membranes.items():
        fields[f"membrane_core{core}"] = values
        axes[f"membrane_core{core}"] = ("event", "feature", "x", "y")
    units = {"in_count": "count", "out_count": "count", "out_events": "index"}
    return Trace(chip="dynapcnn", model=model, config_digest=config.digest(), fields=fields, axes=axes,
                 units=units | {f"membrane_core{c}": "LSB" for c in membrane_cores},
                 meta={"order": order, "out_events_columns": list(DYNAPCNN_EVENT_COLUMNS)})


def dynapcnn_timestepped_trace(config, raster: np.ndarray, membrane_cores=(), model: str = "timestepped") -> Trace:
    """A DYNAP-CNN trace of the time-stepped model (sinabs' forward semantics) on one raster (T, C, H, W).

    Fields (time axis ``step``):
        in_count (step, core): events (spike counts, after pooling) that reached each of the nine cores;
        out_count (step, core): spikes each core emitted;
        spikes_core<n> (step, feature, y, x): every used core's spike counts (torch axis order);
        membrane_core<n> (step, feature, y, x): core n's membranes after each step, for the cores in
            ``membrane_cores`` (each step's membranes cost one run of the prefix: keep such traces short).
    """
    from .extras import require

    require("the time-stepped DYNAP-CNN trace", "torch")
    import torch

    from .dynapcnn.config import N_CORES
    from .dynapcnn.timestepped import DynapcnnTimeStepped

    membrane_cores = config.check_used("membrane_cores", membrane_cores)
    raster = as_array("raster", raster)
    if raster.ndim != 4:
        raise ValueError(f"raster: expected shape (T, C, H, W), got {raster.shape}")
    forward = DynapcnnTimeStepped(config, device="cpu", dtype=torch.float64)
    result = forward(raster[None])
    steps = raster.shape[0]
    fields: dict[str, np.ndarray] = {"in_count": np.zeros((steps, N_CORES), np.int64),
                                     "out_count": np.zeros((steps, N_CORES), np.int64)}
    axes: dict[str, tuple[str, ...]] = {"in_count": ("step", "core"), "out_count": ("step", "core")}
    def route(counts: np.ndarray, destinations) -> None:
        """Add the events that ``destinations`` deliver (pooled, within the target's map) to in_count."""
        for destination in destinations:
            if destination.enable:
                width, height = config.cores[destination.layer].input_map
                p = destination.pooling
                fields["in_count"][:, destination.layer] += counts[:, :, :height * p, :width * p].sum(axis=(1, 2, 3))

    route(forward.dvs_layer(torch.as_tensor(raster, dtype=torch.float64)).numpy().astype(np.int64),
          config.dvs_layer.destinations)
    for core, spikes in result.spikes.items():
        counts = spikes[0].numpy().astype(np.int64)
        fields[f"spikes_core{core}"] = counts
        axes[f"spikes_core{core}"] = ("step", "feature", "y", "x")
        fields["out_count"][:, core] = counts.sum(axis=(1, 2, 3))
        route(counts, config.cores[core].destinations)
    for core in membrane_cores:
        shape = result.membranes[core].shape[1:]
        values = np.zeros((steps, *shape), np.int64)
        for t in range(steps):
            values[t] = forward(raster[None, :t + 1]).membranes[core][0].numpy()
        fields[f"membrane_core{core}"] = values
        axes[f"membrane_core{core}"] = ("step", "feature", "y", "x")
    return Trace(chip="dynapcnn", model=model, config_digest=config.digest(), fields=fields, axes=axes,
                 units={name: "count" if "count" in name or "spikes" in name else "LSB" for name in fields},
                 meta={"semantics": "time-stepped (sinabs forward)"})
