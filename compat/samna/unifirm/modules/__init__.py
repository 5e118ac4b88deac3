"""``samna.unifirm.modules``: board peripherals ("needs a board")."""

from . import mc3632 as mc3632
