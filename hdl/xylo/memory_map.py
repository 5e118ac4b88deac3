"""The host's view of :class:`~spikegate.hdl.xylo.XyloCore`: its size parameters, the address map of
the configuration/read-back ports, and the encoder from a :class:`XyloConfig` to configuration writes.

Pure Python (no Amaranth): the core, :func:`spikegate.hdl.xylo.simulate`, the cocotb testbench, the
FPGA host driver and test-vector export all use this one module.

Address map
-----------

A port address is ``region << 16 | offset`` (21 bits); data words are 16 bits. Every region can be
written through the configuration port and read through the read-back port, while the core is idle.
:data:`REGIONS` and :data:`CTRL_REGISTERS` are the one description of the map: :class:`Region`,
:class:`Ctrl`, :meth:`XyloCoreParams.region_depth`, the core's address decoder and the tables of
``docs/xylo-hdl.md`` (checked by ``tests/test_docs_code.py``) all derive from them.

``MISC`` holds, one after the other: the fan-out entries' high bits (entry ``e`` in word ``e >> 2``, bits
``3·(e & 3)``: ``syn << 2 | target[9:8]``), the readout weights (hidden neuron ``j``, readout ``o`` in word
:attr:`XyloCoreParams.misc_out_base` ``+ j·out_words + (o >> 1)``, byte ``o & 1``) and the fan-out list
lengths (neuron ``j`` in word :attr:`XyloCoreParams.misc_len_base` ``+ j``). The fan-out list of neuron ``j``
starts where the list of ``j - 1`` ends (entry 0 for neuron 0), entries in ascending (target, synapse).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from amaranth.utils import ceil_log2

from spikegate.sim.xylo.config import VERSIONS, XyloConfig
from spikegate.sim.xylo.profiles import DEFAULT_PROFILE, get_profile

#: Width of a port address: a 5-bit region and a 16-bit offset.
ADDRESS_BITS = 21
OFFSET_BITS = 16
DATA_BITS = 16
#: Width of the fan-out target field (fixed whatever the core size: up to 1024 neurons).
TARGET_BITS = 10
#: Fan-out entries whose high bits share one MISC word.
FANHI_PER_WORD = 4


@dataclass(frozen=True)
class RegionSpec:
    """One region of the address map.

    Attributes:
        name: the :class:`Region` member's name.
        id: the region number (the top 5 address bits).
        words: the :class:`XyloCoreParams` attribute giving its number of offsets.
        offset: what an offset selects.
        word: what the 16-bit word holds.
        version: the first core version that has the region (it has no offsets below that version).
        memory: for a readout region, the hidden-neuron region whose memory holds it, at ``n_hidden + offset``.
    """

    name: str
    id: int
    words: str
    offset: str
    word: str
    version: int = 1
    memory: str | None = None


#: The address map, in region order (rendered as the address-map table of docs/xylo-hdl.md).
REGIONS = (
    RegionSpec("CTRL", 0, "ctrl_words", "a CTRL register (below)", "the register"),
    RegionSpec("W_IN", 1, "w_in_depth", "`channel << hidden_bits | neuron`", "`w_syn2 << 8 | w_syn1` (int8 each)"),
    RegionSpec("FAN", 2, "max_synapses", "entry `e`", "`target[7:0] << 8 | weight` (int8)"),
    RegionSpec("MISC", 3, "misc_depth", "raw word", "fan-out high bits, readout weights, list lengths (below)"),
    RegionSpec("THRESHOLD", 4, "n_hidden", "neuron", "int16"),
    RegionSpec("DASH", 5, "n_hidden", "neuron", "`dash_syn_2 << 8 | dash_syn << 4 | dash_mem`"),
    RegionSpec("ALIAS", 6, "n_hidden", "neuron", "`1 << 10 | target`, or 0 for none"),
    RegionSpec("BIAS", 7, "n_hidden", "neuron", "int16", version=2),
    RegionSpec("THRESHOLD_OUT", 8, "n_outputs", "readout neuron", "int16", memory="THRESHOLD"),
    RegionSpec("DASH_OUT", 9, "n_outputs", "readout neuron", "`dash_syn_out << 4 | dash_mem_out`", memory="DASH"),
    RegionSpec("BIAS_OUT", 10, "n_outputs", "readout neuron", "int16", version=2, memory="BIAS"),
    RegionSpec("ISYN", 16, "n_hidden", "neuron", "int16 state"),
    RegionSpec("ISYN2", 17, "n_hidden", "neuron", "int16 state"),
    RegionSpec("VMEM", 18, "n_hidden", "neuron", "int16 state"),
    RegionSpec("SPIKES", 19, "n_hidden", "neuron", "spike count of the last step (0..31)"),
    RegionSpec("ISYN_OUT", 20, "n_outputs", "readout neuron", "int16 state", memory="ISYN"),
    RegionSpec("VMEM_OUT", 21, "n_outputs", "readout neuron", "int16 state", memory="VMEM"),
)


@dataclass(frozen=True)
class CtrlSpec:
    """One register of the CTRL region: its name (the :class:`Ctrl` member), offset, access and meaning."""

    name: str
    offset: int
    access: str
    meaning: str


#: The CTRL registers (rendered as the CTRL table of docs/xylo-hdl.md).
CTRL_REGISTERS = (
    CtrlSpec("WSHIFT_IN", 0, "read/write", "input weight shift (3 bits)"),
    CtrlSpec("WSHIFT_REC", 1, "read/write", "recurrent weight shift (3 bits)"),
    CtrlSpec("WSHIFT_OUT", 2, "read/write", "readout weight shift (3 bits)"),
    CtrlSpec("CLEAR", 3, "write", "zero all state (Isyn, Isyn2, Vmem, counts, readout state); reads 0"),
    CtrlSpec("CYCLES_LO", 4, "read", "clock cycles of the last time step, bits 0-15"),
    CtrlSpec("CYCLES_HI", 5, "read", "clock cycles of the last time step, bits 16-31"),
)

#: Regions of the address map (the top 5 address bits), from :data:`REGIONS`.
Region = enum.IntEnum("Region", [(spec.name, spec.id) for spec in REGIONS], module=__name__)
#: Offsets of the registers in :attr:`Region.CTRL`, from :data:`CTRL_REGISTERS`.
Ctrl = enum.IntEnum("Ctrl", [(spec.name, spec.offset) for spec in CTRL_REGISTERS], module=__name__)
REGION_SPECS = {Region[spec.name]: spec for spec in REGIONS}

#: Readout region -> the hidden-neuron region whose memory holds it: readout neuron ``o`` is word
#: ``n_hidden + o`` of the same memory as the hidden neurons' (its Isyn, Vmem, threshold, dashes, bias),
#: so one neuron sweep updates both.
READOUT_MEMORY = {region: Region[spec.memory] for region, spec in REGION_SPECS.items() if spec.memory}
#: Per-neuron memories of the core (one word per hidden neuron, then per readout neuron).
NEURON_MEMORIES = tuple(region for region, spec in REGION_SPECS.items() if spec.words == "n_hidden")
#: Regions held by a single-port memory (:class:`~spikegate.hdl.xylo.spram.SinglePortRAM`).
SINGLE_PORT_MEMORIES = (Region.W_IN, Region.FAN, Region.MISC)


def _markdown(header: list[str], rows) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(row) + " |"
                                                                            for row in rows]


def address_map_tables() -> list[str]:
    """The address map and the CTRL registers as Markdown tables (the lines docs/xylo-hdl.md holds)."""
    regions = [[spec.name, str(spec.id), f"`{spec.words}`" + (f" (version {spec.version})" if spec.version > 1 else ""),
                spec.offset.replace("|", "\\|"), spec.word.replace("|", "\\|")] for spec in REGIONS]
    ctrl = [[str(spec.offset), spec.name, spec.access, spec.meaning] for spec in CTRL_REGISTERS]
    return (_markdown(["region", "id", "words", "offset", "word"], regions) + [""]
            + _markdown(["CTRL offset", "register", "access", "meaning"], ctrl))


#: Recorded array name (``XyloSim.evolve``) -> state region holding it.
STATE_REGIONS = {"Isyn": Region.ISYN, "Isyn2": Region.ISYN2, "Vmem": Region.VMEM, "Spikes": Region.SPIKES,
                 "Isyn_out": Region.ISYN_OUT, "Vmem_out": Region.VMEM_OUT}


def address(region: Region, offset: int) -> int:
    """The port address of ``offset`` in ``region``."""
    if not 0 <= offset < 1 << OFFSET_BITS:
        raise ValueError(f"offset: {offset} is outside the 16-bit range 0..{(1 << OFFSET_BITS) - 1}")
    return int(region) << OFFSET_BITS | offset


def _bits(n: int) -> int:
    """Bits needed to count 0..n-1 (at least 1)."""
    return max(1, ceil_log2(n))


@dataclass(frozen=True)
class XyloCoreParams:
    """Size parameters of one :class:`~spikegate.hdl.xylo.XyloCore` and the memory layout derived from them.

    Every size defaults to the largest the family member (``profile``) allows, so ``XyloCoreParams()`` is
    a full-size Xylo v1 core and ``XyloCoreParams(profile="imu")`` a full-size Xylo IMU core.

    Attributes:
        n_inputs: input channels (1..16).
        n_hidden: hidden neurons (1..1000; Xylo IMU 496, Xylo Audio 3 992).
        n_outputs: readout neurons (1..8; Xylo IMU 16, Xylo Audio 3 32).
        max_fanout: recurrent (target, synapse) entries per hidden neuron (1..64; IMU 512, Audio 3 1024).
        max_synapses: recurrent entries in total, the depth of the fan-out list (1..32000; IMU and
            Audio 3 31744).
        version: 1 (Xylo v1 membrane rule) or 2 (Xylo Audio 2 rule with biases); default: the profile's.
        profile: the key of the family member whose limits apply (``"v1"``, ``"audio2"``, ``"imu"``,
            ``"audio3"``; given as a key, a part number or a :class:`~spikegate.sim.xylo.XyloProfile`, kept as
            the key so that the parameters stay plain data); default: ``"v1"`` for version 1, ``"audio2"`` for 2.
    """

    n_inputs: int | None = None
    n_hidden: int | None = None
    n_outputs: int | None = None
    max_fanout: int | None = None
    max_synapses: int | None = None
    version: int | None = None
    profile: str | None = None

    def __post_init__(self):
        if self.version is not None and self.version not in VERSIONS:
            raise ValueError(f"version: {self.version!r} is not one of {VERSIONS}")
        profile = DEFAULT_PROFILE[self.version or 1] if self.profile is None else get_profile(self.profile)
        if self.version is not None and self.version != profile.version:
            raise ValueError(f"version: {self.version!r} does not match profile {profile.key!r} ({profile.label} "
                             f"has version {profile.version} arithmetic)")
        object.__setattr__(self, "profile", profile.key)
        object.__setattr__(self, "version", profile.version)
        for name, limit in (("n_inputs", profile.max_inputs), ("n_hidden", profile.max_hidden),
                            ("n_outputs", profile.max_outputs), ("max_fanout", profile.max_fanout),
                            ("max_synapses", profile.max_recurrent_synapses)):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, limit)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name}: expected an integer, got {value!r}")
            if not 1 <= value <= limit:
                raise ValueError(f"{name}: {value} is outside the chip's range 1..{limit} ({profile.label})")

    @classmethod
    def for_config(cls, config: XyloConfig) -> "XyloCoreParams":
        """The smallest core that holds ``config`` (fan-out limits taken from its recurrent weights)."""
        fanout = np.count_nonzero(config.weights_rec, axis=(1, 2))
        return cls(n_inputs=config.n_inputs, n_hidden=config.n_hidden, n_outputs=config.n_outputs,
                   max_fanout=max(1, int(fanout.max())), max_synapses=max(1, int(fanout.sum())),
                   profile=config.profile)

    # -------------------------------------------------------------- derived layout
    @property
    def hidden_bits(self) -> int:
        """Width of a hidden neuron index."""
        return _bits(self.n_hidden)

    @property
    def output_bits(self) -> int:
        """Width of a readout neuron index."""
        return _bits(self.n_outputs)

    @property
    def input_bits(self) -> int:
        """Width of an input channel index."""
        return _bits(self.n_inputs)

    @property
    def synapse_bits(self) -> int:
        """Width of a fan-out entry index."""
        return max(1, self.max_synapses.bit_length())

    @property
    def length_bits(self) -> int:
        """Width of a fan-out list length (0..max_fanout)."""
        return max(1, self.max_fanout.bit_length())

    @property
    def w_in_depth(self) -> int:
        """Words of the input weight memory (``n_inputs << hidden_bits``; 16384, one SPRAM, at full size)."""
        return self.n_inputs << self.hidden_bits

    @property
    def out_words(self) -> int:
        """MISC words per hidden neuron holding its readout weights (two int8 per word)."""
        return (self.n_outputs + 1) // 2

    @property
    def misc_out_base(self) -> int:
        """First MISC word of the readout weights (after the fan-out high bits)."""
        return -(-self.max_synapses // FANHI_PER_WORD)

    @property
    def misc_len_base(self) -> int:
        """First MISC word of the fan-out list lengths."""
        return self.misc_out_base + self.n_hidden * self.out_words

    @property
    def misc_depth(self) -> int:
        """Words of the MISC memory (13000 at full size)."""
        return self.misc_len_base + self.n_hidden

    def locate(self, region: Region, offset: int) -> tuple[Region, int]:
        """The memory (named by its hidden-neuron region, or W_IN/FAN/MISC) and word that hold ``offset``
        of ``region``: readout regions live at ``n_hidden + offset`` of the neuron memories."""
        if region in READOUT_MEMORY:
            return READOUT_MEMORY[region], self.n_hidden + offset
        return region, offset

    @property
    def ctrl_words(self) -> int:
        """Registers of the CTRL region."""
        return len(CTRL_REGISTERS)

    def region_depth(self, region: Region) -> int:
        """Number of valid offsets in ``region`` (:data:`REGIONS`)."""
        spec = REGION_SPECS[Region(region)]
        return getattr(self, spec.words) if self.version >= spec.version else 0

    def check_config(self, config: XyloConfig) -> None:
        """Refuse a config that this core cannot hold, naming the field and the limit."""
        if not isinstance(config, XyloConfig):
            raise TypeError(f"config: expected a XyloConfig, got {type(config).__name__}")
        for name, value, limit in (("Nin", config.n_inputs, self.n_inputs), ("Nhid", config.n_hidden, self.n_hidden),
                                   ("Nout", config.n_outputs, self.n_outputs)):
            if value != limit:
                raise ValueError(f"{name}: the config has {value}, the core is built for {limit}")
        if config.version != self.version:
            raise ValueError(f"version: the config is version {config.version}, the core version {self.version}")
        fanout = np.count_nonzero(config.weights_rec, axis=(1, 2))
        if fanout.max() > self.max_fanout:
            pre = int(np.argmax(fanout))
            raise ValueError(f"weights_rec: neuron {pre} has {int(fanout[pre])} recurrent targets, over the core's "
                             f"max_fanout of {self.max_fanout}")
        if fanout.sum() > self.max_synapses:
            raise ValueError(f"weights_rec: {int(fanout.sum())} recurrent synapses in total, over the core's "
                             f"max_synapses of {self.max_synapses}")


def _u16(values) -> list[int]:
    return [int(v) & 0xFFFF for v in np.asarray(values).ravel()]


def _region_writes(region: Region, words) -> list[tuple[int, int]]:
    return [(address(region, offset), word) for offset, word in enumerate(words)]


def config_writes(config: XyloConfig, params: XyloCoreParams | None = None) -> list[tuple[int, int]]:
    """Every ``(address, data)`` write that loads ``config`` into a core built with ``params``.

    Covers the weight shifts, every weight memory word (zeros included, so a reload replaces an
    older config) and every per-neuron parameter. It does not touch the state; write
    ``address(Region.CTRL, Ctrl.CLEAR)`` to zero it.
    """
    params = params or XyloCoreParams.for_config(config)
    params.check_config(config)
    n_hid = config.n_hidden
    writes = [(address(Region.CTRL, Ctrl.WSHIFT_IN), config.weight_shift_in),
              (address(Region.CTRL, Ctrl.WSHIFT_REC), config.weight_shift_rec),
              (address(Region.CTRL, Ctrl.WSHIFT_OUT), config.weight_shift_out)]
    w_in = np.zeros((params.n_inputs, 1 << params.hidden_bits), np.int64)
    w = config.weights_in.astype(np.int64) & 0xFF
    w_in[:, :n_hid] = w[:, :, 1] << 8 | w[:, :, 0]
    writes += _region_writes(Region.W_IN, w_in.ravel().tolist())
    writes += _region_writes(Region.FAN, fan_words(config, params))
    writes += _region_writes(Region.MISC, misc_words(config, params))
    writes += _region_writes(Region.THRESHOLD, _u16(config.threshold))
    dash = config.dash_syn_2.astype(np.int64) << 8 | config.dash_syn.astype(np.int64) << 4 | config.dash_mem
    writes += _region_writes(Region.DASH, dash.tolist())
    alias = [(1 << TARGET_BITS | a[0]) if a else 0 for a in config.aliases]
    writes += _region_writes(Region.ALIAS, alias)
    writes += _region_writes(Region.THRESHOLD_OUT, _u16(config.threshold_out))
    dash_out = config.dash_syn_out.astype(np.int64) << 4 | config.dash_mem_out
    writes += _region_writes(Region.DASH_OUT, dash_out.tolist())
    if params.version == 2:
        writes += _region_writes(Region.BIAS, _u16(config.bias))
        writes += _region_writes(Region.BIAS_OUT, _u16(config.bias_out))
    return writes


def _fanout_entries(config: XyloConfig) -> tuple[np.ndarray, np.ndarray]:
    """All fan-out entries as an (E, 3) array of (target, synapse, weight), and each neuron's length."""
    lists = config.fanout()
    lengths = np.array([len(f) for f in lists], np.int64)
    entries = np.concatenate(lists) if lengths.sum() else np.zeros((0, 3), np.int64)
    return entries, lengths


