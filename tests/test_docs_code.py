"""The docs' formulas and tables, checked against the code they describe (so a doc cannot drift)."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from spikegate.hdl.dynapcnn.layouts import CoreFields
from spikegate.hdl.xylo import XyloCoreParams
from spikegate.hdl.xylo.core import step_cycles
from spikegate.sim.dynapcnn import config as dyn
from spikegate.sim.xylo import config as xylo

DOCS = Path(__file__).parent.parent / "docs"


def table(doc: str, header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the Markdown table in ``doc`` whose header row starts with ``header``."""
    lines = (DOCS / doc).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def cycle_formulas(doc: str) -> list[str]:
    """The version-1 step-cycle formulas written in ``doc`` (as ``Nin + 2 + 8·Nhid ...``)."""
    return re.findall(r"(Nin \+ \d+ \+ [^`\n]*?2·Ko)", (DOCS / doc).read_text())


@pytest.mark.parametrize("doc", ["xylo-hdl.md", "fpga.md"])
def test_cycle_formula_is_step_cycles(doc):
    formulas = cycle_formulas(doc)
    assert formulas, f"{doc}: no step-cycle formula found"
    rng = np.random.default_rng(0)
    for formula in formulas:
        for _ in range(20):
            n_in, n_hid, n_out = (int(v) for v in rng.integers(1, (17, 1001, 9)))
            counts = dict(A_in=int(rng.integers(0, n_in + 1)), A_rec=int(rng.integers(0, n_hid + 1)),
                          F=int(rng.integers(0, 500)), K=int(rng.integers(0, 500)), P=int(rng.integers(0, 50)),
                          Ko=int(rng.integers(0, n_out + 1)))
            value = eval(formula.replace("·", "*"), {}, dict(Nin=n_in, Nhid=n_hid, Nout=n_out, **counts))
            code = step_cycles(XyloCoreParams(n_in, n_hid, n_out, version=1), active_inputs=counts["A_in"],
                               active_sources=counts["A_rec"], fanout_entries=counts["F"], own_spikes=counts["K"],
                               alias_pushes=counts["P"], output_spikes=counts["Ko"])
            assert value == code, f"{doc}: {formula} gives {value}, step_cycles {code} at {n_in}/{n_hid}/{n_out} {counts}"


@pytest.mark.parametrize("doc, header, column", [("xylo-hdl.md", "hidden activity", 1), ("fpga.md", "hidden activity", 1)])
def test_cycle_table_idle_row(doc, header, column):
    """The 0 % row (full size, 5 of 16 input channels, no spikes) is the formula's, exactly."""
    row = next(row for row in table(doc, header) if row[0] == "0 %")
    idle = step_cycles(XyloCoreParams(16, 1000, 8, version=1), 5, 0, 0, 0, 0, 0)
    assert int(row[column].replace(",", "")) == idle


def test_xylo_register_table():
    rows = {row[0]: row for row in table("xylo-core.md", "register")}
    fields = {f.name for f in dataclasses.fields(xylo.XyloConfig)}
    for name in re.findall(r"`(\w+)`", " ".join(rows)):
        name = {"_rec": "weight_shift_rec", "_out": "weight_shift_out"}.get(name, name)
        assert name in fields, f"docs/xylo-core.md: register {name} is not a XyloConfig field"
    int8 = f"{xylo.INT8[0]}..{xylo.INT8[1]}".replace("-", "−")
    for weights in ("`weights_in`", "`weights_out`"):
        assert rows[weights][3] == int8
    assert rows["`weights_rec`"][3] == (f"{int8}; at most {xylo.MAX_FANOUT} (post, synapse) targets per neuron, "
                                        f"{xylo.MAX_RECURRENT_SYNAPSES} in total")
    for dash in ("`dash_mem`, `dash_syn`, `dash_syn_2`", "`dash_mem_out`, `dash_syn_out`"):
        assert rows[dash][2:4] == [f"{xylo.MAX_DASH.bit_length()} bit", f"0..{xylo.MAX_DASH}"]
    shifts = rows["`weight_shift_in`, `_rec`, `_out`"]
    assert shifts[2:4] == [f"{xylo.MAX_WEIGHT_SHIFT.bit_length()} bit", f"0..{xylo.MAX_WEIGHT_SHIFT}"]
    raster = rows["input raster"]
    assert raster[2:5] == [f"{xylo.MAX_INPUT_COUNT.bit_length()} bit", f"0..{xylo.MAX_INPUT_COUNT}",
                           f"{xylo.MAX_INPUT_COUNT + 1}..{xylo.MAX_RASTER_COUNT} count as {xylo.MAX_INPUT_COUNT}; "
                           "others refused"]
    assert rows["sizes"][3] == f"1..{xylo.MAX_INPUTS}, 1..{xylo.MAX_HIDDEN}, 1..{xylo.MAX_OUTPUTS}"


