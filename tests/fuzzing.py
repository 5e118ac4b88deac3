"""Seeded input fuzzing of spikegate's public entry points (issue 18 item 4).

A *mutator* turns a valid input (a config's JSON document, an event array, a raster, a file) into a
broken one: wrong types, missing and extra fields, huge / negative / NaN / inf values, wrong shapes,
truncated files, bytes that are not JSON, wrong dtypes, shuffled or enormous timestamps, empty arrays.
An *entry point* (:data:`ENTRY_POINTS`) feeds one mutated input to one public function and classifies
what happened (:class:`Outcome`):

- ``refused``: a documented refusal: ``ValueError`` / ``TypeError`` (and their subclasses: ``UserError``'s
  library causes, ``MalformedSample``, ``json.JSONDecodeError``) from the library, or exit status 2 with
  one line on stderr from the command line, with a one-line message that is the project's own (not a
  Python or numpy internal message such as "unsupported operand type");
- ``accepted``: the call succeeded (the fuzzer then checks that the result is usable: an accepted config
  round-trips through JSON and runs in its model);
- ``bad``: anything else: another exception type, an internal message, a multi-line message, or a
  refused call that changed a model's state.

``python bench/fuzz_inputs.py`` runs 10,000 cases per entry point; ``tests/test_fuzz_inputs.py`` a
seeded sample of each.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import re
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.lib.recfunctions as rfn

from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, DynapcnnSim
from spikegate.sim.dynapcnn.config import CoreConfig, Destination, DvsLayerConfig, Size
from spikegate.sim.xylo import XyloConfig, XyloSim

#: Messages that come from Python, numpy or torch internals rather than from a project check: a refusal
#: with such a message does not name the field, value and limit, so it counts as bad.
INTERNAL_MESSAGE = re.compile("|".join([
    r"not supported between instances", r"unsupported operand", r"object is not", r"has no attribute",
    r"missing \d+ required", r"unexpected keyword argument", r"invalid literal for", r"could not convert",
    r"cannot be interpreted as", r"unhashable type", r"only integer scalar", r"out of bounds",
    r"cannot convert float", r"Python int too large", r"can't convert", r"object of type", r"takes \d+ positional",
    r"must be real number", r"int\(\) argument", r"argument must be", r"setting an array element",
    r"inhomogeneous", r"too many indices", r"cannot reshape", r"operands could not be broadcast",
    r"overflow encountered", r"^\s*$", r"^'[^']*'$", r"^\d+$", r"Cannot cast", r"ufunc",
]))

#: What a message quotes after this is a third-party reader's own reason (nir.read on a damaged file), not
#: a project check: only the part before it must be the project's.
THIRD_PARTY = "(nir.read: "
HUGE_INTS = (2 ** 15, 2 ** 16, 2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64, 10 ** 30, -1, -2 ** 15 - 1, -2 ** 63, -10 ** 30)
ODD_FLOATS = (math.nan, math.inf, -math.inf, 0.5, -0.5, 1e300, -1e300, 3.0)
ODD_VALUES = (None, True, False, "", "x", "12", [], {}, [[]], {"a": 1}, [1, "a"], [None])


# ------------------------------------------------------------------------------------------ outcomes
@dataclass
class Outcome:
    """What one fuzz case did: ``kind`` is "refused", "accepted" or "bad"; ``detail`` says why when bad."""

    kind: str
    detail: str = ""


@dataclass
class Tally:
    """Counts of outcomes per entry point, with the first few bad details."""

    counts: Counter = field(default_factory=Counter)
    bad: list = field(default_factory=list)

    def add(self, outcome: Outcome, case: str) -> None:
        self.counts[outcome.kind] += 1
        if outcome.kind == "bad" and len(self.bad) < 20:
            self.bad.append(f"{case}: {outcome.detail}")


class StateChanged(AssertionError):
    """A refused call left a model's state changed."""


def _message_problem(error: BaseException) -> str | None:
    text = str(error)
    if isinstance(error, json.JSONDecodeError):
        return None
    if "\n" in text.strip():
        return "multi-line message"
    if INTERNAL_MESSAGE.search(text):
        return "internal message"
    return None


def library_call(call, after_accept=None) -> Outcome:
    """Run ``call()``; a ValueError / TypeError with a project message is a clean refusal. When it returns,
    ``after_accept(result)`` (optional) checks that the result is usable."""
    try:
        result = call()
    except StateChanged as error:
        return Outcome("bad", f"state changed: {error}")
    except (ValueError, TypeError) as error:
        problem = _message_problem(error)
        if problem:
            return Outcome("bad", f"{problem}: {type(error).__name__}: {error} [{_where(error)}]")
        return Outcome("refused")
    except Exception as error:  # noqa: BLE001 (the fuzzer's job is to catch everything)
        return Outcome("bad", f"{type(error).__name__}: {error} [{_where(error)}]")
    if after_accept is not None:
        try:
            after_accept(result)
        except Exception as error:  # noqa: BLE001
            return Outcome("bad", f"accepted, then {type(error).__name__}: {error} [{_where(error)}]")
    return Outcome("accepted")


_PARSER: dict = {}