def fan_words(config: XyloConfig, params: XyloCoreParams) -> list[int]:
    """The FAN region: per entry ``target[7:0] << 8 | weight``, padded with zeros to ``max_synapses``."""
    entries, _ = _fanout_entries(config)
    words = np.zeros(params.max_synapses, np.int64)
    words[:len(entries)] = (entries[:, 0] & 0xFF) << 8 | (entries[:, 2] & 0xFF)
    return words.tolist()


def misc_words(config: XyloConfig, params: XyloCoreParams) -> list[int]:
    """The MISC region: fan-out high bits, readout weights, fan-out lengths (see the module docstring)."""
    entries, lengths = _fanout_entries(config)
    words = np.zeros(params.misc_depth, np.int64)
    high = entries[:, 1] << 2 | entries[:, 0] >> 8
    for e, h in enumerate(high.tolist()):
        words[e // FANHI_PER_WORD] |= h << 3 * (e % FANHI_PER_WORD)
    w_out = config.weights_out.astype(np.int64) & 0xFF
    for o in range(config.n_outputs):
        rows = params.misc_out_base + np.arange(config.n_hidden) * params.out_words + o // 2
        words[rows] |= w_out[:, o] << 8 * (o % 2)
    words[params.misc_len_base:params.misc_len_base + config.n_hidden] = lengths
    return words.tolist()


# ------------------------------------------------------------------ read-back
def state_addresses(params: XyloCoreParams) -> dict[str, list[int]]:
    """Per recorded array name, the read-back addresses of its values in neuron order."""
    return {name: [address(region, i) for i in range(params.region_depth(region))]
            for name, region in STATE_REGIONS.items()}


def decode_flat_state(params: XyloCoreParams, flat: list[int]) -> dict[str, np.ndarray]:
    """:func:`decode_state` of the words read at every address of :func:`state_addresses`, in its order."""
    words, start = {}, 0
    for name, addrs in state_addresses(params).items():
        words[name] = flat[start:start + len(addrs)]
        start += len(addrs)
    return decode_state(params, words)


def decode_state(params: XyloCoreParams, words: dict[str, list[int]]) -> dict[str, np.ndarray]:
    """Turn the words read at :func:`state_addresses` into int16 arrays named as ``XyloSim`` records them."""
    state = {}
    for name, values in words.items():
        array = np.asarray(values, np.int64)
        if name == "Spikes":
            array = array & 0x1F
        state[name] = ((array + 0x8000) & 0xFFFF).astype(np.int64) - 0x8000
    return {name: state[name].astype(np.int16) for name in ("Isyn", "Isyn2", "Vmem", "Spikes", "Isyn_out", "Vmem_out")}
