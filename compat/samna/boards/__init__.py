"""``samna.boards``: board utilities ("needs a board")."""

from . import common as common
