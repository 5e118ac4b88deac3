"""Traces: file formats, and first-divergence reports that name exactly the injected place."""

import numpy as np
import pytest

from spikegate.sim.trace import Trace, diff

XYLO_FIELDS = {"input": ("step", "channel"), "Isyn": ("step", "neuron"), "Isyn2": ("step", "neuron"),
               "Vmem": ("step", "neuron"), "Spikes": ("step", "neuron"), "Isyn_out": ("step", "readout"),
               "Vmem_out": ("step", "readout"), "out": ("step", "readout")}
DYNAPCNN_FIELDS = {"out_count": ("event", "core"), "membrane_core0": ("event", "feature", "x", "y")}


def random_trace(chip, fields, seed=0, steps=12, model="numpy"):
    rng = np.random.default_rng(seed)
    sizes = {"step": steps, "event": steps, "channel": 3, "neuron": 7, "readout": 2, "core": 9, "feature": 2,
             "x": 4, "y": 3}
    arrays = {name: rng.integers(-300, 300, size=[sizes[a] for a in axes]) for name, axes in fields.items()}
    return Trace(chip=chip, model=model, config_digest="ab" * 32, fields=arrays, axes=dict(fields))


@pytest.mark.parametrize("chip,fields", [("xylo", XYLO_FIELDS), ("dynapcnn", DYNAPCNN_FIELDS)])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_diff_names_the_injected_place(chip, fields, where):
    for name, axes in fields.items():
        a = random_trace(chip, fields)
        b = random_trace(chip, fields, model="mine")
        array = b.fields[name]
        step = {"first": 0, "middle": array.shape[0] // 2, "last": array.shape[0] - 1}[where]
        index = (step,) + tuple(n - 1 for n in array.shape[1:])
        array[index] += 1
        result = diff(a, b)
        assert not result.equal
        assert result.first.field == name
        assert result.first.index == index
        assert result.first.a + 1 == result.first.b
        assert result.counts[name] == 1 and sum(result.counts.values()) == 1
        where_text = ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))
        assert f"first difference at {where_text}, field {name}" in result.report()


def test_earliest_step_wins_over_field_order():
    a = random_trace("xylo", XYLO_FIELDS)
    b = random_trace("xylo", XYLO_FIELDS)
    b.fields["input"][5, 0] += 1
    b.fields["out"][2, 1] += 1
    assert diff(a, b).first.field == "out"
    assert diff(a, b).first.index == (2, 1)


def test_equal_traces_agree():
    assert diff(random_trace("xylo", XYLO_FIELDS), random_trace("xylo", XYLO_FIELDS)).equal


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_save_load_roundtrip(tmp_path, suffix):
    trace = random_trace("dynapcnn", DYNAPCNN_FIELDS, steps=3)
    path = trace.save(tmp_path / f"t{suffix}")
    back = Trace.load(path)
    assert back.chip == "dynapcnn" and back.config_digest == trace.config_digest
    assert diff(trace, back).equal


def test_sparse_csv_from_a_user_model(tmp_path):
    reference = Trace(chip="xylo", model="numpy", config_digest="", fields={"Vmem": np.zeros((4, 3), int)},
                      axes={"Vmem": ("step", "neuron")})
    reference.fields["Vmem"][2, 1] = 9
    text = "# chip=xylo\n# shape Vmem=4x3\nfield,step,neuron,value\nVmem,2,1,9\nVmem,3,0,-1\n"
    (tmp_path / "mine.csv").write_text(text)
    result = diff(reference, Trace.load(tmp_path / "mine.csv"))
    assert result.first.index == (3, 0) and result.first.field == "Vmem"


def test_diff_wrong_configs():
    a = random_trace("xylo", XYLO_FIELDS)
    b = random_trace("xylo", XYLO_FIELDS)
    b.config_digest = "cd" * 32
    with pytest.raises(ValueError, match="traces of different configurations"):
        diff(a, b)


def test_diff_wrong_chips():
    with pytest.raises(ValueError, match="traces of different chips: xylo and dynapcnn"):
        diff(random_trace("xylo", XYLO_FIELDS), random_trace("dynapcnn", DYNAPCNN_FIELDS))


def test_diff_wrong_shapes():
    with pytest.raises(ValueError, match=r"field input: shapes differ, \(12, 3\) against \(11, 3\)"):
        diff(random_trace("xylo", XYLO_FIELDS), random_trace("xylo", XYLO_FIELDS, steps=11))


def test_load_wrong_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Trace.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a spikegate trace"):
        Trace.load(tmp_path / "plain.npz")
    (tmp_path / "bad.csv").write_text("# chip=xylo\nfield,step,value\nVmem,1,2,3\n")
    with pytest.raises(ValueError, match=r"bad.csv:3: expected 3 columns, got 4"):
        Trace.load(tmp_path / "bad.csv")
    (tmp_path / "nochip.csv").write_text("field,step,value\nVmem,1,2\n")
    with pytest.raises(ValueError, match="missing '# chip=xylo|dynapcnn' header"):
        Trace.load(tmp_path / "nochip.csv")


def test_cli_diff_exit_codes(tmp_path, capsys):
    from spikegate.sim.cli import main

    a = random_trace("xylo", XYLO_FIELDS).save(tmp_path / "a.npz")
    other = random_trace("xylo", XYLO_FIELDS)
    other.fields["Vmem"][4, 2] += 7
    b = other.save(tmp_path / "b.npz")
    assert main(["trace", "diff", str(a), str(a)]) == 0
    assert main(["trace", "diff", str(a), str(b)]) == 1
    assert "step 4, neuron 2, field Vmem" in capsys.readouterr().out
    assert main(["trace", "diff", str(a), str(tmp_path / "nope.npz")]) == 2
