"""spikegate.converter: PyTorch and NIR models to chip register configurations."""

from spikegate.sim.extras import require

require("spikegate.converter", "torch", "nir", "matplotlib", extra="convert")
