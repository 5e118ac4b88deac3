"""The built wheel works on its own: installed into a fresh virtual environment (dependencies reused from
this one, no network), run from a folder outside the repository, it exports Xylo test vectors and
compiles them with the shipped Verilog testbench (an HDL path), and runs a small Xylo core behind the
UART on the CXXRTL model compiled with the shipped C++ bridge (an FPGA path)."""

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

# slow: a wheel build, a fresh environment and a compiled design on a loaded 2-core machine (default 120 s)
pytestmark = pytest.mark.timeout(600)

SCRIPT = r'''
import subprocess, sys
from pathlib import Path
import numpy as np
import spikegate
from spikegate.sim.xylo import XyloConfig, XyloSim

assert "site-packages" in spikegate.sim.__file__ and "{root}" not in spikegate.sim.__file__, spikegate.sim.__file__
rng = np.random.default_rng(0)
config = XyloConfig.from_spec(weights_in=rng.integers(-60, 60, (2, 4)), weights_out=rng.integers(-60, 60, (4, 2)),
                              threshold=50, threshold_out=50)
raster = rng.integers(0, 3, (6, 2))
config.save("net.json")
np.save("raster.npy", raster)

# HDL: test vectors and the packaged Verilog testbench, through the installed command line
subprocess.run([str(Path(sys.executable).parent / "spikegate"), "vectors", "export", "net.json", "raster.npy",
                "--out", "vec"], check=True, timeout=300)
subprocess.run("iverilog -g2005 -o tb tb_xylo.v xylo_core.v && vvp tb", shell=True, cwd="vec", check=True,
               timeout=300)

# FPGA: a small Xylo core behind the UART, on CXXRTL with the packaged bridge
from spikegate.fpga.host import Link, XyloBoard
from spikegate.fpga.serial_top import SerialTop
from spikegate.fpga.transport import CompiledSerial
from spikegate.fpga.xylo_adapter import XyloAdapter
from spikegate.hdl.xylo import XyloCoreParams

params = XyloCoreParams(n_inputs=2, n_hidden=4, n_outputs=2, max_fanout=4, max_synapses=16)
serial = CompiledSerial(SerialTop({{"xylo": XyloAdapter(params)}}, 4), 4, "cxxrtl")
try:
    out, _, _ = XyloBoard(Link(serial), params, config).evolve(raster)
finally:
    serial.close()
assert (out == XyloSim(config).evolve(raster)[0]).all()
print("wheel ok")
'''


@pytest.mark.skipif(shutil.which("iverilog") is None or shutil.which("g++") is None, reason="needs iverilog and g++")
def test_wheel_installs_and_runs_hdl_and_fpga_paths(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(ROOT)], check=True, timeout=300, cwd=tmp_path)
    wheel = next(wheels.glob("spikegate-*.whl"))
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, timeout=60).stdout.strip())
    # the dependencies of this environment, without its editable spikegate (a .pth line adds a path but
    # runs none of the .pth files found there)
    (site / "reused_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([str(python), "-c", SCRIPT.format(root=ROOT)], cwd=work, capture_output=True,
                            text=True, timeout=600, env={"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
                                                         "AMARANTH_USE_YOSYS": "builtin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wheel ok" in result.stdout
