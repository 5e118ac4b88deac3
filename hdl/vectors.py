"""Test vectors: everything a Verilog, VHDL or C testbench needs to check an implementation of a core
without Python.

``export_xylo(config, raster, out_dir)`` and ``export_dynapcnn(chip, events, out_dir)`` write a
directory; :func:`load` reads one back (the project's own cocotb testbenches run from such directories,
so the format is proven by use). Every ``.hex`` file is in ``$readmemh`` form: one word per line, in hex,
zero-padded to the word's width, two's complement for signed values, ``//`` comments allowed. The
directory holds:

``manifest.json``
    format, chip, config digest, core size parameters, and for every file its word width, word count
    and meaning (the manifest is the documentation of the directory).
``config.json``
    the register configuration (:class:`~spikegate.sim.xylo.XyloConfig` or
    :class:`~spikegate.sim.dynapcnn.config.ChipConfig` JSON).
``config_writes.hex``
    every configuration write in order, one word each: ``address << 16 | data`` (the address map is
    the core's: :mod:`spikegate.hdl.xylo.memory_map`, :mod:`spikegate.hdl.dynapcnn.memory_map`).
``mem/<memory>.hex``
    the contents of every memory after configuration, offset 0 first: what those writes leave
    in each region of the address map.
stimulus and expected results
    Xylo: ``input.hex`` (T·Nin words, step-major, 8-bit event counts), ``expected_out.hex`` (T words,
    bit o = readout neuron o spiked), ``expected_state.hex`` (optional; per step the read-back words of
    ``Isyn``, ``Isyn2``, ``Vmem``, ``Spikes`` (Nhid each), ``Isyn_out``, ``Vmem_out`` (Nout each), 16 bits)
    and ``state_addr.hex`` (the read-back address of each of those words).
    DYNAP-CNN: ``input_events.hex`` (one word per event: ``p << 16 | y << 8 | x``),
    ``expected_events.hex`` (one word per monitored output event in order: ``layer << 28 | feature << 16
    | y << 8 | x``), and optionally ``expected_membranes_core<n>.hex`` (the core's membranes after the last
    event, at the read-back addresses listed in ``membrane_addr_core<n>.hex``).
``tb_xylo.v`` / ``params.vh`` / ``xylo_core.v`` (Xylo)
    a plain Verilog-2005 testbench, its parameters, and the core's Verilog: ``iverilog -g2005 -o tb
    tb_xylo.v xylo_core.v && vvp tb`` prints ``PASS`` or the first mismatch (step, field, neuron, both
    values).
``tb_dynapcnn_core.v`` / ``params.vh`` / ``dynapcnn_core.v`` (DYNAP-CNN, a one-core chip fed directly)
    the same for one core, with its port words: ``core_writes.hex`` (``write << 34 | data << 18 | local
    address``), ``core_events.hex`` (``leak << 24 | channel << 14 | y << 7 | x``),
    ``expected_core_events.hex`` (every output event of the core, in order: ``feature << 14 | y << 7 | x``),
    ``membrane_addr.hex`` and ``expected_membranes.hex``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikegate.sim.dynapcnn.config import ChipConfig
from spikegate.sim.chip import get_chip
from spikegate.sim.xylo import XyloConfig, XyloSim

FORMAT = "spikegate.vectors"
FORMAT_VERSION = 1
XYLO_STATE_FIELDS = ("Isyn", "Isyn2", "Vmem", "Spikes", "Isyn_out", "Vmem_out")
TESTBENCH_DIR = Path(__file__).parent / "testbench"


# ------------------------------------------------------------------------------------------ hex files
def write_hex(path: Path, words, width: int, comment: str = "") -> dict:
    """Write ``words`` as a ``$readmemh`` file of ``width``-bit words; returns its manifest entry."""
    words = np.asarray(words, dtype=object).ravel()
    digits = -(-width // 4)
    mask = (1 << width) - 1
    lines = [f"// {comment}"] if comment else []
    lines += [f"{int(w) & mask:0{digits}x}" for w in words]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return {"width": width, "words": len(words), "meaning": comment}


def read_hex(path: Path, width: int, signed: bool = False) -> np.ndarray:
    """Read a ``$readmemh`` file written by :func:`write_hex` (comments skipped; no ``@`` addresses)."""
    if not path.exists():
        raise FileNotFoundError(f"vectors: file {path} is missing")
    words = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("//")[0].strip()
        if not line:
            continue
        try:
            word = int(line, 16)
        except ValueError:
            raise ValueError(f"{path}:{number}: {line!r} is not a hex word") from None
        if word >> width:
            raise ValueError(f"{path}:{number}: {line!r} is wider than {width} bits")
        words.append(word - (1 << width) if signed and word >> (width - 1) else word)
    return np.array(words, dtype=np.int64)


# ------------------------------------------------------------------------------------------ Xylo
def export_xylo(config: XyloConfig, raster, out_dir: str | Path, params=None, with_state: bool = True,
                with_verilog: bool = True) -> Path:
    """Write the test vectors of ``config`` run on ``raster`` ((T, Nin) counts) into ``out_dir``."""
    from .xylo.memory_map import (ADDRESS_BITS, OFFSET_BITS, Region, XyloCoreParams, config_writes,
                                  state_addresses)
    from .xylo.simulate import check_raster

    raster = check_raster(config, raster)
    params = params or XyloCoreParams.for_config(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config.save(out_dir / "config.json")
    writes = config_writes(config, params)
    files = {"config_writes.hex": write_hex(out_dir / "config_writes.hex", [a << 16 | d for a, d in writes],
                                            ADDRESS_BITS + 16, "configuration writes: address << 16 | data")}
    for region in Region:
        depth = params.region_depth(region)
        if region >= Region.ISYN or region == Region.CTRL or depth == 0:
            continue
        image = np.zeros(depth, np.int64)
        for addr, value in writes:
            if addr >> OFFSET_BITS == region:
                image[addr & 0xFFFF] = value
        name = f"mem/{region.name.lower()}.hex"
        files[name] = write_hex(out_dir / name, image, 16, f"region {region.name} ({int(region)}), offset 0 first")
    out, _, rec = XyloSim(config).evolve(raster, record=True)
    files["input.hex"] = write_hex(out_dir / "input.hex", raster, 8, "input counts, step-major (T x Nin)")
    bits = (out.astype(np.int64) << np.arange(config.n_outputs)).sum(axis=1)
    files["expected_out.hex"] = write_hex(out_dir / "expected_out.hex", bits, config.n_outputs,
                                          "per step, bit o: readout neuron o spiked")
    addresses = state_addresses(params)
    if with_state:
        state = np.concatenate([rec[name].astype(np.int64) for name in XYLO_STATE_FIELDS], axis=1)
        files["expected_state.hex"] = write_hex(out_dir / "expected_state.hex", state, 16,
                                                "per step: " + ", ".join(XYLO_STATE_FIELDS))
        files["state_addr.hex"] = write_hex(out_dir / "state_addr.hex",
                                            [a for name in XYLO_STATE_FIELDS for a in addresses[name]],
                                            ADDRESS_BITS, "read-back address of each state word of a step")
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "chip": "xylo", "config_digest": config.digest(),
        "params": {name: getattr(params, name) for name in ("n_inputs", "n_hidden", "n_outputs", "max_fanout",
                                                            "max_synapses", "version", "profile")},
        "steps": int(raster.shape[0]), "state_fields": list(XYLO_STATE_FIELDS) if with_state else [],
        "files": files,
    }
    if with_verilog:
        _write_xylo_testbench(out_dir, params, raster.shape[0], with_state)
        manifest["files"] |= {"tb_xylo.v": {"meaning": "plain Verilog-2005 testbench"},
                              "params.vh": {"meaning": "testbench parameters"},
                              "xylo_core.v": {"meaning": "the core (Amaranth export)"}}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out_dir


def _write_xylo_testbench(out_dir: Path, params, steps: int, with_state: bool) -> None:
    from amaranth.back import verilog

    from .xylo import XyloCore
    from .xylo.memory_map import ADDRESS_BITS, Ctrl, Region, address

    n_writes = len((out_dir / "config_writes.hex").read_text().splitlines()) - 1
    values = {"N_WRITES": n_writes, "STEPS": steps, "N_IN": params.n_inputs, "N_HID": params.n_hidden,
              "N_OUT": params.n_outputs, "ADDR_BITS": ADDRESS_BITS, "CH_BITS": params.input_bits,
              "OUT_BITS": params.output_bits, "CHECK_STATE": int(with_state),
              "CLEAR_WORD": f"{ADDRESS_BITS + 16}'h{address(Region.CTRL, Ctrl.CLEAR) << 16:x}"}
    (out_dir / "params.vh").write_text("".join(f"localparam {k} = {v};\n" for k, v in values.items()))
    (out_dir / "tb_xylo.v").write_text((TESTBENCH_DIR / "tb_xylo.v").read_text())
    (out_dir / "xylo_core.v").write_text(verilog.convert(XyloCore(params), name="xylo_core"))


# ------------------------------------------------------------------------------------------ DYNAP-CNN
def export_dynapcnn(chip: ChipConfig, events, out_dir: str | Path, membrane_cores=(), limits=None) -> Path:
    """Write the test vectors of ``chip`` run on ``events`` (x, y, t, p records) into ``out_dir``."""
    from spikegate.sim.dynapcnn import DynapcnnSim

    from .dynapcnn import memory_map
    from .dynapcnn.limits import CoreLimits

    membrane_cores = chip.check_used("membrane_cores", membrane_cores)
    sim = DynapcnnSim(chip)
    out = sim(events)  # bad events are refused before anything is written
    events = np.asarray(events)
    limits = limits or {i: CoreLimits.fit(chip.cores[i]) for i in chip.used_cores}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chip.save(out_dir / "config.json")
    writes = memory_map.chip_writes(chip, limits)
    files = {"config_writes.hex": write_hex(out_dir / "config_writes.hex", [a << 16 | d for a, d in writes],
                                            memory_map.ADDRESS_BITS + 16, "configuration writes: address << 16 | data")}
    for i in chip.used_cores:
        for kind, image in memory_map.memory_images(chip.cores[i], limits[i]).items():
            name = f"mem/core{i}_{kind}.hex"
            files[name] = write_hex(out_dir / name, image, 16, f"core {i} {kind} memory, offset 0 first")
    files["input_events.hex"] = write_hex(out_dir / "input_events.hex",
                                          events["p"].astype(np.int64) << 16 | events["y"].astype(np.int64) << 8
                                          | events["x"], 32, "input events: p << 16 | y << 8 | x")
    packed = (out["layer"].astype(np.int64) << 28 | out["feature"].astype(np.int64) << 16
              | out["y"].astype(np.int64) << 8 | out["x"])
    files["expected_events.hex"] = write_hex(out_dir / "expected_events.hex", packed, 32,
                                             "monitored output events: layer << 28 | feature << 16 | y << 8 | x")
    for core in membrane_cores:
        config = chip.cores[core]
        addresses = memory_map.membrane_addresses(config, slot=core)
        files[f"membrane_addr_core{core}.hex"] = write_hex(out_dir / f"membrane_addr_core{core}.hex", addresses,
                                                           memory_map.ADDRESS_BITS, f"core {core} read-back addresses")
        files[f"expected_membranes_core{core}.hex"] = write_hex(
            out_dir / f"expected_membranes_core{core}.hex", sim.membranes(core).ravel(), 16,
            f"core {core} membranes [f][x][y] after the last event")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "chip": "dynapcnn",
                "config_digest": chip.digest(), "events": int(len(events)), "output_events": int(len(out)),
                "membrane_cores": list(membrane_cores), "files": files}
    if len(chip.used_cores) == 1 and chip.dvs_layer.is_direct:
        manifest["files"] |= _write_core_testbench(out_dir, chip, events, limits[chip.used_cores[0]], sim)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out_dir


def _write_core_testbench(out_dir: Path, chip: ChipConfig, events: np.ndarray, limits, sim) -> dict:
    """For a one-core chip fed directly: the core's own port words and a plain Verilog testbench."""
    from amaranth.back import verilog

    from spikegate.sim.dynapcnn import DynapcnnSim

    from .dynapcnn import DynapcnnCore, memory_map
    from .dynapcnn.core import ConfigRequest
    from .dynapcnn.layouts import CoreInput, Event

    index = chip.used_cores[0]
    core = chip.cores[index]
    local = (1 << memory_map.LOCAL_BITS) - 1
    writes = [ConfigRequest.const({"addr": a & local, "data": d, "write": 1}).as_bits()
              for a, d in memory_map.config_writes(core, limits, slot=index)]
    shift = chip.dvs_layer.destinations[0].feature_shift
    payloads = [CoreInput.const({"x": e["x"], "y": e["y"], "channel": e["p"] + shift}).as_bits() for e in events]
    traced = DynapcnnSim(chip.replace(cores={index: core.replace(monitor_enable=True)}))(events)
    expected = [Event.const({"x": e["x"], "y": e["y"], "feature": e["feature"]}).as_bits() for e in traced]
    files = {
        "core_writes.hex": write_hex(out_dir / "core_writes.hex", writes, ConfigRequest.size,
                                     "core configuration requests: write << 34 | data << 18 | local address"),
        "core_events.hex": write_hex(out_dir / "core_events.hex", payloads, CoreInput.size,
                                     "core input payloads: leak << 24 | channel << 14 | y << 7 | x"),
        "expected_core_events.hex": write_hex(out_dir / "expected_core_events.hex", expected, Event.size,
                                              "core output payloads in order: feature << 14 | y << 7 | x"),
        "membrane_addr.hex": write_hex(out_dir / "membrane_addr.hex",
                                       memory_map.membrane_addresses(core, slot=0), memory_map.LOCAL_BITS,
                                       "local read-back addresses"),
        "expected_membranes.hex": write_hex(out_dir / "expected_membranes.hex", sim.membranes(index).ravel(), 16,
                                            "membranes [f][x][y] after the last event"),
    }
    values = {"N_WRITES": len(writes), "N_EVENTS": len(events), "N_EXPECTED": len(expected),
              "N_NEURONS": core.n_neurons}
    (out_dir / "params.vh").write_text("".join(f"localparam {k} = {v};\n" for k, v in values.items()))
    (out_dir / "tb_dynapcnn_core.v").write_text((TESTBENCH_DIR / "tb_dynapcnn_core.v").read_text())
    (out_dir / "dynapcnn_core.v").write_text(verilog.convert(DynapcnnCore(limits), name="dynapcnn_core"))
    return files | {"tb_dynapcnn_core.v": {"meaning": "plain Verilog-2005 testbench of the core"},
                    "params.vh": {"meaning": "testbench parameters"},
                    "dynapcnn_core.v": {"meaning": "the core (Amaranth export)"}}


