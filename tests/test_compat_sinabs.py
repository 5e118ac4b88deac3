"""sinabs 3.1.3 drives spikegate's samna (``spikegate.compat.samna``) unchanged: ``DynapcnnNetwork.make_config``
and the chip builders write into it, and what they write converts to a ChipConfig equal, field by field, to
spikegate's own ``from_torch`` of the same model, running to the same output events in ``DynapcnnSim``.

Chips: every one sinabs 3.1.3 builds (Speck 2e, Speck 2f) and the DYNAP-CNN devkit (sinabs' abstract
``DynapcnnConfigBuilder`` made concrete on ``samna.dynapcnn``, as sinabs 2.x had it). Bad configurations sinabs
can be made to write come back from ``validate_configuration`` as ``(False, message naming the field)``.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from config_diff import assert_same_config
from sinabs_support import import_sinabs
from sinabs_support.fixtures import one_torch_thread  # noqa: F401 (autouse fixture)
from sinabs_support.networks import sinabs_network, sinabs_random_pairs, sinabs_seed_pair
from spikegate.compat.samna import simulate, to_chip_config
from spikegate.converter.dynapcnn import from_torch
from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE, ChipConfig, DvsLayerConfig, DynapcnnSim, Size

SINABS = import_sinabs()
pytestmark = pytest.mark.skipif(SINABS is None, reason="sinabs is not installed")
#: spikegate chip profile → the device name sinabs' ChipFactory builds it for ("dynapcnndevkit": see devkit)
DEVICES = {"speck2e": "speck2edevkit", "speck2f": "speck2fdevkit", "dynapcnn_devkit": "dynapcnndevkit"}
N_RANDOM = 20
EVENT_FIELDS = ("layer", "feature", "x", "y", "t")


@pytest.fixture(scope="module", autouse=True)
def devkit():
    """sinabs 3.1.3's DynapcnnConfigBuilder (the DYNAP-CNN devkit's, abstract since the devkit left sinabs)
    completed with ``samna.dynapcnn`` and registered as device "dynapcnndevkit" for this module."""
    if SINABS is None:
        yield
        return
    import samna
    from sinabs.backend.dynapcnn.chip_factory import ChipFactory
    from sinabs.backend.dynapcnn.chips.dynapcnn import DynapcnnConfigBuilder

    class DevkitConfigBuilder(DynapcnnConfigBuilder):
        get_samna_module = classmethod(lambda cls: samna.dynapcnn)
        get_default_config = classmethod(lambda cls: samna.dynapcnn.configuration.DynapcnnConfiguration())
        get_dvs_layer_config = classmethod(lambda cls: samna.dynapcnn.configuration.DVSLayerConfig())
        get_input_buffer = classmethod(lambda cls: samna.BasicSourceNode_dynapcnn_event_input_event())
        get_output_buffer = classmethod(lambda cls: samna.BasicSinkNode_dynapcnn_event_output_event())

    ChipFactory.supported_devices[DEVICES["dynapcnn_devkit"]] = DevkitConfigBuilder
    yield
    del ChipFactory.supported_devices[DEVICES["dynapcnn_devkit"]]


def make_config(net, chip: str, **kwargs):
    """sinabs' make_config for ``chip``, without its "Network is valid" print (nor its warning that monitored
    events of pooled layers are un-pooled)."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pooling will not be reflected in the monitored events")
        return net.make_config(device=DEVICES[chip], **kwargs)


def random_events(shape: tuple[int, int, int], n: int, seed: int) -> np.ndarray:
    """``n`` input events inside a (C, H, W) input map, in time order."""
    rng = np.random.default_rng(seed)
    events = np.zeros(n, INPUT_EVENT_DTYPE)
    events["p"], events["y"], events["x"] = (rng.integers(0, size, n) for size in shape)
    events["t"] = np.arange(n)
    return events


def assert_same_events(ours: np.ndarray, theirs: np.ndarray, context: str) -> None:
    """Equal output events; else the first differing event, both sides."""
    a = np.column_stack([ours[name] for name in EVENT_FIELDS])
    b = np.column_stack([theirs[name] for name in EVENT_FIELDS])
    if a.shape != b.shape or not np.array_equal(a, b):
        n = min(len(a), len(b))
        first = next((i for i in range(n) if not np.array_equal(a[i], b[i])), n)
        raise AssertionError(f"{context}: {len(a)} / {len(b)} output events; first difference at event {first}: "
                             f"{a[first].tolist() if first < len(a) else None} / "
                             f"{b[first].tolist() if first < len(b) else None} ({EVENT_FIELDS})")


