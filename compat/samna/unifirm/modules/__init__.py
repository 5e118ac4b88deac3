"""``samna.unifirm.modules``: board peripherals ("needs a board")."""

from . import mc3632
