"""Porting walkthrough: two deliberately wrong implementations of a DYNAP-CNN core, found by ``trace diff``.

Run: ``python examples/porting_walkthrough.py [OUT_DIR]``. It writes the reference trace of a small
two-core network, then the traces of two "ports" with a classic bug each — reset to zero instead of
subtracting the threshold, and a kernel read as [ky][kx] instead of [kx][ky] — and prints where each
first parts from the reference. docs/porting.md walks through the output.
"""

import sys
from pathlib import Path

import numpy as np

from spikegate.sim.dynapcnn.config import ChipConfig, CoreConfig, Destination, DvsLayerConfig
from spikegate.sim.dynapcnn.model import INPUT_EVENT_DTYPE
from spikegate.sim.trace import diff, dynapcnn_trace


def network(return_to_zero: bool = False, transpose_kernel: bool = False) -> ChipConfig:
    rng = np.random.default_rng(3)
    weights = rng.integers(-20, 60, (4, 2, 3, 3))
    if transpose_kernel:
        weights = weights.transpose(0, 1, 3, 2)
    first = CoreConfig.from_weights(weights, (8, 8), threshold_high=70, threshold_low=-90,
                                    return_to_zero=return_to_zero,
                                    destinations=[Destination(layer=4, enable=True, pooling=2)])
    second = CoreConfig.from_weights(rng.integers(-10, 80, (3, 4, 2, 2)), (3, 3), threshold_high=60,
                                     threshold_low=-50, monitor_enable=True)
    return ChipConfig(cores={1: first, 4: second}, dvs_layer=DvsLayerConfig.direct([1], (8, 8)))


def events(n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(1)
    out = np.zeros(n, INPUT_EVENT_DTYPE)
    out["x"], out["y"], out["p"], out["t"] = rng.integers(0, 8, n), rng.integers(0, 8, n), rng.integers(0, 2, n), np.arange(n)
    return out


def main(out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    reference = dynapcnn_trace(network(), events(), membrane_cores=(1, 4))
    reference.save(out_dir / "reference.npz")
    reports = {}
    for name, bug in (("reset-to-zero", {"return_to_zero": True}), ("transposed-kernel", {"transpose_kernel": True})):
        port = dynapcnn_trace(network(**bug), events(), membrane_cores=(1, 4), model=name)
        port.config_digest = reference.config_digest  # the port claims to implement the reference config
        port.save(out_dir / f"{name}.npz")
        reports[name] = diff(reference, port).report()
        print(f"== spikegate trace diff reference.npz {name}.npz\n{reports[name]}\n")
    return reports


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/porting"))
