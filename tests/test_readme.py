"""README runs as written: every Python snippet and every command line, in order, in one empty folder (as a
fresh clone would, outputs under out/).

The default run shortens the long ones by appending options (fewer epochs, events and samples, serial
evaluation), leaves the demo to tests/test_demo.py and leaves out what needs a board, the install and the
test suite itself; ``--run-slow``
runs the long lines exactly as written (FPGA builds excepted: tests/test_fpga_build.py builds them).
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from spikegate.sim.cli import main

README = Path(__file__).parents[1] / "README.md"

#: Lines that are not run: the set-up and tests themselves, and what needs an FPGA board or minutes of
#: place-and-route.
NOT_RUN = ("iceprog ", "openFPGALoader ", "spikegate fpga build")
INSTALL = "bash .ci/install && "  #: done already where the tests run
#: Python blocks that talk to a board.
BOARD = "Board"
#: Lines the default run leaves to another test: tests/test_demo.py runs ``spikegate demo --quick``.
COVERED = ("spikegate demo",)
#: Options appended in the default run to keep it short (the slow run uses the lines as written).
SHORTER = {
    "spikegate xylo train": "--epochs 2 --train-samples 8 --test-samples 4 --qat-epochs 1",
    "spikegate dynapcnn run": "--events 2000",
    "spikegate eval": "--workers 0",
    "spikegate sweep": "--workers 0 --grid weight_scale=1 --grid threshold_scale=1,2",
}


def blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced block of README, in order."""
    return re.findall(r"```(python|bash)\n(.*?)```", README.read_text(), flags=re.S)


def command_lines(code: str) -> list[str]:
    lines = []
    for line in code.splitlines():
        line = line.split("  #")[0].strip().removeprefix(INSTALL)
        if line and not line.startswith(NOT_RUN) and "pytest" not in line:
            lines.append(line)
    return lines


def shortened(line: str) -> str:
    for start, extra in SHORTER.items():
        if line.startswith(start):
            line = f"{line} {extra}"
    return re.sub(r"synthetic:dvs(?=\s)", "synthetic:dvs:8", line) if line.startswith("spikegate ") else line


def run_line(line: str, folder: Path) -> None:
    if line.startswith(".venv/bin/"):
        line = line[len(".venv/bin/"):]
    if line.startswith("spikegate "):
        assert main(shlex.split(line)[1:] + ["--no-progress"]) in (0, 1), line  # 1: trace diff found a difference
        return
    result = subprocess.run(line, shell=True, cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"


def run_readme(folder: Path, monkeypatch, exact: bool) -> None:
    monkeypatch.chdir(folder)
    namespace: dict = {}
    ran = 0
    for language, code in blocks():
        if language == "python":
            if BOARD in code:
                continue
            code = code.replace('vcd="out/xylo.vcd"', "vcd=None")
            if not exact:
                code = code.replace("(100, 16)", "(4, 16)")
            exec(compile(code, str(README), "exec"), namespace)
            ran += 1
            continue
        for line in command_lines(code):
            if not exact and line.removeprefix(".venv/bin/").startswith(COVERED):
                continue
            run_line(line if exact else shortened(line), folder)
            ran += 1
    assert ran >= 19
    for name in ("net.json", "raster.npy", "chip.json", "model.nir", "model.pt", "chip-nir.json", "chip-torch.json",
                 "xylo-run/run.png", "vec/net/tb", "mine.csv", "eval-dvs/summary.json", "sweep-dvs/sweep.json",
                 *(("demo/summary.json",) if exact else ())):
        assert (folder / "out" / name).exists(), name


def test_readme_runs_as_written(tmp_path, monkeypatch):
    run_readme(tmp_path, monkeypatch, exact=False)


@pytest.mark.slow
def test_readme_runs_exactly_as_written(tmp_path, monkeypatch):
    run_readme(tmp_path, monkeypatch, exact=True)
