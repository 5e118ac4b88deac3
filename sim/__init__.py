"""spikegate.sim: the base of spikegate.

It holds the register-configuration data models of both chips (the contract shared by the
converter, the numpy models and the hardware descriptions) and the bit-exact behavioural models:

- :mod:`spikegate.sim.xylo`: the Xylo LIF array (``XyloConfig``, ``XyloSim``).
- :mod:`spikegate.sim.dynapcnn`: the DYNAP-CNN cores and chip.

Nothing here imports ``spikegate.converter``, ``spikegate.hdl`` or ``spikegate.fpga``.
"""

__version__ = "0.1.0"
