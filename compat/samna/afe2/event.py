"""``samna.afe2.event``: the analog front end's events ("needs a board")."""

from .._unavailable import placeholders

globals().update(placeholders("samna.afe2.event", "Spike RegisterValue ReadRegisterValue WriteRegisterValue"))