def assert_sinabs_config_equals(net, expected: ChipConfig, chip: str, context: str, layer_offset: int = 0,
                                n_events: int = 2000) -> ChipConfig:
    """sinabs' configuration of ``net`` for ``chip``, through to_chip_config, equals ``expected`` (spikegate's
    from_torch; samna configurations carry no layer numbering, so layer_to_core is compared with sinabs'
    layer2core_map, whose layer indices start at ``layer_offset``), and runs to the same events."""
    theirs = to_chip_config(make_config(net, chip))
    assert_same_config(theirs, expected.replace(chip=chip, layer_to_core={}), f"{context} on {chip}",
                       ("sinabs via samna", "from_torch"))
    assert {layer - layer_offset: core for layer, core in net.layer2core_map.items()} == expected.layer_to_core
    _, height, width = net.input_shape
    channels = expected.cores[expected.dvs_layer.destinations[0].layer].channels
    events = random_events((channels, height, width), n_events, seed=len(context))
    assert_same_events(DynapcnnSim(all_monitored(theirs))(events), DynapcnnSim(all_monitored(expected))(events),
                       f"{context} on {chip}")
    return theirs


def all_monitored(config: ChipConfig) -> ChipConfig:
    """``config`` with every core's monitor on (so that event comparisons see the hidden layers too)."""
    return config.replace(cores={i: config.cores[i].replace(monitor_enable=True) for i in config.used_cores})


def quiet_from_torch(model, shape, **kwargs) -> ChipConfig:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_torch(model, shape, **kwargs)


@pytest.fixture(scope="module")
def seed_pair():
    """sinabs' DynapcnnNetwork and spikegate's ChipConfig of the seed network."""
    return sinabs_seed_pair()


# ----------------------------------------------------------------------------------- make_config runs
@pytest.mark.parametrize("chip", DEVICES)
def test_seed_network(chip, seed_pair):
    net, expected = seed_pair
    theirs = assert_sinabs_config_equals(net, expected, chip, "seed network", n_events=5000)
    assert [theirs.cores[core].monitor_enable for core in (0, 3, 5, 6, 1)] == [False] * 4 + [True]


def test_random_networks_on_every_chip():
    """ANNs through sinabs' from_model and SNNs of sinabs' layers (biases, BatchNorm, pooling chains, Linear)."""
    checked = 0
    for context, _, net, expected in sinabs_random_pairs(range(N_RANDOM)):
        for chip in DEVICES:
            assert_sinabs_config_equals(net, expected, chip, context)
            checked += 1
    assert checked == N_RANDOM * len(DEVICES)


@pytest.mark.parametrize("chip", DEVICES)
def test_biases_and_leak(chip):
    """Biases become leak_enable cores; events and leak ticks run the same on both configurations."""
    import sinabs.layers as sl

    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, bias=True), sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0), sl.SumPool2d(2),
                          nn.Conv2d(4, 3, 3, bias=True), sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0))
    with torch.no_grad():
        for conv in (model[0], model[3]):
            conv.bias.copy_(torch.linspace(-0.3, 0.4, conv.out_channels))
    net = sinabs_network(model, (2, 12, 12), ann=False)
    expected = quiet_from_torch(model, (2, 12, 12), chip=chip)
    theirs = assert_sinabs_config_equals(net, expected, chip, "biases")
    assert [theirs.cores[c].leak_enable for c in theirs.used_cores] == [True, True]
    sims = DynapcnnSim(all_monitored(theirs)), DynapcnnSim(all_monitored(expected))
    for step in range(20):
        events = random_events((2, 12, 12), 50, seed=step)
        for run in (lambda sim: sim(events), lambda sim: sim.leak_tick(t=step)):
            assert_same_events(*(run(sim) for sim in sims), f"biases on {chip}, step {step}")


def dvs_network():
    """A DVS-input network: 2x2 sum pooling, crop, x mirror and merged polarities in the DVS layer."""
    import sinabs.layers as sl
    from sinabs.backend.dynapcnn.dvs_layer import DVSLayer

    torch.manual_seed(1)
    rest = nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0), sl.SumPool2d(2),
                         nn.Conv2d(4, 3, 3, bias=False), sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0))
    dvs = DVSLayer(input_shape=(32, 32), pool=(2, 2), crop=((1, 15), (2, 14)), flip_x=True, merge_polarities=True)
    net = sinabs_network(nn.Sequential(dvs, *rest), (1, 32, 32), ann=False)
    return net, rest


def dvs_by_hand(events: np.ndarray) -> np.ndarray:
    """What dvs_network's DVS layer makes of sensor events: merge, pool 2, crop x 2..13 / y 1..14, mirror x."""
    x, y = events["x"].astype(int) // 2, events["y"].astype(int) // 2
    keep = (x >= 2) & (x <= 13) & (y >= 1) & (y <= 14)
    out = np.zeros(int(keep.sum()), INPUT_EVENT_DTYPE)
    out["x"], out["y"], out["t"] = 11 - (x[keep] - 2), y[keep] - 1, events["t"][keep]
    return out


