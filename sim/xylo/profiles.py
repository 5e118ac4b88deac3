"""The members of the Xylo family as profiles of one LIF array: the limits and arithmetic of each chip.

Every Xylo chip carries the same integer LIF core (16 input channels, hidden neurons with bit-shift
decay, multi-spike hidden neurons with aliases, single-spike readout neurons); the members differ in
sizes, in the number of synaptic states and in the membrane rule. One :class:`XyloProfile` per member
holds all of it, and :class:`~spikegate.sim.xylo.XyloConfig` validation, :class:`~spikegate.sim.xylo.XyloSim`
and the HDL core's parameters (``spikegate.hdl.xylo.XyloCoreParams``) read the same object.

Where the limits come from (SynSense's open rockpool 3.1, facts only): its Xylo family overview table
(hidden and readout neurons, synaptic states, maximum fan-out, input and readout projections), the
Xylo IMU introduction (31,744 recurrent weights in total), the mappers' ``max_hidden_neurons`` /
``max_output_neurons`` defaults (1000/8, 496/16, 992/32), the IMU design rule of one synapse per neuron,
``config_from_specification`` (input weights to the first 128 hidden neurons and readout weights from
the last 128 on IMU and Audio 3), the Audio 2 memory map (32,000 recurrent fan-out words) and the
Audio 3 RAM map (31,744 words of recurrent targets and of weights).

The arithmetic: Xylo v1 follows xylosim's ``v1`` rules; Audio 2, IMU and Audio 3 follow its ``v2`` rules
(saturating membrane sum, biases), which rockpool's simulators of all three use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class XyloProfile:
    """One member of the Xylo family.

    Attributes:
        key: short name used in configs and on the command line (``"v1"``, ``"audio2"``, ``"imu"``, ``"audio3"``).
        name: the product name, e.g. ``"Xylo IMU"``.
        part: SynSense's part number, e.g. ``"SYNS63300"`` (rockpool's module name, upper case).
        version: arithmetic: 1 = Xylo v1 membrane rule, no bias; 2 = the saturating Audio 2 rule with biases.
        max_inputs, max_hidden, max_outputs: input channels, hidden and readout neurons.
        synapses: synaptic states (Isyn, Isyn2) per hidden neuron, 1 or 2.
        max_fanout: recurrent (target, synapse) entries per hidden neuron.
        max_recurrent_synapses: recurrent (target, synapse) entries in total.
        input_neurons: how many hidden neurons, counted from the first, input weights may reach.
        readout_neurons: how many hidden neurons, counted back from the last, may drive readout neurons.
    """

    key: str
    name: str
    part: str
    version: int
    max_inputs: int
    max_hidden: int
    max_outputs: int
    synapses: int
    max_fanout: int
    max_recurrent_synapses: int
    input_neurons: int
    readout_neurons: int

    @property
    def label(self) -> str:
        """``"Xylo IMU (SYNS63300)"``: the name used in error messages."""
        return f"{self.name} ({self.part})"

    def __str__(self) -> str:
        return self.key


XYLO_V1 = XyloProfile("v1", "Xylo v1", "SYNS61300", 1, 16, 1000, 8, 2, 64, 32000, 1000, 1000)
XYLO_AUDIO2 = XyloProfile("audio2", "Xylo Audio 2", "SYNS61201", 2, 16, 1000, 8, 2, 64, 32000, 1000, 1000)
XYLO_IMU = XyloProfile("imu", "Xylo IMU", "SYNS63300", 2, 16, 496, 16, 1, 512, 31744, 128, 128)
XYLO_AUDIO3 = XyloProfile("audio3", "Xylo Audio 3", "SYNS65302", 2, 16, 992, 32, 2, 1024, 31744, 128, 128)

#: Every profile by key, in the order of the family table.
PROFILES = {p.key: p for p in (XYLO_V1, XYLO_AUDIO2, XYLO_IMU, XYLO_AUDIO3)}
#: The profile a bare ``version`` means (1: Xylo v1, 2: Xylo Audio 2), as before profiles existed.
DEFAULT_PROFILE = {1: XYLO_V1, 2: XYLO_AUDIO2}


def get_profile(profile: XyloProfile | str) -> XyloProfile:
    """The profile named by a key (``"imu"``), a part number (``"syns63300"``, any case) or a profile itself."""
    if isinstance(profile, XyloProfile):
        return profile
    if isinstance(profile, str):
        wanted = profile.strip().lower()
        for p in PROFILES.values():
            if wanted in (p.key, p.part.lower()):
                return p
    choices = ", ".join(f"{p.key!r} ({p.part})" for p in PROFILES.values())
    raise ValueError(f"profile: {profile!r} is not a Xylo family member; choose one of {choices}")
