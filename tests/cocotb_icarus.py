"""Run a cocotb test module on an exported Verilog design in Icarus Verilog, from pytest."""

import subprocess
from pathlib import Path

from spikegate.hdl import tools

#: Seconds iverilog, and then one vvp run of a test module, may take (below the tests' 120 s pytest-timeout,
#: so that a stuck simulation is reported as such).
ICARUS_TIMEOUT_S = 100.0


def run_icarus(component, name: str, test_module: str, test_dir: Path, build_dir: Path) -> None:
    """Export ``component`` as Verilog module ``name``, build it with Icarus (``-g2005``: Yosys' ``always @*``
    kick-start needs it; Amaranth's Verilog has no timescale, so one is given) and run ``test_module``
    from ``test_dir``; fails the calling test when any cocotb test fails."""
    from amaranth.back import verilog
    from cocotb_tools.runner import Icarus

    class BoundedIcarus(Icarus):
        """cocotb's Icarus runner with every command (iverilog, vvp) run by :func:`tools.run_tool`."""

        def _execute_cmds(self, cmds, cwd, stdout=None):
            for cmd in cmds:
                tools.run_tool(cmd, cwd=cwd, env=self.env, stdout=stdout, stderr=None if stdout is None else subprocess.STDOUT,
                               tool=Path(cmd[0]).name, timeout_s=ICARUS_TIMEOUT_S,
                               advice=f"the cocotb module {test_module} may wait on a signal that never comes; "
                                      f"raise tests/cocotb_icarus.py's ICARUS_TIMEOUT_S if it is only slow")

    build_dir.mkdir(parents=True, exist_ok=True)
    source = build_dir / f"{name}.v"
    source.write_text(verilog.convert(component, name=name))
    runner = BoundedIcarus()
    runner.build(sources=[source], hdl_toplevel=name, build_dir=build_dir / "build", always=True,
                 timescale=("1ns", "1ps"), build_args=["-g2005"])
    results = runner.test(hdl_toplevel=name, test_module=test_module, build_dir=build_dir / "build",
                          test_dir=test_dir, results_xml=str(build_dir / "results.xml"))
    text = Path(results).read_text()
    assert "<failure" not in text and "<testcase" in text, text
