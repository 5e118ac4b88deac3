"""spikegate.compat.specksim: specksim's user API (from_sequential, call on record arrays, monitors, states,
reset) on DynapcnnSim, breadth-first by default and depth-first on request; with sinabs, an SNN and its
DynapcnnNetwork give the same network."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from sinabs_support import import_sinabs
from sinabs_support.fixtures import one_torch_thread  # noqa: F401 (autouse fixture)
from spikegate.compat.specksim import SpecksimNetwork, from_sequential
from spikegate.converter.dynapcnn import IAF, SumPool2d, from_torch
from spikegate.converter.dynapcnn.demo import seed_network
from spikegate.sim.dynapcnn import ORDERS, DynapcnnSim

SINABS = import_sinabs()
needs_sinabs = pytest.mark.skipif(SINABS is None, reason="sinabs is not installed")
SHAPE = (2, 12, 12)


def spiking_model() -> nn.Sequential:
    """Two conv layers of spikegate's IAF with sum pooling between them (no biases, spiking output)."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), IAF(1.0, -1.0), SumPool2d(2), nn.Conv2d(4, 3, 3, bias=False),
                          IAF(1.0, -1.0, reset="zero"))
    with torch.no_grad():
        for conv in (model[0], model[3]):
            conv.weight.add_(0.15)
    return model


def record_events(n: int, seed: int, shape=SHAPE) -> np.ndarray:
    """specksim's input: a record array x, y, t, p (uint32)."""
    rng = np.random.default_rng(seed)
    events = np.zeros(n, SpecksimNetwork.output_dtype)
    events["p"], events["y"], events["x"] = (rng.integers(0, size, n) for size in shape)
    events["t"] = np.arange(n) * 10
    return events


def of_core(out: np.ndarray, core: int) -> np.ndarray:
    return np.column_stack([out[out["layer"] == core][name] for name in ("x", "y", "t", "feature")])


def as_rows(events: np.ndarray) -> np.ndarray:
    return np.column_stack([events[name] for name in ("x", "y", "t", "p")])


@pytest.mark.parametrize("order", ORDERS)
def test_runs_dynapcnn_sim_in_the_chosen_order(order):
    model = spiking_model()
    net = from_sequential(model, SHAPE) if order == "breadth-first" else from_sequential(model, SHAPE, order=order)
    assert net.order == order
    config = from_torch(model, SHAPE, monitor_layers="all")
    events = record_events(3000, 0)
    net.add_monitors([0, 1])
    out = net(events)
    expected = DynapcnnSim(config, order)(events)
    assert len(out) > 20 and out.dtype == net.output_dtype
    np.testing.assert_array_equal(as_rows(out), of_core(expected, config.layer_to_core[1]))
    np.testing.assert_array_equal(as_rows(net.read_monitor(0)), of_core(expected, config.layer_to_core[0]))
    assert set(net.read_all_monitors()) == {0, 1}


def test_orders_differ_only_in_event_order():
    """A chain of single-source cores: the same events per layer, in a different order across layers."""
    nets = [from_sequential(spiking_model(), SHAPE, order=order) for order in ORDERS]
    events = record_events(3000, 1)
    outs = [net(events) for net in nets]
    assert sorted(map(tuple, as_rows(outs[0]))) == sorted(map(tuple, as_rows(outs[1])))


def test_monitors_states_and_reset():
    net = from_sequential(spiking_model(), SHAPE)
    net.add_monitor(0)
    first = net(record_events(500, 2))
    hidden = net.read_monitor(0)
    states = net.read_spiking_layer_states(0)
    core = net.spiking_cores[0]
    assert np.array(states).shape == (4, 10, 10)  # [channel][y][x]
    np.testing.assert_array_equal(np.array(states), net.sim.membranes(core).transpose(0, 2, 1))
    net(record_events(500, 3))
    assert not np.array_equal(net.read_monitor(0), hidden)  # monitors hold the last forward only
    net.reset_states()
    assert not np.any(net.read_spiking_layer_states(0)) and not np.any(net.read_spiking_layer_states(1))
    np.testing.assert_array_equal(net(record_events(500, 2)), first)
    np.testing.assert_array_equal(net.read_monitor(0), hidden)
    net.clear_monitors()
    assert net.read_all_monitors() == {}