@pytest.mark.parametrize("chip", DEVICES)
def test_dvs_input_network(chip):
    """The cores equal from_torch of the network after its DVS stage; the DVS layer carries that stage, and
    sensor events through it give the events of the hand-made DVS processing fed to from_torch's cores."""
    net, rest = dvs_network()
    expected = quiet_from_torch(rest, (1, 14, 12), chip=chip)
    theirs = to_chip_config(make_config(net, chip))
    core = expected.layer_to_core[0]
    expected_dvs = DvsLayerConfig(merge=True, pooling=Size(2, 2), origin=Size(2, 1), cut=Size(13, 14), mirror_x=True,
                                  destinations=expected.dvs_layer.destinations)  # sensor off: dvs_input not given
    assert_same_config(theirs, expected.replace(dvs_layer=expected_dvs, layer_to_core={}), f"DVS network on {chip}")
    assert {layer - 1: c for layer, c in net.layer2core_map.items()} == expected.layer_to_core
    sensor = random_events((2, 32, 32), 6000, seed=5)
    assert_same_events(DynapcnnSim(all_monitored(theirs))(sensor), DynapcnnSim(all_monitored(expected))(
        dvs_by_hand(sensor)), f"DVS on {chip}")
    assert theirs.cores[core].channels == 1


# ------------------------------------------------------------------------------------- a user's script
def test_user_script_raster_to_events_simulate_events_to_raster(seed_pair):
    """DynapcnnNetwork → make_config → sinabs' raster_to_events → simulate → events_to_raster, as on a board."""
    from sinabs.backend.dynapcnn.chip_factory import ChipFactory

    net, expected = seed_pair
    config = make_config(net, "speck2f", monitor_layers="all")
    expected = all_monitored(expected)
    factory = ChipFactory(DEVICES["speck2f"])
    raster = (torch.rand((50, 1, 28, 28), generator=torch.Generator().manual_seed(0)) < 0.3).int()
    spikes = factory.raster_to_events(raster, layer=net.layer2core_map[0])
    out = simulate(config, spikes)
    array = np.zeros(len(spikes), INPUT_EVENT_DTYPE)
    array["x"], array["y"], array["p"] = ([getattr(s, name) for s in spikes] for name in ("x", "y", "feature"))
    array["t"] = [s.timestamp for s in spikes]
    direct = DynapcnnSim(expected)(array)
    assert len(out) == len(direct) > 0
    assert [(s.layer, s.feature, s.x, s.y, s.timestamp) for s in out] == \
        [tuple(int(e[name]) for name in EVENT_FIELDS) for e in direct]
    assert factory.events_to_raster(out, dt=1e-3).sum() == len(out)


# ----------------------------------------------------------------------------- bad configurations
def test_threshold_over_int16_wrong(capsys):
    """discretize=False lets sinabs write a threshold of 40000: refused, naming the field, value and limit."""
    import samna
    import sinabs.layers as sl

    conv = nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(3.0)
    model = nn.Sequential(conv, sl.IAFSqueeze(batch_size=1, spike_threshold=40000.0, min_v_mem=-1.0))
    from sinabs.backend.dynapcnn import DynapcnnNetwork

    net = DynapcnnNetwork(model, input_shape=(1, 4, 4), discretize=False)
    made = []
    with pytest.raises(ValueError, match="Generated config is not valid for speck2fdevkit"):
        net.make_config(device="speck2fdevkit", config_modifier=lambda c: made.append(c) or c)
    message = "cnn_layers[0].threshold_high: value 40000 is outside the int16 range -32768..32767"
    assert message in capsys.readouterr().out  # sinabs prints validate_configuration's message
    assert samna.speck2f.validate_configuration(made[0]) == (False, message)


@pytest.mark.parametrize("chip", DEVICES)
def test_destination_to_an_unused_core_wrong(chip, seed_pair):
    """A config_modifier (sinabs' hook) re-routes the first core to core 7, which holds no layer."""
    from spikegate.compat.samna._convert import chip_module

    net, _ = seed_pair

    def reroute(config):
        config.cnn_layers[0].destinations[0].layer = 7
        return config

    made = []
    with contextlib.redirect_stdout(io.StringIO()) as printed, pytest.raises(ValueError, match="not valid"):
        net.make_config(device=DEVICES[chip], config_modifier=lambda c: made.append(reroute(c)) or c)
    ok, message = chip_module(chip).validate_configuration(made[0])
    assert not ok and message.startswith("cnn_layers[0].destinations[0].layer: core 7 is not used"), message
    assert message in printed.getvalue()
