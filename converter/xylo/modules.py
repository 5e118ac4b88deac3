"""Trainable torch modules with the Xylo LIF array's dynamics, in floating point.

Plain ``torch.nn`` modules, trained with plain torch. One time step of a hidden population
(synaptic current ``I``, membrane ``V``, threshold ``θ``; ``x`` its weighted input) is::

    I = α · (I + x)                       α = 1 − 2^−dash_syn
    V = β · V + I                         β = 1 − 2^−dash_mem
    n = min(floor(V / θ), 31 − received)  spikes (0..31) when V ≥ θ, else 0
    V = V − n · θ                         subtractive reset

which is the chip's integer step (``docs/xylo-core.md`` §3) without rounding or
saturation. The readout population is the same with at most one spike per step. Hidden
populations feed each other and the readout through the chip's recurrent array, so every
hidden → hidden and hidden → readout connection arrives one step later, as on the chip.

Time constants (seconds) become the chip's 4-bit decay shifts by ``dash = round(log2(tau / dt))``
clipped to 0..15 (:func:`dash_from_tau`), and the modules decay with the chip's factor
``1 − 2^−dash`` for that dash: the forward-Euler factor ``1 − dt/tau`` of ``tau = dt · 2^dash``
(the convention of snnTorch's and NIR's ``tau = dt / (1 − beta)``), not ``exp(−dt/tau)``. The float
network therefore has exactly the chip's decays, and converting it changes only the number format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from spikegate.sim.checks import INT16
from spikegate.sim.xylo.config import MAX_DASH, MAX_INPUT_COUNT, MAX_SPIKES

INT16_MIN, INT16_MAX = INT16


def dash_from_tau(tau: float, dt: float, name: str = "tau") -> int:
    """The chip's decay shift for time constant ``tau`` (s) at step ``dt`` (s):
    ``round(log2(tau / dt))`` clipped to 0..15. Refuses non-positive or non-finite values."""
    for label, value in ((name, tau), ("dt", dt)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{label}: {value!r} s is not a positive, finite time")
    return int(min(max(math.floor(math.log2(tau / dt) + 0.5), 0), MAX_DASH))


def decay_factor(dash) -> torch.Tensor:
    """The chip's per-step decay factor ``1 − 2^−dash`` (0 for dash 0: the state is erased)."""
    return 1.0 - torch.pow(2.0, -torch.as_tensor(dash, dtype=torch.float32))


def _float_synapse(i, counts, weights, dash):
    return decay_factor(dash) * (i + counts @ weights)


def _float_membrane(v, i, dash):
    return decay_factor(dash) * v + i


def _floor(x: torch.Tensor) -> torch.Tensor:
    """``floor`` with a straight-through gradient."""
    return x + (torch.floor(x) - x).detach()


