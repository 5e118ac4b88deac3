"""``samna.xyloAudio3.event``: the SNN core's events, which travel to and from a board only (each "needs a board")."""

from .._xylo_boards import event_placeholders

globals().update(event_placeholders("xyloAudio3"))
