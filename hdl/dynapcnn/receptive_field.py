"""The receptive-field address generator of a DYNAP-CNN core."""

from amaranth.hdl import Cat, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import CHANNEL, CoreFields, CoreInput, op_layout
from .limits import CoreLimits


def ceil_log2_logic(m: Module, value, width: int) -> Signal:
    """⌈log2 value⌉ (the bit length of value − 1) as combinational logic; ``width`` bits of result range."""
    result = Signal(range(width + 1))
    minus_one = Signal(width)
    m.d.comb += minus_one.eq(value - 1)
    for i in range(width):
        with m.If(minus_one[i]):
            m.d.comb += result.eq(i + 1)
    return result


def log2_of_power(value) -> Value:
    """log2 of a power of two 1, 2, 4 or 8 (a stride) as two bits."""
    return Cat(value[1] | value[3], value[2] | value[3])


class ReceptiveField(wiring.Component):
    """Turns each input event into the list of neuron updates it causes, one per cycle.

    For an event (x, y, channel c) the neurons (f, ox, oy) with ``kx = x + padding.x − ox·stride.x`` and
    ``ky = y + padding.y − oy·stride.y`` inside [0, kernel_size) are visited f-major, then oy, then ox,
    ascending (the model's [R] order). For a leak tick (``leak`` = 1) every neuron of the map is visited in
    the same order. Events outside the input map or its channels, and leak ticks while ``leak_enable`` is
    0, cause no update ([R]: positions beyond a pooled map are dropped here, at the receiving core).

    Addresses (:mod:`~spikegate.hdl.dynapcnn.memory_map`): neuron ``f << (xb+yb) | oy << xb | ox``, kernel
    ``c << (kb+fb) | f << kb | (kx·k + ky)``; both are built from counters stepped by additions and combined
    by OR (the fields never overlap), so no multiplier sits in the per-update path.

    Members:
        fields: In(CoreFields) — the core's registers (geometry, ``leak_enable``).
        jobs: In(stream(CoreInput)) — events (x, y, channel) and leak ticks.
        ops: Out(stream(op_layout)) — one update per transfer: neuron and kernel addresses, (f, ox, oy), leak,
            and ``repeat`` when the first op of a job updates the neuron of the op taken just before it.
        busy: Out(1) — a job is held anywhere in the generator.

    Latency: a job's first op is offered in the 4th cycle after the job is accepted (a job register, then
    two set-up stages computing the visited range and the start addresses; the second multiplies kx0·k
    once per event). Throughput: one op per cycle;
    the set-up of the next job overlaps the ops of the current one, so consecutive events run back to back.
    Each set-up stage takes a job only when it is empty (one job per two cycles at most): this keeps the
    pipeline's ready signal out of the set-up logic, which set the iCE40 Fmax before.
    """

    def __init__(self, limits: CoreLimits):
        self._limits = limits
        super().__init__({
            "fields": In(CoreFields),
            "jobs": In(stream.Signature(CoreInput)),
            "ops": Out(stream.Signature(op_layout(limits.neuron_bits, limits.kernel_bits))),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        nbits, kbits = self._limits.neuron_bits, self._limits.kernel_bits
        dims = self.fields.dimensions

        # -- constants of the configuration, registered (the registers change only while idle)
        lsx, lsy = Signal(2), Signal(2)
        xb, yb, fb, kb = Signal(4), Signal(4), Signal(4), Signal(4)
        step_x = Signal(8)  # kernel-index decrement per ox step: stride.x · k
        last_feature = Signal(CHANNEL)
        kk = Signal(9)
        m.d.comb += kk.eq(dims.kernel_size * dims.kernel_size)
        m.d.sync += [
            lsx.eq(log2_of_power(dims.stride.x)),
            lsy.eq(log2_of_power(dims.stride.y)),
            xb.eq(ceil_log2_logic(m, dims.output_shape.size.x, 7)),
            yb.eq(ceil_log2_logic(m, dims.output_shape.size.y, 7)),
            fb.eq(ceil_log2_logic(m, dims.output_shape.feature_count, 11)),
            kb.eq(ceil_log2_logic(m, kk, 9)),
            step_x.eq(dims.kernel_size << lsx),
            last_feature.eq(dims.output_shape.feature_count - 1),
        ]

        # -- stage 0: the accepted job
        j_valid = Signal()
        j = Signal(CoreInput)
        # -- stage 1: visited range per axis
        s1_valid, s1_leak, s1_drop = Signal(), Signal(), Signal()
        s1_ax, s1_ay = Signal(8), Signal(8)
        s1_c = Signal(CHANNEL)
        s1_lo_x, s1_hi_x, s1_lo_y, s1_hi_y = (Signal(7) for _ in range(4))
        # -- stage 2: start addresses
        s2_valid, s2_leak, s2_empty = Signal(), Signal(), Signal()
        s2_lo_x, s2_hi_x, s2_lo_y, s2_hi_y = (Signal(7) for _ in range(4))
        s2_kidx, s2_wbase, s2_nrow = Signal(8), Signal(kbits), Signal(nbits)
        # -- generator
        g_valid, g_leak, g_repeat = Signal(), Signal(), Signal()
        last_addr = Signal(nbits)  # neuron address of the op taken last
        g_lo_x, g_hi_x, g_lo_y, g_hi_y = (Signal(7) for _ in range(4))
        g_kidx0, g_nrow0 = Signal(8), Signal(nbits)
        f, ox, oy = Signal(CHANNEL), Signal(7), Signal(7)
        kidx, kidx_row = Signal(8), Signal(8)
        nf, nrow, wf = Signal(nbits), Signal(nbits), Signal(kbits)

        m.d.comb += [
            self.ops.valid.eq(g_valid),
            self.ops.p.neuron_addr.eq(nf | nrow | ox),
            self.ops.p.kernel_addr.eq(wf | kidx),
            self.ops.p.feature.eq(f),
            self.ops.p.x.eq(ox),
            self.ops.p.y.eq(oy),
            self.ops.p.leak.eq(g_leak),
            self.ops.p.repeat.eq(g_repeat),
            self.busy.eq(j_valid | s1_valid | s2_valid | g_valid),
        ]

        # generator stepping
        last_x, last_y, last_f = ox == g_hi_x, oy == g_hi_y, f == last_feature
        finishing = self.ops.valid & self.ops.ready & last_x & last_y & last_f
        taken = self.ops.valid & self.ops.ready
        with m.If(taken):
            m.d.sync += [last_addr.eq(self.ops.p.neuron_addr), g_repeat.eq(0)]
            with m.If(~last_x):
                m.d.sync += [ox.eq(ox + 1), kidx.eq(kidx - step_x)]
            with m.Elif(~last_y):
                m.d.sync += [oy.eq(oy + 1), ox.eq(g_lo_x), nrow.eq(nrow + (1 << xb)),
                             kidx_row.eq(kidx_row - (1 << lsy)), kidx.eq(kidx_row - (1 << lsy))]
            with m.Elif(~last_f):
                m.d.sync += [f.eq(f + 1), oy.eq(g_lo_y), ox.eq(g_lo_x), nrow.eq(g_nrow0),
                             kidx_row.eq(g_kidx0), kidx.eq(g_kidx0),
                             nf.eq(nf + (1 << (xb + yb))), wf.eq(wf + (1 << kb))]
            with m.Else():
                m.d.sync += g_valid.eq(0)

        s2_take = s2_valid & (s2_empty | ~g_valid | finishing)
        start = s2_nrow | s2_lo_x  # neuron address of the job's first op (feature 0)
        same_as_current, same_as_last = Signal(), Signal()
        m.d.comb += [same_as_current.eq(start == self.ops.p.neuron_addr), same_as_last.eq(start == last_addr)]
        with m.If(s2_take & ~s2_empty):
            m.d.sync += [
                g_valid.eq(1), g_leak.eq(s2_leak), g_repeat.eq(Mux(taken, same_as_current, same_as_last)),
                g_lo_x.eq(s2_lo_x), g_hi_x.eq(s2_hi_x), g_lo_y.eq(s2_lo_y), g_hi_y.eq(s2_hi_y),
                g_kidx0.eq(s2_kidx), g_nrow0.eq(s2_nrow),
                f.eq(0), ox.eq(s2_lo_x), oy.eq(s2_lo_y), kidx.eq(s2_kidx), kidx_row.eq(s2_kidx),
                nf.eq(0), nrow.eq(s2_nrow), wf.eq(s2_wbase),
            ]

        # stage 1 -> stage 2: start addresses
        s1_move = s1_valid & ~s2_valid  # (not "| s2_take": keeps the ready chain out of the set-up stages)
        with m.If(s2_take):
            m.d.sync += s2_valid.eq(0)
        with m.If(s1_move):
            kx0, ky0 = Signal(8), Signal(8)
            m.d.comb += [kx0.eq(s1_ax - (s1_lo_x << lsx)), ky0.eq(s1_ay - (s1_lo_y << lsy))]
            m.d.sync += [
                s2_valid.eq(1), s2_leak.eq(s1_leak),
                s2_empty.eq(s1_drop | (s1_lo_x > s1_hi_x) | (s1_lo_y > s1_hi_y)),
                s2_lo_x.eq(s1_lo_x), s2_hi_x.eq(s1_hi_x), s2_lo_y.eq(s1_lo_y), s2_hi_y.eq(s1_hi_y),
                s2_kidx.eq(kx0[:4] * dims.kernel_size + ky0[:4]),
                s2_wbase.eq(s1_c << (kb + fb)),
                s2_nrow.eq(s1_lo_y << xb),
            ]

        # stage 0 -> stage 1: visited range
        j_move = j_valid & ~s1_valid
        with m.If(s1_move):
            m.d.sync += s1_valid.eq(0)
        with m.If(j_move):
            ax, ay = Signal(8), Signal(8)
            m.d.comb += [ax.eq(j.x + dims.padding.x), ay.eq(j.y + dims.padding.y)]
            m.d.sync += [
                s1_valid.eq(1), s1_leak.eq(j.leak), s1_ax.eq(ax), s1_ay.eq(ay), s1_c.eq(j.channel),
                s1_drop.eq(Mux(j.leak, ~self.fields.leak_enable,
                               (j.x >= dims.input_shape.size.x) | (j.y >= dims.input_shape.size.y) |
                               (j.channel >= dims.input_shape.feature_count))),
            ]
            for axis, a, lo, hi, log in (("x", ax, s1_lo_x, s1_hi_x, lsx), ("y", ay, s1_lo_y, s1_hi_y, lsy)):
                stride, size = getattr(dims.stride, axis), getattr(dims.output_shape.size, axis)
                first = Signal(signed(10))  # floor((a − k + stride) / stride), may be negative
                top = Signal(unsigned(8))
                m.d.comb += [first.eq((a - dims.kernel_size + stride).as_signed() >> log), top.eq(a >> log)]
                with m.If(j.leak):
                    m.d.sync += [lo.eq(0), hi.eq(size - 1)]
                with m.Else():
                    m.d.sync += [lo.eq(Mux(first < 0, 0, first)), hi.eq(Mux(top < size, top, size - 1))]

        # input -> stage 0
        m.d.comb += self.jobs.ready.eq(~j_valid)
        with m.If(j_move):
            m.d.sync += j_valid.eq(0)
        with m.If(self.jobs.valid & self.jobs.ready):
            m.d.sync += [j_valid.eq(1), j.eq(self.jobs.payload)]
        return m