def _saturate(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(INT16_MIN, INT16_MAX)


def chip_decayed(x: torch.Tensor, dash) -> torch.Tensor:
    """The chip's decay of integer-valued ``x``: ``x − leak`` with ``leak = x >> dash``, and 1 where
    ``x > 0`` and the shift gives 0 (spec §2). Straight-through gradient."""
    leak = _floor(x * torch.pow(2.0, -torch.as_tensor(dash, dtype=x.dtype)))
    return x - torch.where((x > 0) & (leak == 0), torch.ones_like(leak), leak)


def saturating_sum(start: torch.Tensor, counts: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The chip's synaptic accumulation (spec §3.2): ``start`` (B, N) plus ``counts[:, k]·weights[k]``
    for the sources ``k`` in ascending order, saturating to int16 after every source. One matrix
    product where no partial sum can leave int16 (``|start| + Σ|count·weight| ≤ 32767``), else one
    addition per active source."""
    bound = start.abs() + counts.abs() @ weights.abs()
    if not torch.any(bound > INT16_MAX):
        return start + counts @ weights
    total = start
    for k in torch.nonzero(counts.any(dim=0)).flatten().tolist():
        total = _saturate(total + counts[:, k:k + 1] * weights[k])
    return total


def _chip_synapse(i, counts, weights, dash):
    return chip_decayed(saturating_sum(i, counts, weights), dash)


def _chip_membrane(v, i, dash):
    return _saturate(chip_decayed(v, dash) + i)


class _SpikeCount(torch.autograd.Function):
    """Forward: ``clamp(floor(v), 0, cap)`` of the membrane in units of threshold. Backward: a fast
    sigmoid below threshold (``1 / (1 + 10·|v − 1|)²``) and 1 between 1 and ``cap``, 0 above."""

    @staticmethod
    def forward(ctx, v, cap):
        ctx.save_for_backward(v, cap)
        return torch.minimum(torch.floor(v).clamp(min=0.0), cap)

    @staticmethod
    def backward(ctx, grad):
        v, cap = ctx.saved_tensors
        below = 1.0 / (1.0 + 10.0 * (v - 1.0).abs()) ** 2
        slope = torch.where(v < 1.0, below, (v <= cap + 1.0).to(v.dtype))
        return grad * slope, None


def spike_count(v_over_threshold: torch.Tensor, cap) -> torch.Tensor:
    """Spikes per step of membranes given in units of their threshold, at most ``cap`` (tensor or
    number), with a surrogate gradient."""
    cap = torch.as_tensor(cap, dtype=v_over_threshold.dtype).expand_as(v_over_threshold)
    return _SpikeCount.apply(v_over_threshold, cap)


class _Population(nn.Module):
    """Parameters shared by hidden and readout populations (thresholds, time constants)."""

    def __init__(self, n: int, tau_mem: float, tau_syn: float, threshold: float, dt: float):
        super().__init__()
        if n < 1:
            raise ValueError(f"n: a population needs at least one neuron, got {n}")
        self.n = int(n)
        self.dt = float(dt)
        self.tau_mem, self.tau_syn = float(tau_mem), float(tau_syn)
        self.dash_mem = dash_from_tau(self.tau_mem, self.dt, "tau_mem")
        self.dash_syn = dash_from_tau(self.tau_syn, self.dt, "tau_syn")
        if self.dash_syn == 0:
            raise ValueError(f"tau_syn: {tau_syn} s gives dash_syn 0 at dt {dt} s, and a Xylo synapse with dash 0 "
                             f"passes no current; the limit is tau_syn >= {math.sqrt(2) * dt:.3g} s (sqrt(2)·dt)")
        threshold = torch.as_tensor(threshold, dtype=torch.float32).expand(self.n).clone()
        if not torch.all(threshold > 0):
            raise ValueError(f"threshold: {threshold.min().item()} is not positive; the converter needs thresholds > 0")
        self.register_buffer("threshold", threshold)

    def extra_repr(self) -> str:
        return (f"{self.n}, tau_mem={self.tau_mem:g} (dash {self.dash_mem}), "
                f"tau_syn={self.tau_syn:g} (dash {self.dash_syn}), dt={self.dt:g}")


class LIF(_Population):
    """A population of Xylo hidden neurons (all of the chip's hidden neurons form one array).

    Args:
        n: number of neurons.
        tau_mem, tau_syn: membrane and synaptic time constants in seconds (become 4-bit dashes).
        threshold: spike threshold, scalar or (n,), > 0 (a buffer: not trained).
        dt: time step in seconds.
        recurrent: adds trainable recurrent weights ``w_rec`` (n, n) ``[pre, post]`` within the
            population (on the chip each neuron may project to at most 64 hidden neurons in all).
        max_spikes: spikes per neuron and step in training, 1..31. The chip always allows 31, so
            :func:`~spikegate.converter.xylo.to_xylo_spec` accepts only 31.
    """

    def __init__(self, n: int, tau_mem: float = 8e-3, tau_syn: float = 4e-3, threshold: float = 1.0,
                 dt: float = 1e-3, recurrent: bool = False, max_spikes: int = MAX_SPIKES):
        super().__init__(n, tau_mem, tau_syn, threshold, dt)
        if not 1 <= max_spikes <= MAX_SPIKES:
            raise ValueError(f"max_spikes: {max_spikes} is outside 1..{MAX_SPIKES}")
        self.max_spikes = int(max_spikes)
        self.w_rec = nn.Parameter(torch.randn(n, n) * (0.1 / math.sqrt(n))) if recurrent else None


class Readout(_Population):
    """The chip's readout population (at most 8 neurons): LIF neurons that emit at most one spike
    per step (``V ≥ θ``, then ``V − θ``). Same arguments as :class:`LIF`, without recurrence."""

    def __init__(self, n: int, tau_mem: float = 8e-3, tau_syn: float = 4e-3, threshold: float = 1.0,
                 dt: float = 1e-3):
        super().__init__(n, tau_mem, tau_syn, threshold, dt)


class Residual(nn.Module):
    """``y = f(x) + x`` for a block ``f`` of (``nn.Linear``, :class:`LIF`) pairs whose output size
    equals its input size, mapped to the chip's aliases: each neuron of the block's input population
    adds its spike count to the counter of the same-index neuron of the block's last population.

    Trained with the chip's alias rule: the last population's own neurons emit at most
    ``31 − received`` spikes, its output is ``received + own`` (at most 31), and its own recurrent
    weights (if any) carry that total.
    """

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.layers = nn.ModuleList(layers)


@dataclass
class Population:
    """One hidden population's place in the chip's hidden array (see :class:`Layout`)."""

    name: str
    start: int
    stop: int
    max_spikes: int = MAX_SPIKES
    alias_source: int | None = None  #: index of the population that aliases into this one

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class Layout:
    """A network in the chip's shape with float weights: what torch models and NIR graphs reduce to
    before quantization. All tensors are float32 (and keep their gradients when built from a model).

    Attributes:
        weights_in: (Nin, Nhid) input weights ``[channel, neuron]``.
        weights_rec: (Nhid, Nhid) hidden-to-hidden weights ``[pre, post]`` (all hidden populations
            stacked into one block matrix, feed-forward blocks included).
        weights_out: (Nhid, Nout) readout weights.
        threshold, threshold_out: (Nhid,), (Nout,) thresholds.
        dash_mem, dash_syn: (Nhid,) int; dash_mem_out, dash_syn_out: (Nout,) int.
        populations: the hidden populations in index order; a population's ``alias_source`` means
            each neuron ``start + i`` of that source aliases to neuron ``start + i`` of this one.
        input_name, output_name: names of the input and readout layers, for error messages.
    """

    weights_in: torch.Tensor
    weights_rec: torch.Tensor
    weights_out: torch.Tensor
    threshold: torch.Tensor
    threshold_out: torch.Tensor
    dash_mem: torch.Tensor
    dash_syn: torch.Tensor
    dash_mem_out: torch.Tensor
    dash_syn_out: torch.Tensor
    populations: list[Population]
    input_name: str = "input"
    output_name: str = "readout"

    @property
    def n_hidden(self) -> int:
        return self.weights_rec.shape[0]

    def population_of(self, neuron: int) -> Population:
        return next(p for p in self.populations if p.start <= neuron < p.stop)

    def aliases(self) -> list[list[int]]:
        """The chip's per-neuron alias lists."""
        aliases: list[list[int]] = [[] for _ in range(self.n_hidden)]
        for target in self.populations:
            if target.alias_source is not None:
                source = self.populations[target.alias_source]
                for i in range(source.size):
                    aliases[source.start + i].append(target.start + i)
        return aliases

    def run(self, raster: torch.Tensor, integer: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Simulate the network on ``raster`` (B, T, Nin) of input counts (clipped to 15, as the chip).

        ``integer=False``: the float dynamics of the module docstring. ``integer=True``: the chip's
        integer arithmetic for a layout in integer units (:func:`~.quantize.fake_quantize`,
        :func:`~.quantize.dequantize`): synaptic sums saturating after every source in the chip's
        order (:func:`saturating_sum`), decays ``x − (x >> dash)`` (at least 1 for positive ``x``),
        saturating membranes, with straight-through gradients; it equals XyloSim (Xylo v1).

        Returns ``(out, rec)``: ``out`` (B, T, Nout) readout spikes and ``rec`` with ``Vmem``,
        ``Isyn``, ``Spikes`` (B, T, Nhid) and ``Vmem_out``, ``Isyn_out`` (B, T, Nout), sampled at the
        end of each step as XyloSim records them, plus ``Vmem_out_pre``, the readout membrane before
        the threshold subtraction (what training losses look at).
        """
        batch, steps, _ = raster.shape
        raster = raster.clamp(max=MAX_INPUT_COUNT)
        synapse, membrane = (_chip_synapse, _chip_membrane) if integer else (_float_synapse, _float_membrane)
        weights_hidden = torch.cat([self.weights_in, self.weights_rec])  # sources: inputs, then hidden neurons
        zeros = raster.new_zeros
        i_syn, v, s = zeros(batch, self.n_hidden), zeros(batch, self.n_hidden), zeros(batch, self.n_hidden)
        i_out, v_out = zeros(batch, self.weights_out.shape[1]), zeros(batch, self.weights_out.shape[1])
        names = ("Vmem", "Isyn", "Spikes", "Vmem_out", "Isyn_out", "Vmem_out_pre", "out")
        rec: dict[str, list[torch.Tensor]] = {name: [] for name in names}
        for t in range(steps):
            i_syn = synapse(i_syn, torch.cat([raster[:, t], s], dim=1), weights_hidden, self.dash_syn)
            i_out = synapse(i_out, s, self.weights_out, self.dash_syn_out)
            v = membrane(v, i_syn, self.dash_mem)
            v_out = membrane(v_out, i_out, self.dash_mem_out)
            own, s = self._spikes(v)
            v = v - own * self.threshold
            out = spike_count(v_out / self.threshold_out, 1.0)
            rec["Vmem_out_pre"].append(v_out)
            v_out = v_out - out * self.threshold_out
            for name, value in zip(names, (v, i_syn, s, v_out, i_out)):
                rec[name].append(value)
            rec["out"].append(out)
        result = {name: torch.stack(values, dim=1) for name, values in rec.items()}
        return result.pop("out"), result

    def _spikes(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Own spikes and counts after aliasing, population by population in index order."""
        own, total = [], []
        for pop in self.populations:
            part = slice(pop.start, pop.stop)
            received = 0.0 if pop.alias_source is None else total[pop.alias_source]
            n = spike_count(v[:, part] / self.threshold[part], pop.max_spikes - received)
            own.append(n)
            total.append(n + received)
        return torch.cat(own, dim=1), torch.cat(total, dim=1)


class XyloNet(nn.Module):
    """A network for one Xylo LIF array, built like ``nn.Sequential`` from:

    ``nn.Linear(bias=False)`` / :class:`LIF` pairs (hidden populations), :class:`Residual` blocks of
    such pairs, and a final ``nn.Linear`` / :class:`Readout` pair. The first ``nn.Linear`` reads the
    input channels (at most 16); the hidden populations are stacked, in order, into the chip's one
    hidden array (at most 1000 neurons) and the readout has at most 8 neurons.

    ``forward(raster)`` takes (B, T, Nin) input counts and returns ``(out, rec)`` as
    :meth:`Layout.run`.
    """

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self._plan = self._make_plan()

    @property
    def dt(self) -> float:
        return self.layers[-1].dt

    def _make_plan(self) -> list[tuple]:
        """Check the layer order and record (kind, linear, population, residual source) per pair."""
        flat: list[tuple[nn.Module, int | None]] = []  # (module, index of the residual block)
        for index, layer in enumerate(self.layers):
            if isinstance(layer, Residual):
                if index == 0:
                    raise ValueError("layer 0 (Residual): a residual block cannot read the input channels directly; "
                                     "the chip's aliases join hidden neurons only")
                flat.extend((sub, index) for sub in layer.layers)
            else:
                flat.append((layer, None))
        if len(flat) < 2 or len(flat) % 2:
            raise ValueError(f"XyloNet: expected (nn.Linear, LIF) pairs ending with (nn.Linear, Readout), "
                             f"got {len(flat)} modules")
        plan = []
        for pair in range(len(flat) // 2):
            (linear, block), (neurons, _) = flat[2 * pair], flat[2 * pair + 1]
            if not isinstance(linear, nn.Linear):
                raise ValueError(f"{self._name(linear)}: expected nn.Linear here")
            last = pair == len(flat) // 2 - 1
            expected = Readout if last else LIF
            if type(neurons) is not expected:
                raise ValueError(f"{self._name(neurons)}: expected {expected.__name__} here")
            if linear.out_features != neurons.n:
                raise ValueError(f"{self._name(linear)}: nn.Linear has {linear.out_features} outputs but the next "
                                 f"population has {neurons.n} neurons")
            if neurons.dt != flat[-1][0].dt:
                raise ValueError(f"{self._name(neurons)}: dt {neurons.dt} s differs from the readout's "
                                 f"{flat[-1][0].dt} s; one chip has one time step")
            plan.append((linear, neurons, block))
        return plan

    def layout(self) -> Layout:
        """The network in the chip's shape (differentiable in the weights)."""
        plan = self._plan
        hidden = [neurons for _, neurons, _ in plan[:-1]]
        if not hidden:
            raise ValueError("XyloNet: needs at least one hidden LIF population before the Readout")
        starts = [0]
        for neurons in hidden:
            starts.append(starts[-1] + neurons.n)
        n_hid, n_in = starts[-1], plan[0][0].in_features
        readout_linear, readout = plan[-1][0], plan[-1][1]
        for linear, _, _ in plan:
            if linear.bias is not None:
                raise ValueError(f"{self._name(linear)}: has a bias; the Xylo v1 core has none (use bias=False)")
        populations = [Population(f"layer {self._index(neurons)}", starts[k], starts[k + 1], neurons.max_spikes)
                       for k, neurons in enumerate(hidden)]
        w_in = readout_linear.weight.new_zeros(n_in, n_hid)
        w_rec = readout_linear.weight.new_zeros(n_hid, n_hid)
        w_out = readout_linear.weight.new_zeros(n_hid, readout.n)
        # The population whose counts feed pair k: the previous population, or for a pair that starts
        # a residual block the block's input; a residual block's output is its last population.
        for k, (linear, neurons, block) in enumerate(plan):
            post = slice(starts[k], starts[k + 1]) if k < len(hidden) else None
            if k == 0:
                w_in[:, post] = linear.weight.T
            else:
                pre = slice(starts[k - 1], starts[k])
                if linear.in_features != pre.stop - pre.start:
                    raise ValueError(f"{self._name(linear)}: nn.Linear reads {linear.in_features} inputs but the "
                                     f"previous population has {pre.stop - pre.start} neurons")
                if post is None:
                    w_out[pre] = linear.weight.T
                else:
                    w_rec[pre, post] = linear.weight.T
            if post is not None and neurons.w_rec is not None:
                w_rec[post, post] = w_rec[post, post] + neurons.w_rec
        self._add_aliases(plan, populations)
        return Layout(
            weights_in=w_in, weights_rec=w_rec, weights_out=w_out,
            threshold=torch.cat([n.threshold for n in hidden]), threshold_out=readout.threshold,
            dash_mem=torch.cat([torch.full((n.n,), n.dash_mem) for n in hidden]),
            dash_syn=torch.cat([torch.full((n.n,), n.dash_syn) for n in hidden]),
            dash_mem_out=torch.full((readout.n,), readout.dash_mem),
            dash_syn_out=torch.full((readout.n,), readout.dash_syn),
            populations=populations, input_name=self._name(plan[0][0]), output_name=self._name(readout))

    def _add_aliases(self, plan, populations: list[Population]) -> None:
        """A residual block's input population aliases into the block's last population."""
        blocks: dict[int, list[int]] = {}
        for k, (_, _, block) in enumerate(plan):
            if block is not None:
                blocks.setdefault(block, []).append(k)
        for block, pairs in blocks.items():
            source, target = pairs[0] - 1, pairs[-1]
            if target >= len(populations):
                raise ValueError(f"layer {block} (Residual): contains the Readout; a residual block must end with a "
                                 f"hidden LIF population")
            if populations[source].size != populations[target].size:
                raise ValueError(f"layer {block} (Residual): its input has {populations[source].size} neurons but its "
                                 f"output {populations[target].size}; a residual block must keep the size")
            populations[target].alias_source = source

    def _index(self, module: nn.Module) -> str:
        for index, layer in enumerate(self.layers):
            if layer is module:
                return str(index)
            if isinstance(layer, Residual):
                for sub_index, sub in enumerate(layer.layers):
                    if sub is module:
                        return f"{index}.{sub_index}"
        raise AssertionError("module is not part of this network")

    def _name(self, module: nn.Module) -> str:
        return f"layer {self._index(module)} ({type(module).__name__})"

    def forward(self, raster: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.layout().run(raster)
