"""``samna.unifirm``: the development boards' firmware modules ("needs a board")."""

from . import modules, timestamp