def test_one_record_input():
    """One event as a 0-d record (np.array((x, y, t, p), dtype=output_dtype)) runs as a 1-event array."""
    nets = [from_sequential(spiking_model(), SHAPE) for _ in range(2)]
    for x in range(12):
        single = np.array((x, 5, x, 1), dtype=nets[0].output_dtype)
        np.testing.assert_array_equal(nets[0](single), nets[1](single.reshape(1)))


@pytest.mark.parametrize("model, error, message", [
    (nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.ReLU()), TypeError,
     "network: 1 is a ReLU; convert the ANN to a spiking model first"),
    (nn.Sequential(nn.Conv2d(2, 4, 3), IAF()), ValueError,
     "network: 0 has biases, which specksim does not support"),
    (nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), IAF(), SumPool2d(2)), ValueError,
     "network: the output layer 2 is not a spiking layer"),
])
def test_from_sequential_wrong(model, error, message):
    with pytest.raises(error, match=message):
        from_sequential(model, SHAPE)


def test_network_calls_wrong():
    net = from_sequential(spiking_model(), SHAPE)
    with pytest.raises(ValueError, match=r"spike_layer_number: value 2 is not a spiking layer 0..1"):
        net.add_monitor(2)
    with pytest.raises(ValueError, match=r"spike_layer_number: layer 1 has no monitor; call add_monitor\(1\)"):
        net.read_monitor(1)
    with pytest.raises(ValueError, match=r"spike_layer_number: value -1 is not a spiking layer"):
        net.read_spiking_layer_states(-1)
    with pytest.raises(ValueError, match="events: field x value 12 at event 0 is outside the input map 0..11"):
        net(np.array([(12, 0, 0, 0)], net.output_dtype))
    with pytest.raises(ValueError, match="order: value 'fifo' is not one of"):
        from_sequential(spiking_model(), SHAPE, order="fifo")


# ----------------------------------------------------------------------------------------- with sinabs
def sinabs_snn():
    from sinabs.from_torch import from_model

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_model(seed_network(), add_spiking_output=True, batch_size=1).spiking_model


@needs_sinabs
@pytest.mark.parametrize("chip", ["speck2f", "speck2e"])
def test_snn_and_its_dynapcnn_network_agree(chip):
    """specksim's two entry points: a sinabs SNN and the DynapcnnNetwork of it run the same configuration."""
    from sinabs.backend.dynapcnn import DynapcnnNetwork

    snn = sinabs_snn()
    nets = [from_sequential(snn, (1, 28, 28), chip=chip),
            from_sequential(DynapcnnNetwork(snn, input_shape=(1, 28, 28), discretize=True), (1, 28, 28), chip=chip)]
    assert nets[0].spiking_cores == nets[1].spiking_cores == (0, 3, 5, 6, 1)
    events = record_events(4000, 5, (1, 28, 28))
    outs = []
    for net in nets:
        net.add_monitors(range(5))
        outs.append((net(events), net.read_all_monitors(), net.read_spiking_layer_states(1)))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert all(np.array_equal(outs[0][1][n], outs[1][1][n]) for n in range(5)) and len(outs[0][1][0]) > 100
    assert outs[0][2] == outs[1][2]


@needs_sinabs
def test_dynapcnn_network_wrong():
    from sinabs.backend.dynapcnn import DynapcnnNetwork

    network = DynapcnnNetwork(sinabs_snn(), input_shape=(1, 28, 28), discretize=True)
    with pytest.raises(ValueError, match=r"input_shape: value \(1, 32, 32\) differs from the DynapcnnNetwork's "
                                         r"\(1, 28, 28\)"):
        from_sequential(network, (1, 32, 32))
    with pytest.raises(ValueError, match="chip: value 'dynapcnn_devkit': sinabs makes DynapcnnNetwork configurations"):
        from_sequential(network, (1, 28, 28), chip="dynapcnn_devkit")
