"""Expression builders for the Xylo arithmetic of ``docs/xylo-core.md`` §2 (16-bit registers)."""

from amaranth.hdl import Mux, Value

#: The chip's state registers are signed 16-bit.
STATE_BITS = 16
STATE_MIN = -(1 << (STATE_BITS - 1))
STATE_MAX = (1 << (STATE_BITS - 1)) - 1


def saturate(value: Value) -> Value:
    """``sat(x)``: ``value`` (signed, any width) clipped to the signed 16-bit range."""
    return Mux(value > STATE_MAX, STATE_MAX, Mux(value < STATE_MIN, STATE_MIN, value))[:STATE_BITS].as_signed()


def leak(x: Value, shifted: Value) -> Value:
    """``leak(x, d)`` given ``shifted = x >> d`` (arithmetic): ``shifted``, but 1 where ``x > 0`` and
    ``shifted == 0``. Signed, 16 bits."""
    return Mux((x > 0) & (shifted == 0), 1, shifted)[:STATE_BITS].as_signed()
