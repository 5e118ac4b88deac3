"""Input fuzzing (issue 18 item 4): a seeded sample of mutated configs, events, rasters and files through
every public entry point (:mod:`fuzzing`; the full campaign is ``bench/fuzz_inputs.py``), and one
``_wrong`` test per class of bug the fuzzer found: each input is refused with a one-line message naming
the field, the value and the limit, and a refused call leaves the model as it was."""

import json
import math
import warnings

import numpy as np
import pytest

from fuzzing import ENTRY_POINTS, SAMPLE, chip_config, events, run, xylo_config
from spikegate.sim.cli import main
from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, DynapcnnSim
from spikegate.sim.errors import load_array
from spikegate.sim.eval.cost import CostModel
from spikegate.sim.eval.datasets import MalformedSample, NpzDataset
from spikegate.sim.trace import Trace, dynapcnn_trace, xylo_trace
from spikegate.sim.xylo import XyloConfig, XyloSim


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_fuzzed_inputs_are_refused_cleanly(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's cast warnings on the fuzzer's own NaN-to-int mutations
        tally = run(name, SAMPLE // ENTRY_POINTS[name][1], seed=2026, folder=tmp_path)
    assert tally.counts["bad"] == 0, "\n".join(tally.bad)
    assert tally.counts["refused"] > 0


# ---------------------------------------------------------------------------------- config files
def xylo_doc(**changes):
    doc = json.loads(xylo_config().to_json())
    doc.update(changes)
    return json.dumps(doc)


@pytest.mark.parametrize("text, error, message", [
    ("[1, 2]", ValueError, "not a spikegate Xylo config: expected a JSON object, got a JSON list"),
    (json.dumps({"format": "spikegate.xylo.config", "threshold": [1]}), ValueError,
     r"missing field\(s\) \['weights_in', 'weights_out'\]"),
    (xylo_doc(format_version=7), ValueError, "format_version: value 7 is not the supported version 1"),
    (xylo_doc(threshold=[1, [2, 3], 4, 5, 6, 7]), TypeError,
     "threshold: expected a rectangular array, got nested lists of different lengths"),
    (xylo_doc(aliases=[1, [], [], [], [], []]), TypeError,
     r"aliases\[0\]: expected a list of at most one target neuron, got 1"),
    (xylo_doc(aliases=[["2"], [], [], [], [], []]), TypeError, r"aliases\[0\]: expected integer targets, got '2'"),
    (xylo_doc(aliases=7), TypeError, r"aliases: expected one list per hidden neuron \(6\), got 7"),
    (xylo_doc(dt=[1]), ValueError, r"dt: value \[1\] is not a positive, finite time step in seconds"),
    (xylo_doc(dt=-1e-3), ValueError, "dt: value -0.001 is not a positive, finite time step"),
    (xylo_doc(dt=2 ** 2000), ValueError, r"dt: value \d+ is not a positive, finite time step"),
])
def test_xylo_json_wrong(text, error, message):
    with pytest.raises(error, match=message):
        XyloConfig.from_json(text)


def chip_doc(edit):
    doc = chip_config().to_dict()
    edit(doc)
    return doc


@pytest.mark.parametrize("edit, error, message", [
    (lambda d: d["cores"][0]["destinations"][0].update(pooling_x=1), ValueError,
     r"cores\[0\]\.destinations\[0\]: unknown field\(s\) \['pooling_x'\] of Destination \(its fields: layer, "),
    (lambda d: d["cores"][0]["dimensions"]["stride"].pop("y"), ValueError,
     r"cores\[0\]\.dimensions\.stride: missing field\(s\) \['y'\] of Size"),
    (lambda d: d["cores"].__setitem__(1, 5), TypeError,
     r"cores\[1\]: expected a JSON object with the fields of CoreConfig, got 5"),
    (lambda d: d.pop("dvs_layer"), ValueError, r"missing field\(s\) \['dvs_layer'\] of ChipConfig"),
    (lambda d: d.update(cores=3), TypeError, "cores: expected a JSON list, got 3"),
    (lambda d: d["cores"][0].update(destinations={"layer": 1}), TypeError,
     r"cores\[0\]\.destinations: expected a JSON list, got \{'layer': 1\}"),
    (lambda d: d["cores"][0].update(weights=[[1], [1, 2]]), TypeError,
     r"cores\[0\]\.weights: expected a rectangular array, got nested lists of different lengths"),
    (lambda d: d.update(layer_to_core={"1_x": 1}), ValueError, r"layer_to_core: key '1_x' is not a layer index"),
    (lambda d: d.update(layer_to_core=[1]), TypeError, r"layer_to_core: expected a JSON object \{layer: core\}"),
    (lambda d: d.update(chip=["speck2f"]), ValueError, r"chip: value \['speck2f'\] is not one of the profiles"),
    (lambda d: d.update(format_version=True), ValueError, "format_version: value True is not the supported version"),
])
def test_chip_json_wrong(edit, error, message):
    with pytest.raises(error, match=message):
        ChipConfig.from_dict(chip_doc(edit))
    with pytest.raises(ValueError, match="not a spikegate DYNAP-CNN config: expected a JSON object, got list"):
        ChipConfig.from_json("[]")


# ---------------------------------------------------------------------------------- models
def test_xylo_ragged_raster_wrong():
    sim = XyloSim(xylo_config())
    sim.evolve(np.ones((3, 4), np.int64))
    before = sim.state()
    with pytest.raises(TypeError, match="raster: expected a rectangular array, got nested lists of different lengths"):
        sim.evolve([[1, 2, 3, 4], [1, 2]])
    assert all(np.array_equal(before[k], v) for k, v in sim.state().items())


def test_dynapcnn_timestamp_and_leak_tick_wrong():
    sim = DynapcnnSim(chip_config())
    sim(events(np.random.default_rng(0)))
    state, counters = sim._state.copy(), sim._counters.copy()
    wide = np.zeros(2, [(n, "<i8") for n in INPUT_EVENT_DTYPE.names])
    wide["t"][1] = 2 ** 40
    with pytest.raises(ValueError, match=r"events: field t value 1099511627776 at event 1 is over the largest "
                                         r"timestamp 4294967295 \(32 bits, µs\)"):
        sim(wide)
    with pytest.raises(TypeError, match="cores: expected a sequence of indices, got 0"):
        sim.leak_tick(0)
    with pytest.raises(TypeError, match="cores: expected integer indices, got '0'"):
        sim.leak_tick(["0"])
    with pytest.raises(ValueError, match="t: value -1 is outside the range 0..4294967295"):
        sim.leak_tick(t=-1)
    with pytest.raises(TypeError, match="t: expected an integer, got None"):
        sim.leak_tick(t=None)
    assert np.array_equal(sim._state, state) and np.array_equal(sim._counters, counters)


@pytest.mark.parametrize("raster, error, message", [
    (np.full((1, 2, 2, 8, 8), "1"), TypeError, "raster: expected integer event counts, got dtype <U1"),
    (np.zeros((1, 0, 2, 8, 8), np.int64), ValueError, r"raster: shape \(1, 0, 2, 8, 8\) has an empty axis"),
    (np.full((1, 1, 2, 8, 8), math.inf), ValueError, r"raster: value inf at index \(0, 0, 0, 0, 0\) is not a "
                                                     r"non-negative integer event count"),
])
def test_timestepped_raster_wrong(raster, error, message):
    import torch

    from spikegate.sim.dynapcnn.timestepped import DynapcnnTimeStepped

    with pytest.raises(error, match=message):
        DynapcnnTimeStepped(chip_config(), device="cpu", dtype=torch.float64)(raster)


# ---------------------------------------------------------------------------------- traces, vectors
def small_trace():
    config = xylo_config()
    raster = np.ones((3, 4), np.int64)
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    return xylo_trace(config, raster, out, rec)


def test_trace_file_wrong(tmp_path):
    path = small_trace().save(tmp_path / "t.npz")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"t\.npz: not a readable \.npz trace \("):
        Trace.load(path)
    np.savez(tmp_path / "h.npz", __header__=np.array("[1]"))
    with pytest.raises(ValueError, match=r"h\.npz: __header__ is a JSON list, expected an object"):
        Trace.load(tmp_path / "h.npz")
    header = small_trace().header()
    del header["fields"]["Vmem"]["unit"]
    np.savez(tmp_path / "u.npz", __header__=np.array(json.dumps(header)), **small_trace().fields)
    with pytest.raises(ValueError, match=r"u\.npz: __header__ field 'Vmem' has no 'unit' entry of JSON type str"):
        Trace.load(tmp_path / "u.npz")


@pytest.mark.parametrize("line, message", [
    ("# shape Vmem=x", r"t\.csv:\d+: shape 'x' of field Vmem is not sizes separated by x"),
    ("Vmem,0,0,1.5", r"t\.csv:\d+: \['0', '0', '1.5'\] are not all integers \(indices, then the value\)"),
    ("Vmem,0,0,99999999999999999999999", r"t\.csv:\d+: value 99999999999999999999999 is outside the int64 range"),
    ("# shape Vmem=99999x99999x99999", r"t\.csv: field Vmem has 2 axes but its declared shape"),
    ("# shape Vmem=99999x99999", r"t\.csv: field Vmem of shape \(99999, 99999\) has 9999800001 values, over the "
                                 r"limit of 67108864 for a CSV trace \(use \.npz\)"),
])
def test_csv_trace_wrong(tmp_path, line, message):
    lines = small_trace().to_csv().splitlines()
    header = sum(1 for text in lines if text.startswith("#"))  # a header line goes after the others
    lines.insert(header if line.startswith("#") else len(lines), line)
    (tmp_path / "t.csv").write_text("\n".join(lines))
    with pytest.raises(ValueError, match=message):
        Trace.load(tmp_path / "t.csv")


def test_csv_trace_keeps_a_field_without_rows(tmp_path):
    config = chip_config()
    trace = dynapcnn_trace(config, np.zeros(0, INPUT_EVENT_DTYPE))
    assert trace.fields["out_events"].shape == (0, 5)
    back = Trace.load(trace.save(tmp_path / "t.csv"))
    assert back.axes == trace.axes
    assert all(np.array_equal(back.fields[name], trace.fields[name]) for name in trace.fields)


def test_membrane_cores_wrong(tmp_path):
    from spikegate.hdl.vectors import export_dynapcnn

    config = chip_config()
    with pytest.raises(TypeError, match="membrane_cores: expected a sequence of indices, got 0"):
        dynapcnn_trace(config, events(np.random.default_rng(0)), membrane_cores=0)
    with pytest.raises(ValueError, match=r"membrane_cores: core 4 is not a used core \(0, 1\)"):
        export_dynapcnn(config, events(np.random.default_rng(0)), tmp_path / "v", membrane_cores=(4,))
    bad = events(np.random.default_rng(0))
    bad["x"][0] = 99
    with pytest.raises(ValueError, match=r"events: field x value 99 at event 0 is outside the input map 0..7"):
        export_dynapcnn(config, bad, tmp_path / "v")
    assert not (tmp_path / "v").exists()  # refused before anything is written


# ---------------------------------------------------------------------------------- datasets, files
def test_npz_dataset_wrong(tmp_path):
    evs = events(np.random.default_rng(0), 4)
    cases = [
        ({"events": evs, "offsets": np.array([0, 2, 4]), "sensor": np.array([8, 8])},
         r"sensor must be 3 positive integers \(width, height, polarities\), got \[8, 8\]"),
        ({"events": evs, "offsets": np.array([0, 3, 2, 4])},
         r"offsets must rise from 0 to the number of events \(4\), got 0..4 with a decrease"),
        ({"events": evs, "offsets": np.array(4)}, r"offsets must be a 1-D integer array of N\+1 sample starts"),
        ({"rasters": np.zeros((3, 4)), "labels": np.zeros(3, int)},
         r"rasters must be an \(N, T, C\) integer array, got dtype float64 shape \(3, 4\)"),
        ({"rasters": np.zeros((2, 3, 4), int), "labels": np.zeros(2)}, "labels must be integers, got dtype float64"),
    ]
    for i, (arrays, message) in enumerate(cases):
        np.savez(tmp_path / f"d{i}.npz", **arrays)
        with pytest.raises(ValueError, match=message):
            NpzDataset(tmp_path / f"d{i}.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "d0.npz").read_bytes()[:50])
    with pytest.raises(ValueError, match=r"cut\.npz: not a readable \.npz dataset \("):
        NpzDataset(tmp_path / "cut.npz")
    np.savez(tmp_path / "neg.npz", rasters=-np.ones((1, 2, 3), int))
    with pytest.raises(MalformedSample, match=r"neg\.npz\[0\]: raster value -1 is negative"):
        NpzDataset(tmp_path / "neg.npz").load(0)


def test_npy_input_wrong(tmp_path):
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(Exception, match=r"empty\.npy: not a \.npy file numpy can read \(No data left in file\)") as error:
        load_array(tmp_path / "empty.npy")
    assert type(error.value).__name__ == "UserError"
    np.savez(tmp_path / "z.npz", a=np.arange(3))
    (tmp_path / "z.npz").rename(tmp_path / "z.npy")
    with pytest.raises(Exception, match=r"z\.npy: an \.npz archive, expected a \.npy array"):
        load_array(tmp_path / "z.npy")


def test_energy_prices_wrong(capsys):
    with pytest.raises(ValueError, match="pj_per_sop: value nan is not a finite, non-negative energy in pJ"):
        CostModel(pj_per_sop=math.nan, pj_per_event=1.0)
    with pytest.raises(ValueError, match="pj_per_event: value -1.0 is not a finite, non-negative energy in pJ"):
        CostModel(pj_per_sop=1.0, pj_per_event=-1.0)
    assert main(["eval", "bundled:xylo", "synthetic:xylo:2", "--workers", "0", "--pj-per-sop", "inf",
                 "--no-progress"]) == 2
    assert "pj_per_sop: value inf is not a finite, non-negative energy in pJ" in capsys.readouterr().err


def test_eval_sample_out_of_range_wrong(tmp_path, capsys):
    """A sample the model refuses is recorded as malformed, the warm-up run included; the run goes on."""
    rasters = np.ones((2, 5, 16), np.int64)
    rasters[0, 1, 3] = 300
    np.savez(tmp_path / "d.npz", rasters=rasters, labels=np.array([0, 1]))
    assert main(["eval", "bundled:xylo", str(tmp_path / "d.npz"), "--workers", "0", "--no-progress",
                 "--out", str(tmp_path / "out")]) == 0
    assert "1 samples evaluated, 1 malformed" in capsys.readouterr().out


def test_nir_file_wrong(tmp_path, capsys):
    import dataclasses

    import nir

    from fuzzing import nir_graph
    from spikegate.converter.dynapcnn import from_nir

    nodes, edges = nir_graph()
    nir.write(tmp_path / "m.nir", nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    data = (tmp_path / "m.nir").read_bytes()
    (tmp_path / "cut.nir").write_bytes(data[:len(data) // 2])
    assert main(["dynapcnn", "convert", str(tmp_path / "cut.nir"), "--out", str(tmp_path / "c.json")]) == 2
    assert "cut.nir: not a NIR graph that nir can read (nir.read: " in capsys.readouterr().err
    weight = nodes["conv"].weight.copy()
    weight[1, 0, 2, 2] = np.nan
    cases = [(dict(nodes, conv=dataclasses.replace(nodes["conv"], weight=weight)),
              r"node 'conv' \(Conv2d\): weight value nan at index \(1, 0, 2, 2\) is not a finite number"),
             (dict(nodes, conv=dataclasses.replace(nodes["conv"], bias=np.ones(3, np.float32))),
              r"node 'conv' \(Conv2d\): bias has shape \(3,\); expected \(4,\), one per feature"),
             (dict(nodes, fc=dataclasses.replace(nodes["fc"], weight=np.ones((3, 64, 1), np.float32))),
              r"node 'fc' \(Affine\): weight has shape \(3, 64, 1\); expected 2 axes"),
             (dict(nodes, if2=nir.IF(r=np.ones(0), v_threshold=np.ones(0))), r"node 'if2' \(IF\): v_threshold has no values")]
    for changed, message in cases:
        with pytest.raises(ValueError, match=message):
            from_nir(nir.NIRGraph(nodes=changed, edges=edges, type_check=False))
