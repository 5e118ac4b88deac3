"""The memories of :class:`~spikegate.hdl.xylo.XyloCore` and the one signature its parts reach them by."""

from functools import reduce
from operator import or_

from amaranth.hdl import MemoryData, Module, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from .arith import STATE_BITS
from .memory_map import SINGLE_PORT_MEMORIES, TARGET_BITS, Region, XyloCoreParams
from .spram import SinglePortRAM, ram_signature

#: Bits of a spike-count word: the count (0..31) and the epoch bit (the parity of the step that wrote it).
SPIKE_WORD_BITS = 6

#: Client of :class:`CoreMemories` (one member each) -> the per-neuron memories it writes (None: all).
CLIENT_WRITES = {"host": None, "pipeline": ("isyn", "isyn2"), "controller": ("isyn", "isyn2", "vmem", "spikes")}
CLIENTS = tuple(CLIENT_WRITES)


def neuron_layout(version: int) -> data.StructLayout:
    """One word of every per-neuron memory, each field named as its region in lower case: Isyn, Isyn2 and
    Vmem (int16), the spike-count word (:data:`SPIKE_WORD_BITS`), threshold (int16), dashes
    (``dash_syn_2 << 8 | dash_syn << 4 | dash_mem``, 12 bits), alias (``1 << 10 | target``, 11 bits) and,
    for version 2, bias (int16)."""
    word = signed(STATE_BITS)
    shapes = {Region.ISYN: word, Region.ISYN2: word, Region.VMEM: word, Region.SPIKES: SPIKE_WORD_BITS,
              Region.THRESHOLD: word, Region.DASH: 12, Region.ALIAS: TARGET_BITS + 1, Region.BIAS: word}
    if version == 1:
        del shapes[Region.BIAS]
    return data.StructLayout({region.name.lower(): shape for region, shape in shapes.items()})


def access_signature(params: XyloCoreParams, client: str) -> wiring.Signature:
    """A client's side of :class:`CoreMemories`: ``client`` is ``"host"`` (:class:`HostPort`),
    ``"pipeline"`` (:class:`SynapticPipeline`) or ``"controller"`` (:class:`StepController`).

    Members:
        read_addr: Out(ceil(log2(neurons))) — the word every per-neuron memory reads this cycle.
        read_data: In(:func:`neuron_layout`) — the words read at the previous cycle's ``read_addr``.
        write_addr: Out(ceil(log2(neurons))) — the word the per-neuron memories write this cycle.
        write_en: Out(struct of 1 bit per written field) — which memories write.
        write_data: Out(struct of the written fields of :func:`neuron_layout`) — the words to write.
        w_in, fan, misc: In(:func:`~spikegate.hdl.xylo.spram.ram_signature`) — the single-port memories
            (``addr``, ``we``, ``wdata`` driven, ``rdata`` the word of the previous cycle's ``addr``).

    ``neurons`` is ``n_hidden + n_outputs``: readout neuron ``o`` is word ``n_hidden + o``. The written
    fields are the memories the client writes (:data:`CLIENT_WRITES`): a port with constant bits would
    become a Verilog ``always @*`` without inputs, which Icarus never runs.
    """
    if client not in CLIENT_WRITES:
        raise ValueError(f"client: {client!r} is not one of {CLIENTS}")
    neuron = neuron_layout(params.version)
    writes = CLIENT_WRITES[client] or [name for name, _ in neuron]
    written = data.StructLayout({name: neuron.members[name] for name in writes})
    address = range(params.n_hidden + params.n_outputs)
    return wiring.Signature({
        "read_addr": Out(address),
        "read_data": In(neuron),
        "write_addr": Out(address),
        "write_en": Out(data.StructLayout({name: 1 for name in writes})),
        "write_data": Out(written),
    } | {region.name.lower(): In(ram_signature(params.region_depth(region))) for region in SINGLE_PORT_MEMORIES})


class CoreMemories(wiring.Component):
    """Every memory of one core, shared by its three clients, which take turns: the host port while the
    core is idle, the synaptic pipeline during its additions, the controller otherwise. A client drives
    zeros outside its turn (Amaranth's default for an unassigned ``comb`` signal), so each memory port
    takes the OR of the clients' requests; read data goes to all of them.

    Parameters: ``params``, the :class:`XyloCoreParams` of the core.

    Members:
        host, pipeline, controller: In(:func:`access_signature`) — one client each.

    Memories: W_IN (``w_in_depth`` words), FAN (``max_synapses``) and MISC (``misc_depth``) are
    :class:`SinglePortRAM`; the per-neuron memories (:func:`neuron_layout`) are simple dual-port
    ``amaranth.lib.memory.Memory`` of ``n_hidden + n_outputs`` words. Latency one cycle for every read,
    one read and (per-neuron memories) one write per cycle.
    """

    def __init__(self, params: XyloCoreParams):
        if not isinstance(params, XyloCoreParams):
            raise TypeError(f"params: expected a XyloCoreParams, got {type(params).__name__}")
        self._params = params
        neurons = params.n_hidden + params.n_outputs
        self._rams = {region: SinglePortRAM(params.region_depth(region)) for region in SINGLE_PORT_MEMORIES}
        #: Memory (named by its region) -> its words, for simulation; see ``XyloCoreParams.locate``.
        self.data = {Region[name.upper()]: MemoryData(shape=field.shape, depth=neurons, init=[])
                     for name, field in neuron_layout(params.version)}
        self.data |= {region: ram.data for region, ram in self._rams.items()}
        super().__init__({client: In(access_signature(params, client)) for client in CLIENTS})

    def elaborate(self, platform):
        m = Module()
        clients = [getattr(self, client) for client in CLIENTS]

        def merged(get, among=clients):  # the OR of one request over the clients
            return reduce(or_, (get(client) for client in among))

        for name, _ in neuron_layout(self._params.version):
            m.submodules[name] = mem = memory.Memory(data=self.data[Region[name.upper()]])
            write, read = mem.write_port(), mem.read_port()
            writers = [getattr(self, client) for client, writes in CLIENT_WRITES.items()
                       if writes is None or name in writes]
            m.d.comb += [write.addr.eq(merged(lambda c: c.write_addr)),
                         write.en.eq(merged(lambda c: c.write_en[name], writers)),
                         write.data.eq(merged(lambda c: c.write_data[name], writers)),
                         read.addr.eq(merged(lambda c: c.read_addr))]
            m.d.comb += [client.read_data[name].eq(read.data) for client in clients]
        for region in SINGLE_PORT_MEMORIES:
            name = region.name.lower()
            m.submodules[name] = ram = self._rams[region]
            for member in ("addr", "we", "wdata"):
                m.d.comb += getattr(ram, member).eq(merged(lambda c: getattr(getattr(c, name), member)))
            m.d.comb += [getattr(client, name).rdata.eq(ram.rdata) for client in clients]
        return m
