"""An importable stand-in for ``samnagui`` (samna's visualizer program, which sinabs' io module imports):
``run_visualizer`` raises :class:`~spikegate.compat.samna.UnavailableError`."""

from .samna._unavailable import unavailable

run_visualizer = unavailable("samnagui.run_visualizer", "is samna's GUI, which needs a board and is not provided "
                                                        "by spikegate")
