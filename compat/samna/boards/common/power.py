"""``samna.boards.common.power``: a board's power monitor ("needs a board")."""

from ..._unavailable import placeholders

globals().update(placeholders("samna.boards.common.power", "PowerMonitor"))
