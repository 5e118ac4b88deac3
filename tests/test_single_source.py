"""Each chip constant and register set is defined once; every other place derives it (issue 19, item 4)."""

import dataclasses
import re
from pathlib import Path

import pytest

from spikegate.hdl.dynapcnn.layouts import CoreFields, Destination, register_layout
from spikegate.sim.dynapcnn import kernels
from spikegate.sim.dynapcnn.config import CORE_REGISTER_SET, DESTINATION_REGISTER_SET, CoreConfig, register_paths

ROOT = Path(__file__).parent.parent
PACKAGES = ("sim", "converter", "hdl", "fpga", "compat")


def definitions(pattern: str, packages=PACKAGES) -> list[str]:
    """``file:line`` of every line of the sources of ``packages`` matching ``pattern``."""
    found = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(pattern, line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


@pytest.mark.parametrize("pattern, home", [
    (r"^MAX_SPIKES = ", "sim/xylo/config.py"),
    (r"^MAX_INPUT_COUNT = ", "sim/xylo/config.py"),
    (r"^MAX_RASTER_COUNT = ", "sim/xylo/config.py"),
    (r"^N_CORES = ", "sim/dynapcnn/config.py"),
    (r"^(DVS_LAYER|DVS_SLOT) = \d", "sim/dynapcnn/kernels.py"),
    (r"^def (ceil_log2|_log2_ceil)\b", "sim/dynapcnn/config.py"),
    (r"raise .*raster: expected an integer array", "sim/xylo/model.py"),
])
def test_defined_once(pattern, home):
    found = definitions(pattern)
    assert len(found) == 1 and found[0].startswith(home + ":"), f"{pattern} defined at {found}, expected once in {home}"


def test_register_set_defined_once():
    """The DYNAP-CNN register names with their widths are written in sim only; compat's samna records and
    their conversion derive the names from the register sets."""
    found = definitions(r"\"feature_shift\": ")
    assert len(found) == 1 and found[0].startswith("sim/dynapcnn/config.py:"), found
    assert definitions(r"\"(kernel_size|feature_shift|return_to_zero|threshold_low|leak_enable)\"", ("compat",)) == []


def _record_registers(value, prefix: str = "") -> dict[str, type]:
    """Leaf fields of a samna record (compat) by dotted path, with the type of their default value."""
    from spikegate.compat.samna._records import FixedList, Record

    if isinstance(value, Record):
        return {k: v for name in value.FIELDS
                for k, v in _record_registers(getattr(value, name), f"{prefix}.{name}" if prefix else name).items()}
    if isinstance(value, FixedList):
        return {k: v for i, item in enumerate(value) for k, v in _record_registers(item, f"{prefix}[{i}]").items()}
    return {prefix: type(value)}


def test_samna_records_are_the_register_set():
    """compat's samna core record has the register set's registers (one-bit ones as bools) and the memories,
    and the Speck 2e/2f record the Speck-only fields besides."""
    from spikegate.compat.samna._dynapcnn import SPECK_FIELDS, CnnLayerConfig, CNNLayerConfig

    memories = {"weights", "biases", "neurons_initial_value"}
    registers = _record_registers(CNNLayerConfig())
    assert set(registers) == set(register_paths(CORE_REGISTER_SET)) | memories
    kinds = dict(zip(register_paths(CORE_REGISTER_SET), _leaf_kinds(CORE_REGISTER_SET)))
    for path, kind in kinds.items():
        assert registers[path] is (bool if kind == "u1" else int), (path, kind, registers[path])
    assert list(_record_registers(CnnLayerConfig())) == list(registers) + list(SPECK_FIELDS)


def _leaf_kinds(table) -> list[str]:
    """The kinds (``u<bits>``, ``s<bits>``) of ``table``'s registers, in the order of :func:`register_paths`."""
    kinds = []
    for kind in table.values():
        if isinstance(kind, tuple):
            kinds += [k for element in kind for k in _leaf_kinds(element)]
        elif isinstance(kind, dict):
            kinds += _leaf_kinds(kind)
        else:
            kinds.append(kind)
    return kinds


def test_fpga_build_derives_the_core_count_and_widths():
    """The FPGA build takes the core count from sim (N_CORES) and log2 from amaranth.utils.ceil_log2."""
    texts = {name: (ROOT / "fpga" / name).read_text() for name in ("build.py", "cycles.py", "dynapcnn_facet.py")}
    for name, text in texts.items():
        assert not re.findall(r"\b9\b|\(None,\) \* 8|bit_length", text), name
    assert "N_CORES" in texts["dynapcnn_facet.py"] and "ceil_log2(" in texts["cycles.py"]


def _dataclass_registers(cls, prefix: str = "") -> set[str]:
    """Leaf field names of a config dataclass (arrays of two destinations as ``[0]``, ``[1]``)."""
    paths = set()
    for field in dataclasses.fields(cls):
        path = f"{prefix}.{field.name}" if prefix else field.name
        value = field.default
        if field.name == "destinations":
            for i in range(len(value)):
                paths |= _dataclass_registers(type(value[0]), f"{path}[{i}]")
        elif isinstance(field.type, str) and field.type in ("Dimensions", "Shape", "Size"):
            from spikegate.sim.dynapcnn import config
            paths |= _dataclass_registers(getattr(config, field.type), path)
        else:
            paths.add(path)
    return paths


def test_register_set_is_the_config_fields():
    memories = {"weights", "biases", "neurons_initial_value"}
    assert set(register_paths(CORE_REGISTER_SET)) == _dataclass_registers(CoreConfig) - memories
    assert len(register_paths(CORE_REGISTER_SET)) == len(set(register_paths(CORE_REGISTER_SET)))


def test_derived_tables_equal_the_register_set():
    assert CoreFields == register_layout(CORE_REGISTER_SET)
    assert Destination == register_layout(DESTINATION_REGISTER_SET)
    assert kernels.REGISTER_COLUMNS == tuple(register_paths(CORE_REGISTER_SET))
    assert kernels.N_PARAMS == len(kernels.REGISTER_COLUMNS) + 3


def test_register_widths_hold_the_config_ranges():
    """Each register's width holds the largest value the config classes accept (a narrower one would lose it)."""
    from spikegate.sim.dynapcnn import config
    largest = {"size.x": config.MAX_INPUT_SIZE, "feature_count": config.MAX_FEATURES, "padding": config.MAX_PADDING,
               "stride": max(config.STRIDES), "kernel_size": config.MAX_KERNEL, "layer": config.N_CORES,
               "pooling": max(config.POOLINGS), "feature_shift": config.MAX_FEATURES - 1}
    from spikegate.hdl.dynapcnn.memory_map import CORE_REGISTERS, field_name
    for register, shape in CORE_REGISTERS:
        path = field_name(register)
        keys = [key for key in largest if key in path]
        top = largest[keys[0]] if keys else 1
        if path.startswith("dimensions.output_shape.size"):
            top = config.MAX_NEURON_SIZE
        if "threshold" in path:
            assert shape.signed and shape.width == 16, path
        else:
            assert top < 1 << shape.width, f"{path}: {top} does not fit {shape}"
