"""``samna.events``: sensor events of the boards, e.g. the IMU's ``Acceleration`` ("needs a board")."""

from ._unavailable import placeholders

globals().update(placeholders("samna.events", "Acceleration"))
