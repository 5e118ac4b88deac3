"""Run a cocotb test module on an exported Verilog design in Icarus Verilog, from pytest."""

from pathlib import Path


def run_icarus(component, name: str, test_module: str, test_dir: Path, build_dir: Path) -> None:
    """Export ``component`` as Verilog module ``name``, build it with Icarus (``-g2005``: Yosys' ``always @*``
    kick-start needs it; Amaranth's Verilog has no timescale, so one is given) and run ``test_module``
    from ``test_dir``; fails the calling test when any cocotb test fails."""
    from amaranth.back import verilog
    from cocotb_tools.runner import get_runner

    build_dir.mkdir(parents=True, exist_ok=True)
    source = build_dir / f"{name}.v"
    source.write_text(verilog.convert(component, name=name))
    runner = get_runner("icarus")
    runner.build(sources=[source], hdl_toplevel=name, build_dir=build_dir / "build", always=True,
                 timescale=("1ns", "1ps"), build_args=["-g2005"])
    results = runner.test(hdl_toplevel=name, test_module=test_module, build_dir=build_dir / "build",
                          test_dir=test_dir, results_xml=str(build_dir / "results.xml"))
    text = Path(results).read_text()
    assert "<failure" not in text and "<testcase" in text, text
