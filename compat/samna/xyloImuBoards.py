"""``samna.xyloImuBoards``: the Xylo IMU development board ("needs a board")."""

from ._unavailable import placeholders

globals().update(placeholders("samna.xyloImuBoards", "XyloImuTestBoard MeasurementChannels"))
