"""The UART packet protocol shared by the gateware (:mod:`.engine`) and the host (:mod:`.host`).

Host to device: one command byte, then its fixed payload of little-endian 32-bit words
(:data:`PAYLOAD_WORDS`); a packet left unfinished for :data:`PACKET_TIMEOUT_BITS` is dropped. Device to host: five-byte replies, a tag byte and one little-endian 32-bit
word. There is no checksum: the link is a USB serial adapter's. ``docs/fpga.md`` is the user's
description of the same protocol.
"""

from __future__ import annotations

import enum
import struct

from amaranth.lib import data


class Command(enum.IntEnum):
    """Command bytes (host to device)."""

    WRITE = 0x01   #: address, data: one configuration word to the core's configuration port
    EVENT = 0x02   #: low, high: one 64-bit input word (an input count or an input event) to the core
    STEP = 0x03    #: none: start one core time step, then reply OUTPUT... and DONE
    READ = 0x04    #: address, count: reply ``count`` VALUE words read back from ``address`` up
    STATUS = 0x05  #: none: reply IDENT, CLOCK, ERRORS
    SYNC = 0x06    #: none: wait until the core is idle (input consumed), reply OUTPUT... and DONE
    SELECT = 0x07  #: core: the core every later command talks to, in a design with several (no reply)


class Reply(enum.IntEnum):
    """Reply tags (device to host); every reply carries one 32-bit word."""

    OUTPUT = 0x81  #: low half of a 64-bit output word of the core (sent whenever one is pending)
    OUTPUT_HI = 0x87  #: high half of the same output word (always follows OUTPUT)
    DONE = 0x82    #: cycles the core was busy since the previous DONE
    VALUE = 0x83   #: one read-back word
    IDENT = 0x84   #: design identification word (see :func:`ident_word`): selected core, core count
    CLOCK = 0x85   #: free-running cycle counter (wraps at 2**32)
    #: bits 0-15: command errors (unknown command bytes, SELECTs of absent cores, partial packets dropped
    #: after :data:`PACKET_TIMEOUT_BITS`); bits 16-31: UART framing errors and overruns (bytes lost)
    ERRORS = 0x86


#: 32-bit payload words following each command byte.
PAYLOAD_WORDS = {Command.WRITE: 2, Command.EVENT: 2, Command.STEP: 0, Command.READ: 2,
                 Command.STATUS: 0, Command.SYNC: 0, Command.SELECT: 1}

#: Protocol version in the IDENT word (2: SELECT and the core fields).
VERSION = 2

#: Most cores one design may hold behind its link (the engine's select register is 4 bits wide).
MAX_CORES = 16

#: Bit times (at the link's baud rate) a started command packet may wait for its next byte before the
#: device drops it (10 ms at 1 Mbaud): a host that lost framing (a byte garbled or lost on the line)
#: stays silent for longer, and the next byte it sends is taken as a command byte (``Link.resync``).
PACKET_TIMEOUT_BITS = 10_000

#: Bytes of one reply.
REPLY_BYTES = 5

#: Payload of a decoded command: the command byte and up to two argument words.
COMMAND_LAYOUT = data.StructLayout({"command": 8, "a": 32, "b": 32})

#: Payload of a reply before serialisation.
REPLY_LAYOUT = data.StructLayout({"tag": 8, "word": 32})

#: Largest core kind id: the IDENT word's bits 8-15 (0 is no core).
MAX_CORE_KIND = 255


def core_kinds() -> dict[str, int]:
    """Chip name -> core kind id in the IDENT word, of every registered chip with an FPGA facet (its
    ``core_kind``: Xylo 1, DYNAP-CNN 2), in id order. Raises ValueError (one line) when a chip declares an
    id outside 1..:data:`MAX_CORE_KIND` or the id of another chip."""
    from .facet import fpga_facets

    owners: dict[int, str] = {}
    for name, facet in fpga_facets().items():
        kind = facet.core_kind
        if not isinstance(kind, int) or not 1 <= kind <= MAX_CORE_KIND:
            raise ValueError(f"core_kind of {name}: value {kind!r} is outside 1..{MAX_CORE_KIND}")
        if kind in owners:
            raise ValueError(f"core_kind {kind}: declared by both {owners[kind]} and {name}; each chip's FPGA "
                             f"facet needs its own id")
        owners[kind] = name
    return {owners[kind]: kind for kind in sorted(owners)}


def ident_word(kind: str, cores: int = 1, selected: int = 0) -> int:
    """IDENT word: bits 0-7 protocol version (:data:`VERSION`), bits 8-15 kind id of the selected core
    (:func:`core_kinds`), bits 16-23 cores behind the link, bits 24-31 the selected core's index."""
    kinds = core_kinds()
    if kind not in kinds:
        raise ValueError(f"kind: {kind!r} is not one of {tuple(kinds)}")
    return VERSION | kinds[kind] << 8 | cores << 16 | selected << 24


def parse_ident(word: int) -> dict:
    """``version``, ``kind`` (a chip name of :func:`core_kinds`, or ``"unknown (N)"``), ``cores`` and
    ``selected`` of an IDENT word (:func:`ident_word`)."""
    kinds = {code: name for name, code in core_kinds().items()}
    code = word >> 8 & 0xFF
    return {"version": word & 0xFF, "kind": kinds.get(code, f"unknown ({code})"), "cores": word >> 16 & 0xFF,
            "selected": word >> 24 & 0xFF}


def encode(command: Command, *words: int) -> bytes:
    """One command packet. Raises ValueError on a wrong word count or a word outside 32 bits."""
    command = Command(command)
    if len(words) != PAYLOAD_WORDS[command]:
        raise ValueError(f"{command.name}: expected {PAYLOAD_WORDS[command]} payload words, got {len(words)}")
    for word in words:
        if not 0 <= word < 1 << 32:
            raise ValueError(f"{command.name}: payload word {word} is outside the range 0..{(1 << 32) - 1}")
    return bytes([command]) + struct.pack(f"<{len(words)}I", *words)


def decode_reply(packet: bytes) -> tuple[Reply, int]:
    """``(tag, word)`` of one five-byte reply. Raises ValueError on an unknown tag."""
    try:
        tag = Reply(packet[0])
    except ValueError:
        raise ValueError(f"reply: unknown tag byte 0x{packet[0]:02x} (known: "
                         f"{', '.join(f'0x{t:02x}' for t in Reply)})") from None
    return tag, struct.unpack("<I", packet[1:REPLY_BYTES])[0]
