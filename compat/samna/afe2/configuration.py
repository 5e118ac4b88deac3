"""``samna.afe2.configuration``: the analog front end's configuration ("needs a board")."""

from .._unavailable import placeholders

globals().update(placeholders("samna.afe2.configuration", "AfeConfiguration"))
