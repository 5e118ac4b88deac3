"""samna names that exist so that code importing them loads, but that cannot work without a board (device
streams, graphs, GUI) or that spikegate does not provide (samna's specksim nodes).

Each is a class: usable in annotations and ``isinstance`` checks, and creating one (or calling it) raises
:class:`UnavailableError` with a one-line reason. Nothing here pretends to work.
"""

from __future__ import annotations

NEEDS_BOARD = ("needs a board: spikegate.compat.samna emulates samna's configuration API, not devices; run a "
               "configuration with spikegate.compat.samna.simulate or spikegate.sim.dynapcnn.DynapcnnSim")
USE_SPECKSIM = "is not provided by spikegate: use spikegate.compat.specksim.from_sequential"


class UnavailableError(RuntimeError):
    """A samna feature that needs a board, or that spikegate does not provide, was used."""


class Unavailable:
    """Base of the placeholder classes; ``SAMNA_NAME`` and ``REASON`` make the message."""

    SAMNA_NAME = "samna"
    REASON = NEEDS_BOARD

    def __new__(cls, *args, **kwargs):
        raise UnavailableError(f"{cls.SAMNA_NAME} {cls.REASON}")


def unavailable(samna_name: str, reason: str = NEEDS_BOARD) -> type:
    """A placeholder class for ``samna_name`` (e.g. ``"samna.graph.EventFilterGraph"``)."""
    name = samna_name.rsplit(".", 1)[-1]
    return type(name, (Unavailable,), {"SAMNA_NAME": samna_name, "REASON": reason, "__doc__": f"{samna_name} {reason}."})


def placeholders(module: str, names: str, reason: str = NEEDS_BOARD) -> dict[str, type]:
    """Placeholder classes of the space-separated ``names`` of samna module ``module``."""
    return {name: unavailable(f"{module}.{name}", reason) for name in names.split()}
