"""Reading NIR files without trusting the reader: :func:`read_nir`.

``nir.read`` parses HDF5 with h5py, and libhdf5 can crash the interpreter (a segmentation fault) on a
damaged file, which no ``except`` catches. So the file is read in a child Python process, bounded in
time, and the graph comes back pickled: a damaged file, a crash or a hang of the reader becomes one
``ValueError`` that names the file's problem, and the caller's process lives on.

    python -m spikegate.converter.nir_file FILE   # the child: the pickled graph on stdout
"""

from __future__ import annotations

import pickle
import signal
import subprocess
import sys
from pathlib import Path

READ_TIMEOUT_S = 600.0
"""Seconds the child may take to read one file (a large graph reads in seconds)."""


def read_nir(path: str | Path):
    """``nir.read(path)`` in a child process; raises ValueError ``"not a NIR graph that nir can read (nir.read:
    <the reader's reason, or the signal it crashed with>)"``."""
    try:
        child = subprocess.run([sys.executable, "-m", __name__, str(path)], capture_output=True,
                               timeout=READ_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ValueError(f"not a NIR graph that nir can read (nir.read: no graph after {READ_TIMEOUT_S:g} s; "
                         f"raise spikegate.converter.nir_file.READ_TIMEOUT_S for a larger file)") from None
    if child.returncode < 0:
        raise ValueError(f"not a NIR graph that nir can read (nir.read: crashed with signal "
                         f"{signal.Signals(-child.returncode).name}: the file is damaged)")
    if child.returncode != 0:
        reason = child.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {child.returncode}"]
        raise ValueError(f"not a NIR graph that nir can read (nir.read: {reason[-1]})")
    return pickle.loads(child.stdout)


def _main(path: str) -> int:
    import nir

    try:
        graph = nir.read(path)
    except Exception as error:  # noqa: BLE001 (h5py and nir raise anything on a damaged file)
        print(f"{type(error).__name__}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(pickle.dumps(graph))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
