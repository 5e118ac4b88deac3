"""``samna.xyloA2TestBoard``: the Xylo Audio 2 development board ("needs a board")."""

from ._unavailable import placeholders

globals().update(placeholders("samna.xyloA2TestBoard", "MeasurementChannels"))
