"""``samna.boards.common`` ("needs a board")."""

from . import power as power
