"""specksim's user API (sinabs' ``sinabs.backend.dynapcnn.specksim``) running spikegate's bit-exact
:class:`~spikegate.sim.dynapcnn.DynapcnnSim` instead of samna's simulator.

>>> net = from_sequential(snn, input_shape=(1, 28, 28))      # a sinabs SNN or DynapcnnNetwork
>>> out = net(events)          # events: a record array with x, y, t, p (uint32), as specksim's
>>> net.add_monitor(0); net(events); net.read_monitor(0)     # the 0-th spiking layer's events

What is the same as specksim: the input and output record arrays (x, y, t, p; p is the channel), sequential
models of Conv2d/Linear, sinabs' IAF/IAFSqueeze, SumPool2d/AvgPool2d, no biases, a spiking output layer, an
output event carrying the timestamp of the input event that caused it, **breadth-first** processing by default
(each layer finishes all its input before the next starts), monitors of spiking layers (emptied by each
forward), states read at the end of a call, ``reset_states``.

What differs, on purpose: the network runs the chip's integer arithmetic (spikegate models the chip, not a
float simulator). A DynapcnnNetwork brings its own discretized configuration (through ``make_config``); a
plain SNN is discretized as ``DynapcnnNetwork(discretize=True)`` would do it (``discretize=False`` takes
integer weights and thresholds as they are). ``order="depth-first"`` runs the chip's order instead (each
output event is processed downstream before the next one). States read back are the chip's int16 membranes.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from spikegate.sim.extras import require

# it converts networks with spikegate.converter: the imports below come after the check that names the extra
require("spikegate.compat.specksim", "torch", "nir", "matplotlib", extra="convert")

from torch import nn  # noqa: E402

from spikegate.converter.dynapcnn import from_torch  # noqa: E402
from spikegate.sim.dynapcnn import ChipConfig, DynapcnnSim  # noqa: E402

from .samna import to_chip_config  # noqa: E402

__all__ = ["from_sequential", "SpecksimNetwork"]

#: sinabs' device names for the chips whose DynapcnnNetwork configuration it can make.
SINABS_DEVICES = {"speck2e": "speck2edevkit", "speck2f": "speck2fdevkit"}
SPIKING = ("IAF", "IAFSqueeze")  #: sinabs' spiking layers that specksim takes (and spikegate's IAF)
SKIPPED = (nn.Flatten, nn.Dropout, nn.Dropout2d, nn.Identity)


def from_sequential(network, input_shape: tuple[int, int, int], order: str = "breadth-first",
                    chip: str = "speck2f", discretize: bool = True) -> SpecksimNetwork:
    """specksim's ``from_sequential``: a :class:`SpecksimNetwork` of a sequential sinabs SNN or a sinabs
    ``DynapcnnNetwork``.

    Args:
        network: an ``nn.Sequential`` (nesting allowed) of Conv2d/Linear without bias, IAF/IAFSqueeze,
            SumPool2d/AvgPool2d, Flatten, Dropout; or a ``DynapcnnNetwork`` (its own configuration is used).
        input_shape: (channels, height, width).
        order: "breadth-first" (specksim's, the default) or "depth-first" (the chip's).
        chip: the chip profile ("speck2f", "speck2e"; "dynapcnn_devkit" for an SNN only).
        discretize: for an SNN, scale weights and thresholds to the chip's integers as sinabs does.
    """
    if hasattr(network, "make_config") and hasattr(network, "dynapcnn_layers"):
        config, spiking_cores = _dynapcnn_network_config(network, input_shape, chip)
    else:
        config, spiking_cores = _snn_config(network, input_shape, chip, discretize)
    return SpecksimNetwork(config, spiking_cores, order)


def _snn_config(network: nn.Module, input_shape, chip: str, discretize: bool) -> tuple[ChipConfig, list[int]]:
    leaves = [(name, m) for name, m in network.named_modules() if not list(m.children()) and not isinstance(m, SKIPPED)]
    for name, module in leaves:
        if isinstance(module, nn.ReLU):
            raise TypeError(f"network: {name} is a ReLU; convert the ANN to a spiking model first "
                            f"(sinabs.from_torch.from_model), as specksim requires")
        if isinstance(module, (nn.Conv2d, nn.Linear)) and module.bias is not None:
            raise ValueError(f"network: {name} has biases, which specksim does not support (no leak clock runs); "
                             f"build it with bias=False")
    if not leaves or type(leaves[-1][1]).__name__ not in SPIKING:
        last = leaves[-1][0] if leaves else "(none)"
        raise ValueError(f"network: the output layer {last} is not a spiking layer (IAF, IAFSqueeze), as specksim "
                         f"requires")
    config = from_torch(network, input_shape, chip=chip, discretize=discretize, monitor_layers="all")
    return config, [config.layer_to_core[layer] for layer in sorted(config.layer_to_core)]


def _dynapcnn_network_config(network, input_shape, chip: str) -> tuple[ChipConfig, list[int]]:
    if tuple(network.input_shape) != tuple(input_shape):
        raise ValueError(f"input_shape: value {tuple(input_shape)} differs from the DynapcnnNetwork's "
                         f"{tuple(network.input_shape)}")
    if chip not in SINABS_DEVICES:
        raise ValueError(f"chip: value {chip!r}: sinabs makes DynapcnnNetwork configurations for "
                         f"{tuple(SINABS_DEVICES)} only")
    for index in network.exit_layer_ids:
        layer = network.dynapcnn_layers[index]
        pools = [p for d, p in zip(network.layer_destination_map[index], layer.pool) if d < 0]
        if any(np.max(p) > 1 for p in pools):
            raise ValueError(f"network: exit layer {index} ends with pooling; specksim's output layer has to be a "
                             f"spiking layer (the chip outputs un-pooled events there)")
    made = []
    try:  # sinabs prints "Network is valid" and warns that monitors of pooled layers are un-pooled (as wanted)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*pooling will not be reflected in the monitored events")
            network.make_config(device=SINABS_DEVICES[chip], monitor_layers="all",
                                config_modifier=lambda config: made.append(config) or config)
    except ValueError:
        if not made:
            raise
    config = to_chip_config(made[0])  # names the field of an invalid configuration
    for core in config.used_cores:
        if config.cores[core].leak_enable:
            raise ValueError(f"network: core {core} has biases (leak_enable), which specksim does not support")
    layer_to_core = network.layer2core_map
    return config, [layer_to_core[layer] for layer in sorted(network.dynapcnn_layers) if layer in layer_to_core]


class SpecksimNetwork:
    """A network you call on specksim's event record arrays; runs :class:`DynapcnnSim` (see the module).

    Attributes:
        output_dtype: x, y, t, p as uint32 (p = the output channel), as specksim's.
        config: the :class:`ChipConfig` that runs (every core monitored).
        spiking_cores: the core of each spiking layer, in the network's order.
        order: "breadth-first" or "depth-first".
    """

    output_dtype = np.dtype([("x", np.uint32), ("y", np.uint32), ("t", np.uint32), ("p", np.uint32)])

    def __init__(self, config: ChipConfig, spiking_cores: Sequence[int], order: str = "breadth-first"):
        self.config = config.replace(cores={i: config.cores[i].replace(monitor_enable=True) for i in config.used_cores})
        self.spiking_cores = tuple(spiking_cores)
        exits = [i for i in config.used_cores if not any(d.enable for d in config.cores[i].destinations)]
        if len(exits) != 1:
            raise ValueError(f"config: cores {exits} send nowhere; a sequential network has exactly one output layer")
        self.output_core = exits[0]
        self.sim = DynapcnnSim(self.config, order)
        self.order = order
        self.monitors: dict[int, np.ndarray] = {}

    def forward(self, xytp: np.ndarray) -> np.ndarray:
        """Run input events (a record array with x, y, t, p) from the current state; returns the output layer's
        events (:attr:`output_dtype`, in emission order). Monitors then hold this call's events."""
        out = self.sim(np.atleast_1d(xytp))
        self.monitors = {n: self._events_of(out, self.spiking_cores[n]) for n in self.monitors}
        return self._events_of(out, self.output_core)

    __call__ = forward

    def _events_of(self, out: np.ndarray, core: int) -> np.ndarray:
        events = out[out["layer"] == core]
        result = np.empty(len(events), self.output_dtype)
        for name in ("x", "y", "t", "p"):
            result[name] = events[name]
        return result

    def reset_states(self) -> None:
        """Every spiking layer back to its initial state (zero unless the model carried a state)."""
        self.sim.reset_states()

    def _check_layer(self, spike_layer_number: int) -> int:
        if not 0 <= spike_layer_number < len(self.spiking_cores):
            raise ValueError(f"spike_layer_number: value {spike_layer_number} is not a spiking layer "
                             f"0..{len(self.spiking_cores) - 1}")
        return self.spiking_cores[spike_layer_number]

    def add_monitor(self, spike_layer_number: int) -> None:
        """Record the events of the ``spike_layer_number``-th spiking layer (from 0) during each forward."""
        self._check_layer(spike_layer_number)
        self.monitors[spike_layer_number] = np.empty(0, self.output_dtype)

    def add_monitors(self, spike_layer_numbers: Iterable[int]) -> None:
        for number in spike_layer_numbers:
            self.add_monitor(number)

    def read_monitor(self, spike_layer_number: int) -> np.ndarray:
        """The events of a monitored spiking layer during the last forward (:attr:`output_dtype`)."""
        if spike_layer_number not in self.monitors:
            raise ValueError(f"spike_layer_number: layer {spike_layer_number} has no monitor; call "
                             f"add_monitor({spike_layer_number}) before the forward pass")
        return self.monitors[spike_layer_number]

    def read_monitors(self, spike_layer_numbers: Iterable[int]) -> dict[int, np.ndarray]:
        return {number: self.read_monitor(number) for number in spike_layer_numbers}

    def read_all_monitors(self) -> dict[int, np.ndarray]:
        return self.read_monitors(list(self.monitors))

    def clear_monitors(self) -> None:
        self.monitors = {}

    def read_spiking_layer_states(self, spike_layer_number: int) -> list[list[list[int]]]:
        """The membranes (int16 values) of the ``spike_layer_number``-th spiking layer now, as nested lists
        [channel][y][x]."""
        core = self._check_layer(spike_layer_number)
        return self.sim.membranes(core).transpose(0, 2, 1).tolist()
