"""Latency and energy estimates of one sample from its operation counts: the one place for both.

These are the project's estimates, not measurements of a chip. They exist so that conversion
settings can be compared by cost; change the default prices (``pj_per_sop`` and ``pj_per_event`` of
each chip's descriptor, :mod:`spikegate.sim.chip`) or pass your own :class:`CostModel` when better
figures are known.

**Synaptic operation (SOP)**: one read of a non-zero weight and one addition into a neuron state.

**DYNAP-CNN latency** (cycles): every core handles one SOP per cycle and one cycle per output
event it emits (threshold test and routing), and the cores are taken to work one after the other
(no overlap between cores, an upper bound of the depth-first pipeline):
``cycles = sum over cores of (SOPs + output events)``.

**Xylo latency** (cycles): each time step the core adds every non-zero weight of every active
source (input channel with a count, hidden neuron that spiked in the previous step) once, one per
cycle, then updates every hidden and readout neuron once, one per cycle:
``cycles = SOPs + T x (Nhid + Nout)``.

**Energy** (nJ): ``SOPs x pj_per_sop + events x pj_per_event`` (events: the spikes the network
emits, hidden and output). The default prices are assumptions of the order of digital
neuromorphic cores, not vendor figures: 10 pJ per SOP and 20 pJ per event for DYNAP-CNN,
5 pJ per SOP and 10 pJ per event for Xylo. For scale, the public figures that exist are system
level: Speck's processor resting power 0.42 mW and 3.36 µs for one event through nine layers
(Richter et al., arXiv 2304.06793; Yao et al., Nat. Commun. 2024), and Xylo Audio 2's 291 µW
dynamic inference power and 6.6 µJ per inference on a keyword-spotting task (Bos and Muir,
arXiv 2406.15112). Static power is not included.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..checks import is_finite_number


@dataclass(frozen=True)
class CostModel:
    """Prices of one synaptic operation and one emitted event, in picojoules."""

    pj_per_sop: float
    pj_per_event: float

    def __post_init__(self) -> None:
        for name in ("pj_per_sop", "pj_per_event"):
            value = getattr(self, name)
            if not is_finite_number(value) or value < 0:
                raise ValueError(f"{name}: value {value!r} is not a finite, non-negative energy in pJ")

    def energy_nj(self, sops: int, events: int) -> float:
        return (sops * self.pj_per_sop + events * self.pj_per_event) / 1000.0


def default_costs(chip: str) -> CostModel:
    """The default prices of chip ``chip`` (its descriptor's ``pj_per_sop`` and ``pj_per_event``)."""
    from ..chip import get_chip

    descriptor = get_chip(chip)
    return CostModel(pj_per_sop=descriptor.pj_per_sop, pj_per_event=descriptor.pj_per_event)


def dynapcnn_cycles(sops_per_core: dict[str, int], events_per_core: dict[str, int]) -> int:
    """Cycles of one sample on DYNAP-CNN: one per SOP and one per output event, cores in sequence."""
    return int(sum(sops_per_core.values()) + sum(events_per_core.values()))


def xylo_cycles(sops: int, steps: int, n_hidden: int, n_outputs: int) -> int:
    """Cycles of one sample on Xylo: one per SOP plus one per neuron update in every time step."""
    return int(sops + steps * (n_hidden + n_outputs))
