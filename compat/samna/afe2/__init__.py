"""``samna.afe2``: the Xylo Audio 2 analog front end, which spikegate does not emulate: importable, and every
name "needs a board"."""

from .._unavailable import placeholders
from . import configuration as configuration, event as event

globals().update(placeholders("samna.afe2", "validate_configuration"))
