"""``samna.unifirm.modules.mc3632``: the Xylo IMU board's accelerometer ("needs a board")."""

from ..._unavailable import placeholders

globals().update(placeholders("samna.unifirm.modules.mc3632", "Mc3632"))
