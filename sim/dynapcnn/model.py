"""The event-driven model of a DYNAP-CNN chip: :class:`DynapcnnSim`.

Rules: ``docs/dynapcnn-core.md`` §2 (DVS layer) and §7.2; the [R] rules below are the project's
choices where the chip's behaviour is not public, and every spikegate model (numpy, Amaranth, Verilog)
implements the same ones.

**One update** (an input event (x, y, channel c) at a core). It reaches the neurons (f, ox, oy) with
``kx = x + padding.x − ox·stride.x`` and ``ky = y + padding.y − oy·stride.y`` inside ``[0, kernel_size)``,
for every feature f. Each of them, in the order **f ascending, then oy ascending, then ox ascending** [R]:

1. ``V += weights[f][c][kx][ky]``, saturated to [−32768, 32767] [R];
2. if ``V ≥ threshold_high``: one output event (f, ox, oy) (at most one per update, even if V stays above);
   ``V = 0`` when ``return_to_zero``, else ``V −= threshold_high`` (saturated) [R];
3. ``V = max(V, threshold_low)``.

**Sending an output event** (f, ox, oy) of core n: first its copy to the host when ``monitor_enable``
(un-pooled, ``layer`` = n), then destination 0, then destination 1: each enabled destination receives
(ox // pooling, oy // pooling, f + feature_shift); positions beyond the target's input map (the pooled map)
are dropped [R].

**Event order, depth-first** (``order="depth-first"``, the chip's; the default). Input events are taken in
array order. Each passes the DVS layer (merge → pool → crop → flip y, flip x → swap; see
:class:`~spikegate.sim.dynapcnn.config.DvsLayerConfig`): its monitor copy first (``layer`` 9, x, y and
``feature`` = p as received), then it goes to DVS destination 0 and everything it causes is processed, then
to destination 1. Within a core, the output events of one update are sent one at a time in the visiting
order (f, oy, ox); each one is processed completely downstream (recursively, destination 0 before
destination 1) before the core sends its next one [R]. Updating all the neurons of one event first and then
sending its spikes gives exactly the result of sending each spike as its neuron is visited, because routing
is required to be acyclic: nothing downstream touches the sending core.

**Event order, breadth-first** (``order="breadth-first"``, specksim's). All input events pass the DVS layer
first (monitor copies in input order); then the cores run in topological order of the routing (ties by
ascending core index), each processing its whole queue in arrival order with the same update rule and
appending each output event to destination 0's queue, then destination 1's. For chains of single-source
cores both orders give the same per-core output events; they may differ with merges or leak ticks.

**Leak ticks** are explicit: :meth:`DynapcnnSim.leak_tick` is one tick of the slow clock for some cores.
Each ticking core visits its neurons in the order f, oy, ox: ``V += biases[f]`` (saturated) then steps 2-3
of the update rule [R]. Cores tick in topological order; depth-first, each spike of a tick is routed at once
as above; breadth-first, a core's tick comes before the events queued for it by upstream ticks.

Output events (:data:`OUTPUT_EVENT_DTYPE`) are in emission order and carry the ``t`` of the input event
that caused them (or the tick's ``t``); ``p`` repeats ``feature`` as specksim's output does.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np

from ..checks import as_indices, check_int
from . import kernels
from .config import DVS_POLARITIES, DVS_SIZE, N_CORES, ChipConfig, CoreConfig, register_value

#: Input events, as specksim: x, y, timestamp t (µs), p (DVS polarity, or channel for direct input).
INPUT_EVENT_DTYPE = np.dtype([("x", "<u4"), ("y", "<u4"), ("t", "<u4"), ("p", "<u4")])
#: Output events: x, y, t, p (= feature), layer (core, or 9 for DVS monitor copies), feature.
OUTPUT_EVENT_DTYPE = np.dtype([("x", "<u4"), ("y", "<u4"), ("t", "<u4"), ("p", "<u4"), ("layer", "<u4"),
                               ("feature", "<u4")])
ORDERS = ("depth-first", "breadth-first")
DVS_LAYER = kernels.DVS_LAYER
COUNTERS = ("events_in", "synops", "events_out", "leak_updates")
MAX_TIMESTAMP = 2 ** 32 - 1  #: the largest ``t`` (µs) of an event: the ``t`` field is 32 bits wide


def topological_order(config: ChipConfig) -> tuple[int, ...]:
    """Used cores in topological order of their enabled destinations, ties by ascending index.

    Raises ValueError naming the cores of a routing loop (the models need acyclic routing)."""
    used = config.used_cores
    targets = {i: {d.layer for d in config.cores[i].destinations if d.enable} for i in used}
    indegree = {i: 0 for i in used}
    for i in used:
        for target in targets[i]:
            indegree[target] += 1
    ready = [i for i in used if indegree[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        core = heapq.heappop(ready)
        order.append(core)
        for target in sorted(targets[core]):
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, target)
    if len(order) != len(used):
        loop = sorted(set(used) - set(order))
        raise ValueError(f"cores {loop} sit on or behind a routing loop of enabled destinations; the models need "
                         f"acyclic routing")
    return tuple(order)


def _event_frame(core: CoreConfig) -> int:
    """Most neurons one input event can reach at ``core``."""
    k = core.dimensions.kernel_size
    (width, height), stride = core.neuron_map, core.dimensions.stride
    return core.features * min(width, -(-k // stride.x)) * min(height, -(-k // stride.y))


class DynapcnnSim:
    """Event-driven, bit-exact model of a DYNAP-CNN chip configured by a :class:`ChipConfig`.

    ``out = net(events)`` runs input events (:data:`INPUT_EVENT_DTYPE`) through the DVS layer and the cores
    and returns the output events of monitored cores (:data:`OUTPUT_EVENT_DTYPE`) in emission order. States
    and counters persist between calls until :meth:`reset_states`. See the module docstring for the exact
    order of every neuron update and event (``order`` "depth-first", the chip's, or "breadth-first").
    """

    def __init__(self, chip_config: ChipConfig, order: str = "depth-first"):
        if not isinstance(chip_config, ChipConfig):
            raise TypeError(f"chip_config: expected a ChipConfig, got {type(chip_config).__name__}")
        if order not in ORDERS:
            raise ValueError(f"order: value {order!r} is not one of {ORDERS}")
        self.config = chip_config
        self.order = order
        self.topological_order = topological_order(chip_config)
        self._pack()
        self.reset_states()

    # --------------------------------------------------------------------------------------- set-up
    def _pack(self) -> None:
        """Flatten the used cores into the parameter table and weight / bias / state arrays of the kernels."""
        params = np.zeros((N_CORES, kernels.N_PARAMS), np.int64)
        weights, biases = [], []
        offsets = {"w": 0, "b": 0, "v": 0}
        frames, hit = 0, 1
        for i in self.config.used_cores:
            core = self.config.cores[i]
            params[i, :len(kernels.REGISTER_COLUMNS)] = [register_value(core, path) for path in kernels.REGISTER_COLUMNS]
            params[i, [kernels.P_WOFF, kernels.P_BOFF, kernels.P_VOFF]] = offsets["w"], offsets["b"], offsets["v"]
            layout = core.weights.transpose(1, 3, 2, 0)[:, :, ::-1]  # [c][ky][k-1-kx][f]
            weights.append(np.ascontiguousarray(layout, dtype=np.int32).ravel())
            biases.append(core.biases.astype(np.int32))
            offsets["w"] += weights[-1].size
            offsets["b"] += core.features
            offsets["v"] += core.n_neurons
            frames += max(_event_frame(core), core.n_neurons if core.leak_enable else 0)
            hit = max(hit, _event_frame(core))
        self._params = params
        self._weights = np.concatenate(weights or [np.zeros(0, np.int32)])
        self._biases = np.concatenate(biases or [np.zeros(0, np.int32)])
        self._spikes = np.empty((max(frames, 1), 3), np.int64)
        self._hit = np.empty(hit, np.bool_)
        self._state = np.empty(offsets["v"], np.int32)

    def reset_states(self) -> None:
        """Membranes back to each core's ``neurons_initial_value``; counters to zero."""
        for i in self.config.used_cores:
            core = self.config.cores[i]
            self._core_state(i)[...] = core.neurons_initial_value.transpose(2, 1, 0)
        self._counters = np.zeros((len(COUNTERS), N_CORES), np.int64)

    def _core_state(self, core: int) -> np.ndarray:
        """View of one core's membranes, ``[oy][ox][f]``."""
        config = self.config.cores[core]
        width, height = config.neuron_map
        start = int(self._params[core, kernels.P_VOFF])
        return self._state[start:start + config.n_neurons].reshape(height, width, config.features)

    # ------------------------------------------------------------------------------------ read-back
    def membranes(self, core: int) -> np.ndarray:
        """The membranes of ``core`` as int16 ``[f][x][y]`` (samna's axis order), a copy."""
        if core not in self.config.used_cores:
            raise ValueError(f"core: value {core!r} is not a used core {self.config.used_cores}")
        return self._core_state(core).transpose(2, 1, 0).astype(np.int16)

    @property
    def counters(self) -> dict[str, np.ndarray]:
        """Per core (int64 arrays of 9) since the last reset: ``events_in`` (events arriving at the core),
        ``synops`` (neuron updates by input events, counting only neurons that exist on the map),
        ``events_out`` (output events emitted), ``leak_updates`` (neuron updates by leak ticks)."""
        return {name: self._counters[row].copy() for row, name in enumerate(COUNTERS)}

    # ------------------------------------------------------------------------------------------ run
    def __call__(self, events: np.ndarray) -> np.ndarray:
        """Process input events in array order; returns the output events they cause."""
        return self._run(self._dvs_items(events))

    def leak_tick(self, cores: Iterable[int] | None = None, t: int = 0) -> np.ndarray:
        """One slow-clock leak tick of ``cores`` (default: every core with ``leak_enable``); output events
        caused by it carry timestamp ``t``."""
        leaky = tuple(i for i in self.config.used_cores if self.config.cores[i].leak_enable)
        cores = leaky if cores is None else as_indices("cores", cores)
        for core in cores:
            if core not in leaky:
                raise ValueError(f"cores: core {core!r} is not a used core with leak_enable (those are {leaky})")
        t = check_int("t", t, 0, MAX_TIMESTAMP)
        items = [(kernels.ITEM_LEAK, core, 0, 0, 0, t) for core in self.topological_order if core in cores]
        return self._run(np.array(items, np.int64).reshape(-1, 6))

    def _run(self, items: np.ndarray) -> np.ndarray:
        if self.order == "depth-first":
            records = kernels.run_depth_first(self._params, self._weights, self._biases, self._state, items,
                                              self._spikes, self._hit, self._counters)
        else:
            records = self._run_breadth_first(items)
        out = np.empty(len(records), OUTPUT_EVENT_DTYPE)
        for name, column in (("layer", 0), ("feature", 1), ("p", 1), ("x", 2), ("y", 3), ("t", 4)):
            out[name] = records[:, column]
        return out

    def _run_breadth_first(self, items: np.ndarray) -> np.ndarray:
        monitor = items[:, 0] == kernels.ITEM_MONITOR
        records = [items[monitor][:, [1, 4, 2, 3, 5]]]
        records[0][:, 0] = DVS_LAYER
        queues = {core: [items[~monitor & (items[:, 1] == core)]] for core in self.topological_order}
        for core in self.topological_order:
            queue = np.concatenate(queues[core])
            if not len(queue):
                continue
            sent = kernels.run_core_queue(self._params, self._weights, self._biases, self._state, core, queue,
                                          self._spikes, self._hit, self._counters)
            config = self.config.cores[core]
            if config.monitor_enable:
                records.append(np.column_stack([np.full(len(sent), core), sent]))
            routed: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
            for d, destination in enumerate(config.destinations):
                if not destination.enable:
                    continue
                target = self.config.cores[destination.layer]
                x, y = sent[:, 1] // destination.pooling, sent[:, 2] // destination.pooling
                keep = (x < target.input_map[0]) & (y < target.input_map[1])
                rows = np.column_stack([np.full(len(sent), kernels.ITEM_EVENT), np.full(len(sent), destination.layer),
                                        x, y, sent[:, 0] + destination.feature_shift, sent[:, 3]])[keep]
                routed.setdefault(destination.layer, []).append((2 * np.flatnonzero(keep) + d, rows))
            for target, parts in routed.items():
                keys = np.concatenate([key for key, _ in parts])
                rows = np.concatenate([row for _, row in parts])
                queues[target].append(rows[np.argsort(keys, kind="stable")])
        return np.concatenate(records) if records else np.zeros((0, 5), np.int64)

    # ------------------------------------------------------------------------------------ DVS layer
    def _dvs_items(self, events: np.ndarray) -> np.ndarray:
        """Checked input events through the DVS layer: items (kind, core, x, y, channel, t), in input order;
        per event its monitor copy, then destination 0, then destination 1."""
        x, y, t, p = checked_events(events)
        dvs = self.config.dvs_layer
        destinations = [(d, dest) for d, dest in enumerate(dvs.destinations) if dest.enable]
        if dvs.merge:
            _check_values("p", p, DVS_POLARITIES - 1, " is not a DVS polarity 0..1 (the DVS layer merges them)")
        else:
            for _, dest in destinations:
                channels = self.config.cores[dest.layer].channels
                shift = f" (+ feature_shift {dest.feature_shift})" if dest.feature_shift else ""
                _check_values("p", p + dest.feature_shift, channels - 1,
                              f"{shift} is outside core {dest.layer}'s input channels 0..{channels - 1}",
                              offset=dest.feature_shift)
        if dvs.is_direct:
            width, height = dvs.output_map
            _check_values("x", x, width - 1, f" is outside the input map 0..{width - 1} of the cores fed directly")
            _check_values("y", y, height - 1, f" is outside the input map 0..{height - 1} of the cores fed directly")
        channel = np.zeros_like(p) if dvs.merge else p
        px, py = x // dvs.pooling.x, y // dvs.pooling.y
        inside = (px >= dvs.origin.x) & (px <= dvs.cut.x) & (py >= dvs.origin.y) & (py <= dvs.cut.y)
        px, py = px - dvs.origin.x, py - dvs.origin.y
        if dvs.mirror_y:
            py = dvs.cut.y - dvs.origin.y - py
        if dvs.mirror_x:
            px = dvs.cut.x - dvs.origin.x - px
        if dvs.mirror_diagonal:
            px, py = py, px
        slots = np.zeros((len(x), 3, 6), np.int64)
        valid = np.zeros((len(x), 3), bool)
        if dvs.monitor_enable:
            slots[:, 0] = np.column_stack([np.full(len(x), kernels.ITEM_MONITOR), np.zeros(len(x)), x, y, p, t])
            valid[:, 0] = True
        for d, dest in destinations:
            target = self.config.cores[dest.layer]
            tx, ty = px // dest.pooling, py // dest.pooling
            slots[:, 1 + d] = np.column_stack([np.full(len(x), kernels.ITEM_EVENT), np.full(len(x), dest.layer),
                                               tx, ty, channel + dest.feature_shift, t])
            valid[:, 1 + d] = inside & (tx < target.input_map[0]) & (ty < target.input_map[1])
        return slots[valid]


def checked_events(events) -> tuple[np.ndarray, ...]:
    """x, y, t, p of input events (a 1-D structured array with the fields of :data:`INPUT_EVENT_DTYPE`)
    as int64 arrays, after checking dtype, shape and the sensor map (x, y in 0..127; t in µs, p ≥ 0).

    Raises TypeError for a wrong type or dtype, ValueError naming the field, value, event index and limit
    of the first bad event. Shared by the model here and the HDL chip's driver."""
    if not isinstance(events, np.ndarray) or events.dtype.names is None:
        raise TypeError(f"events: expected a numpy structured array of dtype {INPUT_EVENT_DTYPE} "
                        f"(INPUT_EVENT_DTYPE), got {type(events).__name__}"
                        f"{' of dtype ' + str(events.dtype) if isinstance(events, np.ndarray) else ''}")
    if set(events.dtype.names) != set(INPUT_EVENT_DTYPE.names):
        raise TypeError(f"events: expected the fields {INPUT_EVENT_DTYPE.names}, got {events.dtype.names}")
    if events.ndim != 1:
        raise ValueError(f"events: expected a 1-D array, got shape {events.shape}")
    fields = []
    for name in ("x", "y", "t", "p"):
        if events.dtype[name].kind not in "iu":
            raise TypeError(f"events: field {name} must be an integer (uint32), got {events.dtype[name]}")
        value = events[name].astype(np.int64)
        if len(value) and value.min() < 0:
            index = int(np.argmax(value < 0))
            raise ValueError(f"events: field {name} value {int(value[index])} at event {index} is negative")
        fields.append(value)
    _check_values("t", fields[2], MAX_TIMESTAMP, f" is over the largest timestamp {MAX_TIMESTAMP} (32 bits, µs)")
    _check_values("x", fields[0], DVS_SIZE - 1, f" is outside the DVS input map 0..{DVS_SIZE - 1}")
    _check_values("y", fields[1], DVS_SIZE - 1, f" is outside the DVS input map 0..{DVS_SIZE - 1}")
    return tuple(fields)


def _check_values(name: str, values: np.ndarray, hi: int, why: str, offset: int = 0) -> None:
    """Refuse the first event whose ``values`` exceed ``hi``; the message shows the value minus ``offset``."""
    bad = values > hi
    if np.any(bad):
        index = int(np.argmax(bad))
        raise ValueError(f"events: field {name} value {int(values[index]) - offset} at event {index}{why}")
