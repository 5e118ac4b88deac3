"""The Dask fault tests of tests/test_eval_runner.py, run again and again while other processes keep every
core busy: do they pass each time, and how long do they take on a loaded machine?

    python bench/dask_fault_loop.py [--loops 30] [--burners 2] [--minutes 60]

Each loop is one fresh pytest process (``-p no:cacheprovider``, the project's per-test pytest-timeout)
running the tests selected by ``FAULT_TESTS``: a worker killed mid-run, a sample that kills its worker
every time, every worker killed with the nannies unable to restart them, a cluster without workers. A
loop fails when pytest reports a failure or an error, or when the whole process runs past
``LOOP_LIMIT_S`` (then it is killed: a hang). ``--burners`` processes spin in pure-Python loops (default: one
per core) for the whole campaign. ``--minutes`` starts no loop after that many minutes.

Prints a line per loop on stderr and one JSON object: loops, passes, failures (each failed test's
message, or the end of pytest's output), the longest loop, and the longest and mean duration of each test (from pytest's JUnit XML).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULT_TESTS = "killed or kills or die_for_good or without_workers"
LOOP_LIMIT_S = 600
BURN = "while True: pass"


def run_loop(report: Path) -> tuple[bool, float, str]:
    """One pytest process over the fault tests: (passed, seconds, the end of its output)."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_eval_runner.py",
            "-k", FAULT_TESTS, f"--junitxml={report}"]
    began = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=LOOP_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return False, time.monotonic() - began, f"hung: killed after {LOOP_LIMIT_S} s\n" + output.decode()[-2000:]
    return process.returncode == 0, time.monotonic() - began, output.decode(errors="replace")[-2000:]


def test_results(report: Path) -> tuple[dict[str, float], dict[str, str]]:
    """Seconds per test of one loop, and the failure message of each failed test, from pytest's JUnit XML."""
    try:
        cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    except (OSError, ElementTree.ParseError):
        return {}, {}
    failed = {case.get("name"): problem.get("message", "")[:300] for case in cases
              for problem in (*case.findall("failure"), *case.findall("error"))}
    return {case.get("name"): float(case.get("time", 0)) for case in cases}, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", type=int, default=30)
    parser.add_argument("--burners", type=int, default=os.cpu_count(), help="busy processes (default: one per core)")
    parser.add_argument("--minutes", type=float, default=float("inf"), help="stop after the loop that passes this")
    args = parser.parse_args()
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(args.burners)]
    figures = {"loops": 0, "passes": 0, "failures": [], "burners": args.burners, "cpus": os.cpu_count(),
               "max_loop_s": 0.0}
    times: dict[str, list[float]] = {}
    began = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for loop in range(args.loops):
                if time.monotonic() - began > args.minutes * 60:
                    break
                report = Path(folder) / f"loop-{loop}.xml"
                passed, seconds, output = run_loop(report)
                figures["loops"] += 1
                figures["passes"] += passed
                figures["max_loop_s"] = round(max(figures["max_loop_s"], seconds), 1)
                took, failed = test_results(report)
                for name, seconds_of_test in took.items():
                    times.setdefault(name, []).append(seconds_of_test)
                if not passed:
                    figures["failures"].append({"loop": loop, "tests": failed or {"?": output[-1000:]}})
                print(f"loop {loop}: {'pass' if passed else 'FAIL'} in {seconds:.1f} s", *failed.values(),
                      sep="\n  ", file=sys.stderr)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    figures["tests"] = {name: {"max_s": round(max(t), 2), "mean_s": round(sum(t) / len(t), 2), "runs": len(t)}
                        for name, t in sorted(times.items())}
    figures["seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
