"""Bounded runs of the external tools spikegate starts (g++, Icarus Verilog, Yosys): every run has a
time limit, and a run past it is killed (with every process it started) and reported in one line
naming the tool, the limit and what to do. ``fpga.toolchain`` bounds its Yosys/nextpnr builds the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess

#: Limit for compiling a simulator (g++ on CXXRTL output, iverilog): a full-size design takes minutes
#: on a loaded 2-core machine.
COMPILE_TIMEOUT_S = 1800.0
#: Limit for one batch run of a compiled simulator, or one Yosys conversion.
RUN_TIMEOUT_S = 3600.0


class ToolTimeout(TimeoutError):
    """An external tool ran past its time limit (it has been killed)."""


def kill_group(process: subprocess.Popen) -> None:
    """Kill ``process`` and everything it started (it must have been started with ``start_new_session``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_tool(args, *, tool: str, timeout_s: float, advice: str, input=None, capture_output: bool = False,
             text: bool = False, check: bool = True, cwd=None, env=None, stdout=None,
             stderr=None) -> subprocess.CompletedProcess:
    """``subprocess.run(args, ...)`` bounded by ``timeout_s`` seconds: past it, the tool and its children
    are killed and :class:`ToolTimeout` says ``"<tool> ran past its time limit of <timeout_s> s; <advice>"``.
    ``check``: a non-zero exit raises ``subprocess.CalledProcessError`` (with the captured output)."""
    if capture_output:
        stdout = stderr = subprocess.PIPE
    stdin = subprocess.PIPE if input is not None else None
    with subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr, text=text, cwd=cwd, env=env,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(input, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()
            raise ToolTimeout(f"{tool} ran past its time limit of {timeout_s:g} s; {advice}") from None
        except BaseException:  # e.g. pytest-timeout's signal: leave no tool running
            kill_group(process)
            raise
    if check and process.returncode:
        raise subprocess.CalledProcessError(process.returncode, args, out, err)
    return subprocess.CompletedProcess(args, process.returncode, out, err)
