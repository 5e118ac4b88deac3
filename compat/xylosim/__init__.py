"""An open stand-in for SynSense's ``xylosim`` (0.1.3): its ``v1`` (Xylo v1) and ``v2`` (Xylo Audio 2)
layers with xylosim's names, signatures and record layout, simulated by spikegate's bit-exact
:class:`~spikegate.sim.xylo.XyloSim`.

``spikegate.compat.install()`` makes ``import xylosim`` resolve to this package when no real xylosim is
importable, so rockpool's ``XyloSim.from_specification(...)`` / ``from_config(...)`` run on spikegate.
"""

from . import v1, v2

__all__ = ["v1", "v2"]
