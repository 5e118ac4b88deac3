"""Place and route DYNAP-CNN hardware cores with YoWASP and print resources and Fmax.

    python bench/dynapcnn_hdl_synth.py [build_dir]

ECP5-85F: core 0 of Speck 2f at full size (16Ki int8 weights, 64Ki int16 membranes, 1Ki biases), and a
nine-core chip of reduced cores (4Ki weights, 4Ki membranes, 64 biases each; the chip's full memories, about
7.5 Mbit, do not fit the 85F's 3.7 Mbit).
iCE40 UP5K: a small core (2Ki weights, 1Ki membranes, 16 biases: e.g. 4 features of 16x16, 8 channels, k 3).
"""

import sys
import tempfile
import time
from pathlib import Path

from spikegate.fpga.toolchain import synthesize
from spikegate.hdl.dynapcnn import CoreLimits, DynapcnnChip, DynapcnnCore

SMALL = CoreLimits(kernel=2048, neuron=1024, bias=16)
REDUCED = CoreLimits(kernel=4096, neuron=4096, bias=64)
BUILDS = (
    ("core0-speck2f", "ecp5-85f", lambda: DynapcnnCore(CoreLimits.of_chip(0))),
    ("small-core", "ice40-up5k", lambda: DynapcnnCore(SMALL)),
    ("chip-9-reduced-cores", "ecp5-85f", lambda: DynapcnnChip([REDUCED] * 9)),
)


def main(build_root: Path) -> None:
    for name, target, design in BUILDS:
        start = time.perf_counter()
        report = synthesize(design(), target, build_root / name)
        print(f"== {name} on {target} ({time.perf_counter() - start:.0f} s)")
        print(report.text())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="dynapcnn-synth-")))
