"""Testbench helpers for ``amaranth.lib.stream`` interfaces, shared by the gateware's simulation drivers
and the tests, and the payload of the cores' one configuration-bus convention (:func:`config_request`).

A transfer happens at the clock edge where ``valid`` and ``ready`` are both high (Amaranth's stream rule);
each helper completes exactly one transfer per payload, a transfer per cycle while the other side keeps up,
so a bench built from them runs the same cycles as a hand-written loop. ``within``: the most clock cycles
to wait for one transfer (None: no bound); past it, ``TimeoutError`` names the stream.
"""

from __future__ import annotations

from amaranth.lib import data


def config_request(address_bits: int, data_bits: int = 16) -> data.StructLayout:
    """The payload of a core's configuration stream: write ``data`` (``data_bits``) at ``addr``
    (``address_bits``) or, with ``write`` = 0, read ``addr``; each read is answered in order on the core's
    ``readback`` stream of ``data_bits``-bit words. The DYNAP-CNN core and chip and the Xylo core's
    :class:`~spikegate.hdl.xylo.host_port.HostPort` use it (each with its own address map)."""
    return data.StructLayout({"addr": address_bits, "data": data_bits, "write": 1})


def _name(stream) -> str:
    """The stream's name as its component's member (``config`` of ``config__valid``)."""
    return stream.valid.name.removesuffix("__valid")


async def _handshake(ctx, stream, signal, within: int | None, what: str):
    """Tick until ``signal`` is high at a clock edge; the payload sampled at that edge."""
    if within is None:
        payload, = await ctx.tick().sample(stream.payload).until(signal)
        return payload
    for _ in range(within):
        *_, high, payload = await ctx.tick().sample(signal, stream.payload)
        if high:
            return payload
    raise TimeoutError(f"{_name(stream)}: no transfer within {within} cycles ({what} stayed low)")


async def send(ctx, stream, payload, *, within: int | None = None) -> None:
    """Transfer ``payload`` on ``stream`` (an input stream of the design under test): drive ``payload`` and
    ``valid``, wait for the clock edge where ``ready`` is high, then drop ``valid``. ``payload``: an int, or a
    dict of field values for a ``data.StructLayout`` payload (fields left out are zero)."""
    await send_all(ctx, stream, [payload], within=within)


async def send_all(ctx, stream, payloads, *, within: int | None = None) -> None:
    """:func:`send` each of ``payloads`` in order, back to back (one per cycle while ``ready`` stays high)."""
    for payload in payloads:
        ctx.set(stream.payload, payload)
        ctx.set(stream.valid, 1)
        try:
            await _handshake(ctx, stream, stream.ready, within, "ready")
        finally:
            ctx.set(stream.valid, 0)


async def receive(ctx, stream, *, within: int | None = None):
    """Take one payload from ``stream`` (an output stream of the design): raise ``ready``, wait for the clock
    edge where ``valid`` is high, drop ``ready``; returns the payload (an int, or a ``data.Const`` view)."""
    ctx.set(stream.ready, 1)
    try:
        return await _handshake(ctx, stream, stream.valid, within, "valid")
    finally:
        ctx.set(stream.ready, 0)


async def collect(ctx, stream, into: list, ready=None) -> None:
    """Append every payload transferred on ``stream`` to ``into``, forever (run it as a background
    testbench). ``ready``: None keeps ``ready`` high; else ``ready(cycle)`` gives it per cycle (back-pressure)."""
    cycle = 0
    while True:
        taking = True if ready is None else bool(ready(cycle))
        ctx.set(stream.ready, taking)
        *_, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
        if valid and taking:
            into.append(payload)
        cycle += 1