def _paths(cell: str) -> list[str]:
    """Field paths of a cell such as ```a.b.{x,y}`, `.c``` (``a.b.x``, ``a.b.y``, ``a.c``: a leading dot names a
    sibling of the first path's field)."""
    paths, parent = [], ""
    for name in re.findall(r"`([^`]+)`", cell):
        if name.startswith("."):
            name = parent + name
        else:
            parent = name.replace(".{x,y}", "").rpartition(".")[0]
        if "{x,y}" in name:
            paths += [name.replace("{x,y}", axis) for axis in "xy"]
        else:
            paths.append(name)
    return [p.replace("[i]", "[0]") for p in paths]


def _registers(layout, prefix: str = "") -> set[str]:
    """Leaf field paths of a register layout (array elements as ``[0]``)."""
    from amaranth.lib import data
    if isinstance(layout, data.StructLayout):
        return set().union(*(_registers(f.shape, f"{prefix}.{name}" if prefix else name) for name, f in layout))
    if isinstance(layout, data.ArrayLayout):
        return _registers(layout.elem_shape, f"{prefix}[0]")
    return {prefix}


def test_dynapcnn_register_table():
    documented = {path for row in table("dynapcnn-core.md", "field") for path in _paths(row[0])}
    memories = {"weights", "biases", "neurons_initial_value"}
    assert documented - memories == _registers(CoreFields), "docs/dynapcnn-core.md §2 and CoreFields differ"
    assert memories <= {f.name for f in dataclasses.fields(dyn.CoreConfig)}


def test_dynapcnn_limits_table():
    limits = dict(table("dynapcnn-core.md", "quantity"))
    assert limits["input map"] == f"≤ {dyn.MAX_INPUT_SIZE} x {dyn.MAX_INPUT_SIZE}"
    assert limits["neuron (convolution output) map"] == f"≤ {dyn.MAX_NEURON_SIZE} x {dyn.MAX_NEURON_SIZE}"
    assert limits["features (channels)"] == f"≤ {dyn.MAX_FEATURES}"
    assert limits["kernel"] == f"square, ≤ {dyn.MAX_KERNEL} x {dyn.MAX_KERNEL}"
    assert limits["stride"] == ", ".join(map(str, dyn.STRIDES[:-1])) + f" or {dyn.STRIDES[-1]} per axis"
    assert limits["padding"] == f"0..{dyn.MAX_PADDING} per axis"
    assert limits["sum pooling"] == ", ".join(map(str, dyn.POOLINGS[:-1])) + f" or {dyn.POOLINGS[-1]} (square)"
    assert limits["destinations"] == str(dyn.MAX_DESTINATIONS)


def test_dynapcnn_capacity_table():
    rows = {row[0]: row[1:] for row in table("dynapcnn-core.md", "core")}
    for memory in ("kernel", "neuron", "bias"):
        documented = [int(cell.removesuffix("Ki")) * 1024 for cell in rows[memory]]
        for chip, cores in dyn.CHIP_PROFILES.items():
            assert documented == [core[memory] for core in cores], f"{memory} capacities of {chip}"


def test_xylo_address_map_tables():
    """docs/xylo-hdl.md holds the address map and CTRL tables as memory_map.REGIONS/CTRL_REGISTERS render them."""
    from spikegate.hdl.xylo.memory_map import address_map_tables

    page = (DOCS / "xylo-hdl.md").read_text()
    tables = "\n".join(address_map_tables())
    assert tables in page, f"docs/xylo-hdl.md: the address map tables differ from the code's:\n{tables}"
