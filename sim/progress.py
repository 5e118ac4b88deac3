"""Progress of long work, one way for every command: tqdm bars on stderr, and a note when numba compiles.

Bars show only on a terminal, and never after :func:`configure` ``(False)`` (the command line's
``--no-progress``) or when the caller passes ``enabled=False``. numba compiles a model's kernels on its
first call after installing (then loads them from its disk cache): :func:`compiling` says so once when
that takes a while, and callers run it before they start a clock, so no reported time includes it.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

from tqdm import tqdm

_enabled = True
_announced: set[str] = set()
#: A first call that takes longer than this (s) is announced as a compilation.
ANNOUNCE_AFTER_S = 1.0


def configure(enabled: bool) -> None:
    """Turn every progress bar of this process on (the default: on a terminal) or off."""
    global _enabled
    _enabled = bool(enabled)


def bar(iterable=None, *, enabled: bool = True, **kwargs) -> tqdm:
    """A tqdm bar on stderr (``kwargs`` as tqdm's), shown only on a terminal and when progress is on."""
    return tqdm(iterable, disable=True if not (enabled and _enabled) else None, file=sys.stderr, **kwargs)


@contextmanager
def compiling(what: str):
    """Around the first call of a numba-compiled model (``what``, e.g. "DynapcnnSim"): if it takes more than
    :data:`ANNOUNCE_AFTER_S`, print once per process that numba is compiling, and how long it took (on a
    terminal, with progress on, like the bars)."""
    if what in _announced or not (_enabled and sys.stderr.isatty()):
        yield
        return
    start = time.perf_counter()

    def announce():
        _announced.add(what)
        print(f"numba: compiling the {what} kernels (first use after installing; cached on disk, "
              f"not counted in any reported time)...", file=sys.stderr, flush=True)

    timer = threading.Timer(ANNOUNCE_AFTER_S, announce)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if what in _announced:
            print(f"numba: {what} ready after {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        _announced.add(what)
