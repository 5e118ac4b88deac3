"""``samna.unifirm.timestamp`` ("needs a board")."""

from .._unavailable import placeholders

globals().update(placeholders("samna.unifirm.timestamp", "StopWatch"))