@contextlib.contextmanager
def _fast_cli():
    """The command line without its slow parts that no input reaches differently: one argument parser for
    every case (building it loads every subcommand, 0.2 s), and no figures or Verilog export (matplotlib and
    Amaranth draw what the checked inputs gave; their own tests cover them)."""
    from spikegate.converter.xylo import task
    from spikegate.hdl import vectors
    from spikegate.sim import cli
    from spikegate.sim.eval import runner

    if "parser" not in _PARSER:
        _PARSER["parser"] = cli.build_parser()
    parser = _PARSER["parser"]
    patches = [(cli, "build_parser", lambda: parser), (task, "plot_sample", lambda *a, **k: None),
               (vectors, "_write_xylo_testbench", lambda *a, **k: None),
               (vectors, "_write_core_testbench", lambda *a, **k: {}), (runner, "write_plots", lambda *a, **k: None)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def cli_call(argv: list[str]) -> Outcome:
    """Run ``spikegate ARGV`` in-process: exit 0 or 1 (trace diff: traces differ) is accepted, exit 2 with one
    line on stderr naming something is refused; an exception out of ``main`` is bad."""
    from spikegate.sim.cli import main

    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), _fast_cli():
            status = main(argv)
    except SystemExit as error:
        return Outcome("bad", f"SystemExit {error.code}")
    except Exception as error:  # noqa: BLE001
        return Outcome("bad", f"{type(error).__name__}: {error} [{_where(error)}]")
    lines = [line for line in err.getvalue().splitlines() if "warning:" not in line]
    if status in (0, 1):
        return Outcome("accepted")
    if status != 2:
        return Outcome("bad", f"exit status {status}")
    if len(lines) != 1:
        return Outcome("bad", f"{len(lines)} lines on stderr: {err.getvalue()!r}")
    if INTERNAL_MESSAGE.search(lines[0].split(": ", 1)[-1].split(THIRD_PARTY)[0]):
        return Outcome("bad", f"internal message: {lines[0]}")
    return Outcome("refused")


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if "spikegate" in f.filename or "/sim/" in f.filename or "/hdl/" in f.filename
              or "/converter/" in f.filename]
    frame = (inside or frames or [None])[-1]
    return "?" if frame is None else f"{Path(frame.filename).name}:{frame.lineno}"


# ------------------------------------------------------------------------------------- base inputs
def xylo_config(version: int = 1) -> XyloConfig:
    """A small Xylo network with every kind of register in use (recurrence, both synapses, aliases)."""
    rng = np.random.default_rng(1)
    weights_rec = np.zeros((6, 6, 2), np.int64)
    weights_rec[0, 1, 0], weights_rec[2, 3, 1], weights_rec[4, 5, 0] = 20, -10, 30
    return XyloConfig.from_spec(
        weights_in=rng.integers(-40, 40, (4, 6, 2)), weights_rec=weights_rec,
        weights_out=rng.integers(-40, 40, (6, 2)), dash_mem=[1, 2, 3, 4, 5, 6], dash_syn=2, dash_syn_2=3,
        dash_mem_out=1, dash_syn_out=2, threshold=[50, 60, 70, 80, 90, 100], threshold_out=40, weight_shift_in=1,
        aliases=[[1], [], [], [], [], []], bias=[1, 0, -1, 0, 2, 0] if version == 2 else None,
        bias_out=[3, 0] if version == 2 else None, version=version)


def xylo_raster(rng, steps: int = 6, n_in: int = 4) -> np.ndarray:
    return rng.integers(0, 20, (steps, n_in))


def chip_config(dvs: bool = False) -> ChipConfig:
    """A small two-core DYNAP-CNN network (8x8 input, 2 channels), fed directly or through a DVS layer
    that merges, pools, crops and mirrors."""
    rng = np.random.default_rng(2)
    core0 = CoreConfig.from_weights(rng.integers(-8, 12, (3, 1 if dvs else 2, 3, 3)), (8, 8), padding=(1, 1),
                                    threshold_high=10, threshold_low=-20, biases=[1, -1, 2],
                                    destinations=[Destination(layer=1, enable=True, pooling=2)], monitor_enable=True)
    core1 = CoreConfig.from_weights(rng.integers(-4, 8, (2, 3, 2, 2)), (4, 4), stride=(2, 2), threshold_high=5,
                                    threshold_low=-10, return_to_zero=True, monitor_enable=True)
    if dvs:
        layer = DvsLayerConfig(merge=True, pooling=Size(2, 2), origin=Size(1, 2), cut=Size(8, 9), mirror_x=True,
                               mirror_diagonal=True, monitor_enable=True,
                               destinations=(Destination(layer=0, enable=True),))
    else:
        layer = DvsLayerConfig.direct([0], (8, 8))
    return ChipConfig(cores={0: core0, 1: core1}, dvs_layer=layer, layer_to_core={0: 0, 1: 1})


def events(rng, n: int = 12, dvs: bool = False) -> np.ndarray:
    out = np.zeros(n, INPUT_EVENT_DTYPE)
    top = 20 if dvs else 8
    out["x"], out["y"] = rng.integers(0, top, n), rng.integers(0, top, n)
    out["p"], out["t"] = rng.integers(0, 2, n), np.sort(rng.choice(10_000, n, replace=False))
    return out


def dense_raster(rng, dvs: bool = False) -> np.ndarray:
    """(B, T, C, H, W) counts for the time-stepped model."""
    size = 20 if dvs else 8
    return rng.integers(0, 3, (2, 4, 2, size, size))


