"""``samna.unifirm``: the development boards' firmware modules ("needs a board")."""

from . import modules as modules, timestamp as timestamp
