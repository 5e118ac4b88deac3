"""``samna.specksim.events``: not provided (see :mod:`spikegate.compat.specksim`)."""

from .._unavailable import USE_SPECKSIM, placeholders

globals().update(placeholders("samna.specksim.events", "Spike", USE_SPECKSIM))