# ------------------------------------------------------------------------------------------ mutators
def _paths(node, prefix=()) -> list[tuple]:
    """Every path (tuple of keys / indices) into a JSON document, the root included."""
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, prefix + (key,))
    elif isinstance(node, list) and node:
        # a few indices, not all: large weight arrays would drown the scalars otherwise
        for index in sorted({0, len(node) - 1, len(node) // 2}):
            paths += _paths(node[index], prefix + (index,))
    return paths


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def _set(doc, path, value):
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _odd_value(rng, old):
    """A value of a wrong type, size or range in place of ``old``."""
    choice = rng.integers(9)
    if choice == 0:
        return ODD_VALUES[rng.integers(len(ODD_VALUES))]
    if choice == 1:
        return HUGE_INTS[rng.integers(len(HUGE_INTS))]
    if choice == 2:
        return ODD_FLOATS[rng.integers(len(ODD_FLOATS))]
    if choice == 3 and isinstance(old, list):  # wrong length
        return old[:rng.integers(len(old) + 1)] if old and rng.random() < 0.5 else old + old[:1] * rng.integers(1, 4)
    if choice == 4:  # one axis deeper or shallower
        return [old] if rng.random() < 0.5 or not isinstance(old, list) or not old else old[0]
    if choice == 5 and isinstance(old, (int, float)) and not isinstance(old, bool):
        return -old - 1 if rng.random() < 0.5 else old * 1000 + 1
    if choice == 6 and isinstance(old, list) and old:  # one element wrong
        new = copy.deepcopy(old)
        index = rng.integers(len(new))
        new[index] = _odd_value(rng, new[index])
        return new
    if choice == 7:
        return str(old)
    return float(old) if isinstance(old, int) and not isinstance(old, bool) else [old, old]


def mutate_doc(doc: dict, rng, mutations: int | None = None):
    """A mutated copy of a JSON document: 1-3 changes of a random field (replaced, deleted, renamed, or an
    extra field added). The result may be any JSON value."""
    doc = copy.deepcopy(doc)
    for _ in range(mutations or int(rng.integers(1, 4))):
        paths = _paths(doc)
        path = paths[rng.integers(len(paths))]
        parent = _get(doc, path[:-1]) if path else None
        action = rng.integers(6)
        if action == 0 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == 1 and isinstance(parent, dict):
            parent[path[-1] + "_x"] = parent.pop(path[-1])
        elif action == 2 and isinstance(_get(doc, path), dict):
            _get(doc, path)[["extra", "format", "version", "0", "cores", "x"][rng.integers(6)]] = _odd_value(rng, 1)
        elif action == 3 and isinstance(parent, list):
            del parent[path[-1]]
        else:
            doc = _set(doc, path, _odd_value(rng, _get(doc, path)))
    return doc


def mutate_text(text: str, rng) -> str:
    """A damaged JSON file: truncated, garbled, not JSON, or a JSON value of the wrong kind."""
    choice = rng.integers(6)
    if choice == 0:
        return text[:rng.integers(len(text))]
    if choice == 1:
        chars = list(text)
        for _ in range(rng.integers(1, 5)):
            junk = "{}[],:\"x0-.e\x00 "
            chars[rng.integers(len(chars))] = junk[rng.integers(len(junk))]
        return "".join(chars)
    if choice == 2:
        return ["", "null", "[]", "42", "\"text\"", "NaN", "{", "\ufeff{}", "{\"format\": 1}"][rng.integers(9)]
    if choice == 3:
        return text.replace("]", "", 1) if rng.random() < 0.5 else text + "}"
    if choice == 4:
        return text.replace("0", "1e999", 1) if rng.random() < 0.5 else text.replace("1", "-Infinity", 1)
    return "".join(chr(int(c)) for c in rng.integers(1, 0x2FF, 40))


def config_text(config, rng) -> str:
    """A mutated JSON file of ``config``: mostly a structured mutation, sometimes damaged text."""
    text = config.to_json()
    if rng.random() < 0.25:
        return mutate_text(text, rng)
    try:
        return json.dumps(mutate_doc(json.loads(text), rng))
    except ValueError:  # a value json cannot write (NaN with allow_nan... never here); keep text form
        return text


def mutate_events(base: np.ndarray, rng):
    """A mutated input event array: a field's values, dtype, order, size or layout."""
    ev = base.copy()
    choice = rng.integers(12)
    if choice == 0:  # a field's values out of range (kept in uint32)
        name = INPUT_EVENT_DTYPE.names[rng.integers(4)]
        index = rng.integers(len(ev))
        ev[name][index] = [8, 128, 255, 2 ** 16, 2 ** 31, 2 ** 32 - 1][rng.integers(6)]
        return ev
    if choice == 1:  # a wider or signed dtype with negative or enormous values
        kind = ["<i8", "<u8", "<i4", "<i2", "<u1", ">u4", "<f8", "<f4", "?", "<m8[us]"][rng.integers(10)]
        name = INPUT_EVENT_DTYPE.names[rng.integers(4)]
        dtype = np.dtype([(n, kind if n == name else "<u4") for n in INPUT_EVENT_DTYPE.names])
        out = np.zeros(len(ev), dtype)
        for n in INPUT_EVENT_DTYPE.names:
            out[n] = ev[n].astype(dtype[n]) if dtype[n].kind != "m" else ev[n].astype(np.int64)
        if dtype[name].kind in "iu":
            out[name][rng.integers(len(out))] = np.array([-1, 2 ** 40, -2 ** 40, 2 ** 62])[rng.integers(4)].astype(
                dtype[name], casting="unsafe")
        elif dtype[name].kind == "f":
            out[name][rng.integers(len(out))] = ODD_FLOATS[rng.integers(len(ODD_FLOATS))]
        return out
    if choice == 2:  # order
        return ev[rng.permutation(len(ev))] if rng.random() < 0.5 else ev[::-1]
    if choice == 3:  # size
        return [ev[:0], ev[:1], np.concatenate([ev] * int(rng.integers(2, 20)))][rng.integers(3)]
    if choice == 4:  # enormous or equal timestamps
        ev["t"] = [2 ** 32 - 1, 0, 2 ** 31][rng.integers(3)] - np.arange(len(ev), dtype=np.uint32) * rng.integers(2)
        return ev
    if choice == 5:  # a field missing, extra or renamed
        names = list(INPUT_EVENT_DTYPE.names)
        drop = names[rng.integers(4)]
        if rng.random() < 0.5:
            keep = [n for n in names if n != drop]
            return ev[keep] if rng.random() < 0.5 else rfn.repack_fields(ev[keep])
        extra = np.zeros(len(ev), INPUT_EVENT_DTYPE.descr + [("extra", "<u4")])
        for n in names:
            extra[n] = ev[n]
        return extra
    if choice == 6:  # field order
        dtype = np.dtype([(n, "<u4") for n in rng.permutation(INPUT_EVENT_DTYPE.names)])
        out = np.zeros(len(ev), dtype)
        for n in INPUT_EVENT_DTYPE.names:
            out[n] = ev[n]
        return out
    if choice == 7:  # not a 1-D structured array
        return [ev.reshape(-1, 1), ev[0], ev.view(np.uint32).reshape(-1, 4), ev.tolist(), None, 3,
                np.zeros((len(ev), 4), np.int64), np.array([], dtype=object), "events",
                ev.reshape(2, -1) if len(ev) % 2 == 0 else ev[None]][rng.integers(10)]
    if choice == 8:  # values at the map's edges
        for name in ("x", "y", "p"):
            ev[name][rng.integers(len(ev))] = rng.integers(0, 300)
        return ev
    if choice == 9:  # non-contiguous / record / read-only views
        view = ev[::2]
        if rng.random() < 0.5:
            view = view.copy()
            view.flags.writeable = False
        return view.view(np.recarray) if rng.random() < 0.5 else view
    if choice == 10:  # many events at once, one spot (saturation)
        ev = np.repeat(ev[:1], int(rng.integers(100, 3000)))
        return ev
    ev["p"] = rng.integers(0, 1000, len(ev))
    return ev


def mutate_raster(base: np.ndarray, rng):
    """A mutated count raster (any number of axes): dtype, shape, values, NaN / inf, empty axes."""
    raster = np.array(base)
    choice = rng.integers(12)
    if choice == 0:
        dtype = ["<f8", "<f4", "<f2", "?", "<u1", "<u2", "<u4", "<u8", "<i1", "<i2", "<i4", ">i8", "<c8", "<U3",
                 "O", "<m8[s]"][rng.integers(16)]
        return raster.astype(dtype)
    if choice == 1:  # NaN / inf / fractions in a float raster
        raster = raster.astype(np.float64 if rng.random() < 0.5 else np.float32)
        raster.flat[rng.integers(raster.size)] = ODD_FLOATS[rng.integers(len(ODD_FLOATS))]
        return raster
    if choice == 2:  # huge or negative values
        raster = raster.astype([np.int64, np.uint64, np.int32, np.int16][rng.integers(4)])
        value = [2 ** 15, 2 ** 31 - 1, 2 ** 62, 256, 255, 16, -1, -2 ** 31][rng.integers(8)]
        raster.flat[rng.integers(raster.size)] = np.array(value).astype(raster.dtype, casting="unsafe")
        return raster
    if choice == 3:  # an axis added, removed, or resized
        axis = rng.integers(raster.ndim)
        action = rng.integers(3)
        if action == 0:
            return raster[None] if rng.random() < 0.5 else raster[..., None]
        if action == 1:
            return raster.take(0, axis=axis)
        return np.concatenate([raster] * 2, axis=axis) if rng.random() < 0.5 else raster.take(
            range(max(1, raster.shape[axis] - 1)), axis=axis)
    if choice == 4:  # empty along an axis
        axis = rng.integers(raster.ndim)
        return raster.take([], axis=axis)
    if choice == 5:  # not an array at all
        return [None, "raster", 3, [], [[1, 2], [3]], {"a": 1}, raster.tolist(), b"\x00\x01",
                np.array(3), np.array([1, 2, 3])][rng.integers(10)]
    if choice == 6:  # views: transposed, strided, read-only, Fortran order
        view = [raster.T, raster[::2], np.asfortranarray(raster), raster[..., ::-1]][rng.integers(4)]
        view = view.view()
        view.flags.writeable = False
        return view
    if choice == 7:  # very long time axis, or many samples
        return np.repeat(raster, int(rng.integers(2, 50)), axis=int(rng.integers(raster.ndim)))
    if choice == 8:  # all at the counter limits
        return np.full_like(raster, [15, 16, 255, 0][rng.integers(4)])
    if choice == 9:
        return raster.astype(np.int64) * -1
    if choice == 10:  # structured
        return raster.astype([("x", "<i8")])
    return raster.astype(np.float64) + 0.25


# -------------------------------------------------------------------------------------- state checks
def xylo_state(sim: XyloSim):
    return None if sim._state is None else ({k: v.copy() for k, v in sim._state.items()}, sim._batched)


def _same_xylo_state(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a[1] == b[1] and all(np.array_equal(a[0][k], b[0][k]) for k in a[0])


def dynapcnn_state(sim: DynapcnnSim):
    return sim._state.copy(), sim._counters.copy()


def checked_state(get, same=None):
    """A context: raise :class:`StateChanged` when the call inside raises and ``get()`` changed."""
    same = same or (lambda a, b: all(np.array_equal(x, y) for x, y in zip(a, b)))

    @contextlib.contextmanager
    def guard():
        before = get()
        try:
            yield
        except BaseException:
            if not same(before, get()):
                raise StateChanged("a refused call changed the model's state") from None
            raise

    return guard()


# ------------------------------------------------------------------------------------- entry points
class Workspace:
    """Base objects and a scratch folder shared by the cases of one run."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.xylo = {1: xylo_config(1), 2: xylo_config(2)}
        self.chips = {False: chip_config(False), True: chip_config(True)}
        self._timestepped = {}

    def timestepped(self, dvs: bool):
        if dvs not in self._timestepped:
            import torch

            from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

            self._timestepped[dvs] = DynapcnnTimeStepped(self.chips[dvs], device="cpu", dtype=torch.float64)
        return self._timestepped[dvs]

    def path(self, name: str) -> Path:
        return self.folder / name


def _write_array(path: Path, value) -> None:
    """Save ``value`` with numpy.save (object arrays too: the loader must refuse them)."""
    with open(path, "wb") as file:
        np.save(file, np.asarray(value) if not isinstance(value, np.ndarray) else value, allow_pickle=True)


def _use_xylo(config: XyloConfig) -> None:
    """An accepted Xylo config must round-trip and run."""
    assert XyloConfig.from_json(config.to_json()) == config, "JSON round trip changed the config"
    XyloSim(config).evolve(np.ones((3, config.n_inputs), np.int64), record=True)


def _use_chip(config: ChipConfig) -> None:
    """An accepted DYNAP-CNN config must round-trip and run (or be refused by the model with ValueError)."""
    assert ChipConfig.from_json(config.to_json()) == config, "JSON round trip changed the config"
    try:
        sim = DynapcnnSim(config)
    except ValueError:  # a routing loop: the models refuse it, naming the cores
        return
    sim(np.zeros(0, INPUT_EVENT_DTYPE))
    sim.leak_tick()


def fuzz_xylo_config(ws: Workspace, rng) -> Outcome:
    text = config_text(ws.xylo[int(rng.integers(1, 3))], rng)
    return library_call(lambda: XyloConfig.from_json(text), _use_xylo)


def fuzz_dynapcnn_config(ws: Workspace, rng) -> Outcome:
    text = config_text(ws.chips[bool(rng.integers(2))], rng)
    return library_call(lambda: ChipConfig.from_json(text), _use_chip)


def fuzz_xylo_model(ws: Workspace, rng) -> Outcome:
    sim = XyloSim(ws.xylo[int(rng.integers(1, 3))])
    sim.evolve(xylo_raster(rng)[None] if rng.random() < 0.3 else xylo_raster(rng))  # a non-zero state to keep
    base = xylo_raster(rng)
    raster = mutate_raster(base[None] if rng.random() < 0.3 else base, rng)

    def call():
        with checked_state(lambda: xylo_state(sim), _same_xylo_state):
            return sim.evolve(raster, record=bool(rng.integers(2)))

    return library_call(call)


def fuzz_dynapcnn_model(ws: Workspace, rng) -> Outcome:
    dvs = bool(rng.integers(2))
    sim = DynapcnnSim(ws.chips[dvs], order=["depth-first", "breadth-first"][rng.integers(2)])
    sim(events(rng, dvs=dvs))  # a non-zero state to keep
    mutated = mutate_events(events(rng, dvs=dvs), rng)
    tick = rng.random() < 0.1
    cores = [None, [0], [1], [5], [-1], ["0"], 0, [0.5], "01"][rng.integers(9)]
    t = [0, -1, 2 ** 32, 2 ** 64, 1.5, "1", None][rng.integers(7)]

    def call():
        with checked_state(lambda: dynapcnn_state(sim)):
            return sim.leak_tick(cores, t) if tick else sim(mutated)

    return library_call(call)


def fuzz_dynapcnn_timestepped(ws: Workspace, rng) -> Outcome:
    dvs = bool(rng.integers(2))
    model = ws.timestepped(dvs)
    raster = mutate_raster(dense_raster(rng, dvs), rng)
    return library_call(lambda: model(raster))


def fuzz_trace_writers(ws: Workspace, rng) -> Outcome:
    """The trace makers of both chips on mutated inputs and options, then the trace written and read back."""
    from spikegate.sim.trace import Trace, dynapcnn_timestepped_trace, dynapcnn_trace, xylo_trace

    kind = rng.integers(3)
    membranes = [(), (0,), (1,), (0, 1), (4,), (-1,), ("0",), None, 0][rng.integers(9)]
    suffix = ".csv" if rng.random() < 0.3 else ".npz"
    path = ws.path(f"trace{suffix}")

    def call():
        if kind == 0:
            config = ws.xylo[int(rng.integers(1, 3))]
            raster = mutate_raster(xylo_raster(rng), rng)
            out, _, rec = XyloSim(config).evolve(raster, record=True)
            trace = xylo_trace(config, raster, out, rec)
        elif kind == 1:
            dvs = bool(rng.integers(2))
            evs = mutate_events(events(rng, 6, dvs), rng)
            evs = evs[:64] if isinstance(evs, np.ndarray) and evs.ndim == 1 else evs  # one model call per event
            trace = dynapcnn_trace(ws.chips[dvs], evs, membrane_cores=membranes)
        else:
            dvs = bool(rng.integers(2))
            raster = mutate_raster(dense_raster(rng, dvs)[0], rng)
            long = isinstance(raster, np.ndarray) and raster.ndim and raster.shape[0] > 8
            trace = dynapcnn_timestepped_trace(ws.chips[dvs], raster, membrane_cores=() if long else membranes)
        written = trace.save(path)
        back = Trace.load(written)
        assert set(back.fields) == set(trace.fields), "fields lost in the file"
        for name in trace.fields:
            assert np.array_equal(back.fields[name], trace.fields[name]), f"field {name} changed in the file"
        return trace

    return library_call(call)


def fuzz_trace_files(ws: Workspace, rng) -> Outcome:
    """Trace.load on damaged .npz and .csv trace files."""
    from spikegate.sim.trace import Trace, xylo_trace

    config = ws.xylo[1]
    raster = xylo_raster(rng)
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    trace = xylo_trace(config, raster, out, rec)
    if rng.random() < 0.4:
        text = trace.to_csv()
        lines = text.splitlines()
        for _ in range(rng.integers(1, 4)):
            i = rng.integers(len(lines))
            lines[i] = [lines[i][:rng.integers(len(lines[i]) + 1)], lines[i] + ",7", "", "# shape Vmem=x",
                        "# chip=nochip", "field,step,value", lines[i].replace("0", "-1"), "Vmem,99999999999,0,1",
                        lines[i].replace("1", "1.5"), "# shape Vmem=0x0", "# shape Vmem=99999x99999x99999",
                        "Vmem,0,0,99999999999999999999999"][rng.integers(12)]
        path = ws.path("t.csv")
        path.write_text("\n".join(lines))
    else:
        path = ws.path("t.npz")
        header = trace.header()
        fields = dict(trace.fields)
        choice = rng.integers(4)
        if choice == 0:
            header = mutate_doc(header, rng)
        elif choice == 1:
            name = list(fields)[rng.integers(len(fields))]
            fields[name] = mutate_raster(fields[name], rng)
            if not isinstance(fields[name], np.ndarray) or fields[name].dtype == object:
                fields[name] = np.array(3)
        elif choice == 2:
            del fields[list(fields)[rng.integers(len(fields))]]
        try:
            header_text = json.dumps(header)
        except (TypeError, ValueError):
            header_text = "{"
        if choice == 3:
            header_text = mutate_text(header_text, rng)
        arrays = {"__header__": np.array(header_text), **fields}
        if rng.random() < 0.1:
            arrays["__header__"] = np.array([1, 2])
        with open(path, "wb") as file:
            np.savez(file, **{k: v for k, v in arrays.items() if not (isinstance(v, np.ndarray) and v.dtype == object)})
        if rng.random() < 0.1:
            data = path.read_bytes()
            path.write_bytes(data[:rng.integers(len(data))])
    return library_call(lambda: Trace.load(path))


def fuzz_vectors(ws: Workspace, rng) -> Outcome:
    """Test-vector writers of both chips (no Verilog export) on mutated inputs."""
    from spikegate.hdl.vectors import export_dynapcnn, export_xylo

    folder = ws.path("vectors")
    if rng.random() < 0.5:
        config = ws.xylo[int(rng.integers(1, 3))]
        raster = mutate_raster(xylo_raster(rng), rng)
        return library_call(lambda: export_xylo(config, raster, folder, with_state=bool(rng.integers(2)),
                                                with_verilog=False))
    membranes = [(), (0,), (1,), (4,), (-1,), ("0",), None, 0][rng.integers(8)]
    evs = mutate_events(events(rng, 6, True), rng)
    # the chip with a DVS layer has two cores: no Verilog core testbench (the Amaranth export) is written
    return library_call(lambda: export_dynapcnn(ws.chips[True], evs, folder, membrane_cores=membranes))


def fuzz_datasets(ws: Workspace, rng) -> Outcome:
    """The eval dataset readers on damaged .npz datasets, sample folders, N-MNIST .bin files and specs."""
    from spikegate.sim.eval.datasets import open_dataset, read_nmnist_bin, save_events_npz, save_rasters_npz

    choice = rng.integers(5)
    if choice == 0:  # an N-MNIST binary file of random or damaged bytes
        path = ws.path(f"s{rng.integers(1 << 30)}.bin")
        raw = rng.integers(0, 256, int(rng.integers(0, 60)), dtype=np.uint8)
        raw[1::5] = np.where(rng.random(raw[1::5].size) < 0.3, 240, raw[1::5])
        path.write_bytes(raw.tobytes())

        def call():
            out = read_nmnist_bin(path)
            path.unlink()
            assert out.dtype == INPUT_EVENT_DTYPE
            return out
        return library_call(call)
    if choice == 1:  # a spec string
        spec = ["synthetic:", "synthetic:dvs:0", "synthetic:xylo:-3", "synthetic:dvs:1e3", "synthetic:xylo:2:x",
                "synthetic:dvs:99999999999999999999", "synthetic:nope", "tonic:", "tonic:NMNIST", "tonic:X:/nope:val",
                str(ws.folder / "missing.npz"), str(ws.folder), "", ":", "synthetic:dvs:2:3:4",
                "synthetic:xylo:1:-5", "\x00", "synthetic:dvs: 2"][rng.integers(18)]
        return library_call(lambda: _load_all(open_dataset(spec)))
    if choice == 2:  # a sample folder with damaged .npy / .bin samples
        root = ws.path(f"folder{rng.integers(1 << 30)}")
        for label in range(int(rng.integers(0, 3))):
            (root / str(label)).mkdir(parents=True)
            sample = mutate_events(events(rng), rng)
            if rng.random() < 0.5:
                _write_array(root / str(label) / "a.npy", sample)
            else:
                (root / str(label) / "b.bin").write_bytes(rng.integers(0, 256, int(rng.integers(0, 30)),
                                                                     dtype=np.uint8).tobytes())
        root.mkdir(exist_ok=True)
        sensor = [None, (8, 8, 2), (0, 0, 0), (-1, 5, 2)][rng.integers(4)]
        return library_call(lambda: _load_all(open_dataset(root, sensor=sensor)))
    path = ws.path(f"d{rng.integers(1 << 30)}.npz")
    if choice == 3:  # events layout
        samples = [events(rng, int(rng.integers(0, 5))) for _ in range(3)]
        with open(path, "wb") as file:
            save_events_npz(file, samples, [0, 1, 2], sensor=(8, 8, 2))
    else:
        with open(path, "wb") as file:
            save_rasters_npz(file, rng.integers(0, 3, (3, 5, 4)), [0, 1, 2])
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    key = list(arrays)[rng.integers(len(arrays))]
    action = rng.integers(4)
    if action == 0:
        del arrays[key]
    elif action == 1:
        arrays[key] = mutate_raster(arrays[key], rng) if arrays[key].dtype.names is None else mutate_events(
            arrays[key], rng)
    elif action == 2:
        arrays[key] = np.asarray([[-1, 2 ** 40, 7][rng.integers(3)]] * int(rng.integers(0, 6)))
    else:
        arrays["extra"] = np.zeros(2)
    arrays = {k: np.asarray(v) for k, v in arrays.items() if not (isinstance(v, np.ndarray) and v.dtype == object)
              and v is not None and not isinstance(v, (str, dict, bytes, list, int))}
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    if rng.random() < 0.1:
        path.write_bytes(path.read_bytes()[:rng.integers(200)])
    return library_call(lambda: _load_all(open_dataset(path)))


def _load_all(dataset):
    """Every sample of ``dataset`` (at most 8), each refused only by MalformedSample."""
    from spikegate.sim.eval.datasets import MalformedSample

    assert len(dataset.labels) == len(dataset), "labels and samples differ in number"
    dataset.describe()
    for index in range(min(len(dataset), 8)):
        dataset.name(index)
        try:
            sample = dataset.load(index)
        except MalformedSample:
            continue
        if dataset.kind == "events":
            assert sample.dtype == INPUT_EVENT_DTYPE, f"sample {index} has dtype {sample.dtype}"
    return dataset


# ------------------------------------------------------------------------------------ CLI entry points
def _config_file(ws: Workspace, config, rng, name: str) -> Path:
    path = ws.path(name)
    path.write_text(config.to_json() if rng.random() < 0.3 else config_text(config, rng))
    return path


def _input_file(ws: Workspace, value, rng, name: str) -> Path:
    path = ws.path(name)
    if rng.random() < 0.05:
        path.write_bytes(b"\x93NUMPY" + bytes(rng.integers(0, 256, 30, dtype=np.uint8)))
    else:
        try:
            _write_array(path, value)
        except (ValueError, TypeError):
            path.write_bytes(b"")
    return path


def fuzz_cli_trace_record(ws: Workspace, rng) -> Outcome:
    if rng.random() < 0.5:
        config = _config_file(ws, ws.xylo[int(rng.integers(1, 3))], rng, "cli_xylo.json")
        data = _input_file(ws, mutate_raster(xylo_raster(rng), rng) if rng.random() < 0.7 else xylo_raster(rng),
                           rng, "cli_raster.npy")
        argv = ["trace", "record", "xylo", str(config), str(data)]
    else:
        dvs = bool(rng.integers(2))
        config = _config_file(ws, ws.chips[dvs], rng, "cli_chip.json")
        evs = mutate_events(events(rng, 6, dvs), rng) if rng.random() < 0.7 else events(rng, 6, dvs)
        evs = evs[:64] if isinstance(evs, np.ndarray) and evs.ndim == 1 else evs  # the trace runs one event a call
        data = _input_file(ws, evs, rng, "cli_events.npy")
        argv = ["trace", "record", "dynapcnn", str(config), str(data)]
        argv += ["--membranes", *[str(c) for c in [[], [0], [1], [7]][rng.integers(4)]]]
    return cli_call(argv + ["--out", str(ws.path("cli_trace.npz" if rng.random() < 0.7 else "cli_trace.csv"))])


def fuzz_cli_trace_diff(ws: Workspace, rng) -> Outcome:
    from spikegate.sim.trace import xylo_trace

    config = ws.xylo[1]
    raster = xylo_raster(rng)
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    good = xylo_trace(config, raster, out, rec).save(ws.path("good.npz"))
    fuzz_trace_files(ws, rng)  # writes a damaged t.csv or t.npz
    damaged = ws.path("t.csv") if (ws.path("t.csv").exists() and rng.random() < 0.4) else ws.path("t.npz")
    if not damaged.exists():
        damaged = ws.path("t.csv")
    argv = ["trace", "diff", str(good), str(damaged)] if rng.random() < 0.5 else ["trace", "diff", str(damaged),
                                                                                      str(good)]
    if rng.random() < 0.3:
        argv += ["--field", ["Vmem", "nope", "", "out"][rng.integers(4)]]
    return cli_call(argv)


def fuzz_cli_xylo_run(ws: Workspace, rng) -> Outcome:
    config = _config_file(ws, ws.xylo[int(rng.integers(1, 3))], rng, "run_xylo.json")
    data = _input_file(ws, mutate_raster(xylo_raster(rng), rng), rng, "run_raster.npy")
    return cli_call(["xylo", "run", str(config), str(data), "--out", str(ws.path("xylo_run")), "--no-progress"])


def fuzz_cli_vectors_export(ws: Workspace, rng) -> Outcome:
    if rng.random() < 0.5:
        config = _config_file(ws, ws.xylo[int(rng.integers(1, 3))], rng, "vec_xylo.json")
        data = _input_file(ws, mutate_raster(xylo_raster(rng), rng), rng, "vec_raster.npy")
        extra = ["--no-state"] if rng.random() < 0.5 else []
    else:
        config = _config_file(ws, ws.chips[True], rng, "vec_chip.json")
        data = _input_file(ws, mutate_events(events(rng, 6, True), rng), rng, "vec_events.npy")
        extra = ["--membranes", *[str(c) for c in [[], [0], [1], [7]][rng.integers(4)]]]
    return cli_call(["vectors", "export", str(config), str(data), "--out", str(ws.path("vec_out")), *extra])


def fuzz_cli_eval(ws: Workspace, rng) -> Outcome:
    """``spikegate eval`` serially in-process on a damaged config and a damaged .npz dataset."""
    xylo = rng.random() < 0.5
    from spikegate.sim.eval.synthetic import dynapcnn_network, xylo_network

    config = _config_file(ws, xylo_network() if xylo else dynapcnn_network(), rng, "eval_cfg.json")
    path = ws.path(f"eval_data{rng.integers(1 << 30)}.npz")  # a new name: datasets are cached by path
    if xylo:
        arrays = {"rasters": rng.integers(0, 3, (3, 5, 16)), "labels": np.array([0, 1, 2])}
    else:
        samples = [events(rng, 4) for _ in range(3)]
        evs = np.concatenate(samples)
        arrays = {"events": evs, "offsets": np.array([0, 4, 8, 12]), "labels": np.array([0, 1, 2]),
                  "sensor": np.array([16, 16, 2])}
    key = list(arrays)[rng.integers(len(arrays))]
    arrays[key] = mutate_raster(arrays[key], rng) if arrays[key].dtype.names is None else mutate_events(arrays[key], rng)
    arrays = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype != object}
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    options = [[], ["--mode", "timestep"], ["--rule", "vmem"], ["--output-core", "5"], ["--dt-us", "0"],
               ["--pj-per-sop", "nan"], ["--shard-size", "0"], ["--output-core", "-1"]][rng.integers(8)]
    return cli_call(["eval", str(config), str(path), "--workers", "0", "--no-progress", "--overwrite",
                     "--out", str(ws.path("eval_out")), *options])


def nir_graph():
    """A small NIR chain the DYNAP-CNN converter takes: conv → IF → avg pool → flatten → affine → IF."""
    import nir

    rng = np.random.default_rng(4)
    nodes = {
        "input": nir.Input(np.array([2, 8, 8])),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=rng.normal(0.2, 0.5, (4, 2, 3, 3)).astype(np.float32), stride=1,
                           padding=1, dilation=1, groups=1, bias=rng.normal(0, 0.2, 4).astype(np.float32)),
        "if1": nir.IF(r=np.ones((4, 8, 8)), v_threshold=np.full((4, 8, 8), 2.0)),
        "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0),
        "fc": nir.Affine(weight=rng.normal(0.1, 0.5, (3, 64)).astype(np.float32),
                         bias=rng.normal(0, 0.2, 3).astype(np.float32)),
        "if2": nir.IF(r=np.ones(3), v_threshold=np.full(3, 2.0)),
        "output": nir.Output(np.array([3])),
    }
    order = list(nodes)
    return nodes, list(zip(order, order[1:]))


def fuzz_cli_dynapcnn_convert(ws: Workspace, rng) -> Outcome:
    """``spikegate dynapcnn convert`` on a NIR file with a mutated parameter array, a node removed, or damaged bytes."""
    import dataclasses

    import nir

    nodes, edges = nir_graph()
    name = list(nodes)[rng.integers(len(nodes))]
    if rng.random() < 0.1:
        del nodes[name]
    else:
        node = nodes[name]
        arrays = [f.name for f in dataclasses.fields(node) if isinstance(getattr(node, f.name), np.ndarray)]
        if arrays:
            attribute = arrays[rng.integers(len(arrays))]
            value = mutate_raster(getattr(node, attribute), rng)
            if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.ndim:
                with contextlib.suppress(Exception):  # a value nir itself refuses: keep the node
                    nodes[name] = dataclasses.replace(node, **{attribute: value})
    path = ws.path("model.nir")
    try:
        nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    except Exception:  # noqa: BLE001 (a graph nir cannot write: damaged bytes instead)
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(rng.integers(0, 256, 64, dtype=np.uint8)))
    if rng.random() < 0.2:
        data = bytearray(path.read_bytes())
        for _ in range(rng.integers(1, 20)):
            data[rng.integers(len(data))] = rng.integers(256)
        path.write_bytes(bytes(data[:rng.integers(len(data) + 1)] if rng.random() < 0.5 else data))
    options = [[], ["--input-shape", "2", "8", "8"], ["--input-shape", "0", "8", "8"], ["--input-shape", "2", "-8", "9"],
               ["--ordering", "0", "1"], ["--ordering", "9", "1"], ["--ordering", "0", "0"], ["--ordering", "-1"],
               ["--chip", "speck2e"]][rng.integers(9)]
    return cli_call(["dynapcnn", "convert", str(path), "--out", str(ws.path("converted.json")), *options])


#: name -> (function(workspace, rng) -> Outcome, relative cost: the CI sample runs SAMPLE // cost cases)
ENTRY_POINTS = {
    "xylo.config (XyloConfig.from_json)": (fuzz_xylo_config, 4),
    "dynapcnn.config (ChipConfig.from_json)": (fuzz_dynapcnn_config, 1),
    "xylo.model (XyloSim.evolve)": (fuzz_xylo_model, 1),
    "dynapcnn.model (DynapcnnSim)": (fuzz_dynapcnn_model, 1),
    "dynapcnn.timestepped (DynapcnnTimeStepped)": (fuzz_dynapcnn_timestepped, 12),
    "trace writers (xylo/dynapcnn traces, save, load)": (fuzz_trace_writers, 6),
    "trace files (Trace.load)": (fuzz_trace_files, 2),
    "vectors (export_xylo / export_dynapcnn)": (fuzz_vectors, 4),
    "eval datasets (open_dataset, load)": (fuzz_datasets, 2),
    "cli: trace record": (fuzz_cli_trace_record, 10),
    "cli: trace diff": (fuzz_cli_trace_diff, 6),
    "cli: xylo run": (fuzz_cli_xylo_run, 25),
    "cli: vectors export": (fuzz_cli_vectors_export, 12),
    "cli: eval": (fuzz_cli_eval, 12),
    "cli: dynapcnn convert (NIR files)": (fuzz_cli_dynapcnn_convert, 12),
}
SAMPLE = 200  #: cases of the cheapest entry points in the CI sample


def run(name: str, cases: int, seed: int = 0, folder: str | Path | None = None) -> Tally:
    """Run ``cases`` seeded cases of entry point ``name``; case i uses the random generator ``[seed, i]``."""
    function, _ = ENTRY_POINTS[name]
    tally = Tally()
    with tempfile.TemporaryDirectory() if folder is None else contextlib.nullcontext(folder) as scratch:
        ws = Workspace(Path(scratch))
        for case in range(cases):
            rng = np.random.default_rng([seed, case])
            tally.add(function(ws, rng), f"case {case}")
    return tally