# ------------------------------------------------------------------------------------------ reading
@dataclass
class Vectors:
    """A test-vector directory read back: its manifest, its config and every hex file as integers."""

    directory: Path
    manifest: dict
    config: XyloConfig | ChipConfig
    words: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.words[name]


def load(directory: str | Path) -> Vectors:
    """Read a test-vector directory, checking that every file the manifest names is there with the
    stated number of words and that ``config.json`` is the configuration the vectors were made for."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"vectors: {directory} has no manifest.json (not a test-vector directory)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"vectors: {manifest_path} has format {manifest.get('format')!r}, expected {FORMAT!r}")
    try:
        chip = get_chip(manifest.get("chip"))
    except ValueError as error:
        raise ValueError(f"vectors: {manifest_path}: {error}") from None
    if not (directory / "config.json").exists():
        raise FileNotFoundError(f"vectors: file {directory / 'config.json'} is missing")
    config = chip.load_config(directory / "config.json")
    if config.digest() != manifest["config_digest"]:
        raise ValueError(f"vectors: config.json (digest {config.digest()[:12]}...) is not the configuration the "
                         f"vectors were made for ({manifest['config_digest'][:12]}...)")
    words = {}
    for name, entry in manifest["files"].items():
        if not name.endswith(".hex"):
            continue
        words[name] = read_hex(directory / name, entry["width"])
        if len(words[name]) != entry["words"]:
            raise ValueError(f"vectors: {name} holds {len(words[name])} words, the manifest says {entry['words']}")
    return Vectors(directory=directory, manifest=manifest, config=config, words=words)
