"""Place and route DYNAP-CNN hardware cores with YoWASP and print resources and Fmax.

    python bench/dynapcnn_hdl_synth.py [build_dir]

ECP5-85F: core 0 of Speck 2f at full size (16Ki int8 weights, 64Ki int16 membranes, 1Ki biases).
iCE40 UP5K: a small core (2Ki weights, 1Ki membranes, 16 biases: e.g. 4 features of 16x16, 8 channels, k 3).
"""

import sys
import tempfile
import time
from pathlib import Path

from spikegate.fpga.toolchain import synthesize
from spikegate.hdl.dynapcnn import CoreLimits, DynapcnnCore

BUILDS = {
    "ecp5-85f": CoreLimits.of_chip(0),
    "ice40-up5k": CoreLimits(kernel=2048, neuron=1024, bias=16),
}


def main(build_root: Path) -> None:
    for target, limits in BUILDS.items():
        start = time.perf_counter()
        report = synthesize(DynapcnnCore(limits), target, build_root / target)
        print(f"== DynapcnnCore {limits} on {target} ({time.perf_counter() - start:.0f} s)")
        print(report.text())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="dynapcnn-synth-")))
