"""``samna.specksim``: samna's simulator nodes are not provided; ``spikegate.compat.specksim.from_sequential``
gives specksim's user API on spikegate's ``DynapcnnSim``. The names exist so that modules importing them load."""

from . import events, nodes

__all__ = ["events", "nodes"]
