"""Payload layouts of the DYNAP-CNN hardware's streams and the layouts of its register files.

Widths follow the chip's limits (spec §1): input maps ≤ 128 (7-bit coordinates), neuron maps ≤ 64,
≤ 1024 features (10-bit channel numbers), nine cores plus the DVS layer (4-bit layer numbers),
int16 states and thresholds, int8 weights.

Host-side payload words come from Amaranth itself: ``ChipInput.const(fields).as_bits()`` packs one (each
field's value, two's complement for signed fields, at its offset; missing fields zero) and
``MonitorOut.from_bits(word)`` unpacks one (field access gives ints).
"""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from spikegate.sim.dynapcnn.config import CORE_REGISTER_SET, DESTINATION_REGISTER_SET

COORD = unsigned(7)  #: an x or y coordinate (input maps up to 128)
CHANNEL = unsigned(10)  #: a channel or feature number (up to 1024)
LAYER = unsigned(4)  #: a core index 0..8, or 9 for the DVS layer
STATE = signed(16)  #: membrane, threshold, bias
WEIGHT = signed(8)
TIMESTAMP = unsigned(32)

#: An event entering a core: input position (x, y) and channel; ``leak`` = 1 makes it a leak tick
#: (the other fields are then ignored).
CoreInput = data.StructLayout({"x": COORD, "y": COORD, "channel": CHANNEL, "leak": 1})

#: An event leaving a core or the DVS layer: position and feature (channel for the DVS layer).
Event = data.StructLayout({"x": COORD, "y": COORD, "feature": CHANNEL})

#: An event on its way to core ``target`` (the router's output).
Route = data.StructLayout({"target": LAYER, "x": COORD, "y": COORD, "channel": CHANNEL, "leak": 1})

#: A monitor (host) copy of an event: the emitting layer (core, or 9 for the DVS layer) and the event.
Monitor = data.StructLayout({"layer": LAYER, "feature": CHANNEL, "x": COORD, "y": COORD})

#: A monitor record leaving the chip: a :data:`Monitor` plus the timestamp of the input item that caused it.
MonitorOut = data.StructLayout({"layer": LAYER, "feature": CHANNEL, "x": COORD, "y": COORD, "t": TIMESTAMP})

#: An input item of the chip: an event (x, y, p) entering the DVS layer, or, with ``leak`` = 1, one leak
#: tick of core ``core``; ``t`` (µs) stamps every output record it causes.
ChipInput = data.StructLayout({"x": COORD, "y": COORD, "p": CHANNEL, "t": TIMESTAMP, "leak": 1, "core": LAYER})

def op_layout(neuron_bits: int, kernel_bits: int) -> data.StructLayout:
    """One synaptic (or leak) operation of a core's update pipeline: the neuron (f, ox, oy) and its
    neuron-memory address, the kernel-memory address of its weight, whether it is a leak update (then the
    operand is ``biases[f]``) and whether it updates the same neuron as the op issued just before it
    (``repeat``: only possible for the first op of an event)."""
    return data.StructLayout({"neuron_addr": neuron_bits, "kernel_addr": kernel_bits, "feature": CHANNEL,
                              "x": unsigned(6), "y": unsigned(6), "leak": 1, "repeat": 1})


def register_layout(table):
    """The layout of a register table of :mod:`spikegate.sim.dynapcnn.config` (a dict is a struct, a tuple
    an array, ``"u<bits>"``/``"s<bits>"`` an unsigned/signed field)."""
    if isinstance(table, dict):
        return data.StructLayout({name: register_layout(kind) for name, kind in table.items()})
    if isinstance(table, tuple):
        return data.ArrayLayout(register_layout(table[0]), len(table))
    return (signed if table[0] == "s" else unsigned)(int(table[1:]))


#: One route of a core or of the DVS layer (samna ``CNNLayerDestination``).
Destination = register_layout(DESTINATION_REGISTER_SET)

#: The routing registers shared by cores and the DVS layer (input of :class:`EventRouter`).
RouteFields = data.StructLayout({"monitor_enable": 1, "destinations": data.ArrayLayout(Destination, 2)})

_Size = lambda width: data.StructLayout({"x": width, "y": width})  # noqa: E731

#: All registers of one core, named as samna's ``CnnLayerConfig`` fields (``CORE_REGISTER_SET``).
CoreFields = register_layout(CORE_REGISTER_SET)

#: All registers of the DVS layer, named as samna's ``DvsLayerConfig`` fields.
DvsFields = data.StructLayout({
    "merge": 1,
    "pooling": _Size(unsigned(3)),
    "origin": _Size(COORD),
    "cut": _Size(COORD),
    "mirror_x": 1,
    "mirror_y": 1,
    "mirror_diagonal": 1,
    "pass_sensor_events": 1,
    "monitor_enable": 1,
    "destinations": data.ArrayLayout(Destination, 2),
})
