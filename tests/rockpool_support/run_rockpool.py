"""Run rockpool's Xylo simulators as a rockpool user would, in a fresh interpreter, and save what they record.

    python -S run_rockpool.py absent OUT.npz SITE     (SITE: site-packages without xylosim)
    python run_rockpool.py real OUT.npz

``absent``: the interpreter sees no xylosim (the test links every installed package but xylosim into SITE and
starts Python without its own site-packages), so ``spikegate.compat.install()`` provides both ``xylosim``
and ``samna``, as on a user's machine without the vendor binaries; ``real``: the installed xylosim, samna
from ``install()`` (there is no real samna). For every case the file holds the spikegate ``XyloConfig`` the run stands for (JSON), the input
raster, rockpool's output and every record rockpool returns; ``messages`` holds ``validate_configuration``
answers that rockpool's ``config_from_specification`` passed on.

Cases, each with its seed: ``XyloSim.from_specification`` of Xylo Audio 2 (syns61201), Xylo IMU (syns63300)
and Xylo Audio 3 (syns65302) specifications; ``XyloSim.from_config`` of Xylo v1 (syns61300, with a
``samna.xyloCore`` configuration; rockpool 3.1's v1 ``from_specification`` imports a function it no longer
has), Audio 2, IMU and Audio 3 configurations; and rockpool's Xylo tutorial (torch network -> ``mapper`` ->
``global_quantize`` -> ``config_from_specification`` -> ``XyloSim.from_config`` -> evolve) on all three.
"""

from __future__ import annotations

import json
import site
import sys
import warnings

if len(sys.argv) > 3:  # "absent": the site directory without xylosim, before anything is imported from it
    site.addsitedir(sys.argv[3])

import numpy as np  # noqa: E402

FROM_SPEC = {"audio2": 4, "imu": 4, "audio3": 4}
FROM_CONFIG = {"v1": 3, "audio2": 3, "imu": 3, "audio3": 3}
STEPS = 40


def activate(mode: str) -> None:
    import spikegate.compat

    provided = spikegate.compat.install()
    expected = {"samna", "xylosim"} if mode == "absent" else {"samna"}
    assert expected <= set(provided) and ("xylosim" in provided) == (mode == "absent"), provided


def random_config(rng, profile: str, n_hid: int, n_out: int, from_config: bool):
    """A random valid XyloConfig of ``profile``: inputs reach its first IEN hidden neurons, readouts come
    from its last OEN. For ``from_config`` runs, no alias targets neuron 0 and Audio 3 uses synapse 1 only
    (rockpool's ``from_config`` drops both)."""
    from spikegate.sim.xylo import XyloConfig, get_profile

    p = get_profile(profile)
    n_in = int(rng.integers(1, 17))
    synapses = 1 if p.synapses == 1 or (from_config and profile == "audio3") else 2
    ien, oen = min(n_hid, p.input_neurons), min(n_hid, p.readout_neurons)
    w_in = np.zeros((n_in, n_hid, 2), np.int64)
    w_in[:, :ien, :synapses] = np.where(rng.random((n_in, ien, synapses)) < 0.4,
                                        rng.integers(-128, 128, (n_in, ien, synapses)), 0)
    w_rec = np.zeros((n_hid, n_hid, 2), np.int64)
    w_rec[:, :, :synapses] = np.where(rng.random((n_hid, n_hid, synapses)) < 3 / n_hid,
                                      rng.integers(-128, 128, (n_hid, n_hid, synapses)), 0)
    w_out = np.zeros((n_hid, n_out), np.int64)
    w_out[n_hid - oen:] = np.where(rng.random((oen, n_out)) < 0.5, rng.integers(-128, 128, (oen, n_out)), 0)
    aliases = [[] for _ in range(n_hid)]
    for source in rng.choice(n_hid, size=n_hid // 4, replace=False):
        target = int(rng.integers(1, n_hid))
        aliases[source] = [target] if target != source else []
    bias = {}
    if p.version == 2 and rng.random() < 0.7:
        bias = dict(bias=np.where(rng.random(n_hid) < 0.5, rng.integers(-3000, 3000, n_hid), 0),
                    bias_out=np.where(rng.random(n_out) < 0.5, rng.integers(-3000, 3000, n_out), 0))
    return XyloConfig(weights_in=w_in, weights_rec=w_rec, weights_out=w_out, dash_mem=rng.integers(0, 16, n_hid),
                      dash_syn=rng.integers(0, 16, n_hid), dash_syn_2=rng.integers(0, 16, n_hid),
                      dash_mem_out=rng.integers(0, 16, n_out), dash_syn_out=rng.integers(0, 16, n_out),
                      threshold=rng.integers(*((-100, 3000), (500, 20000))[int(rng.integers(2))], n_hid),
                      threshold_out=rng.integers(1, 3000, n_out),
                      weight_shift_in=int(rng.integers(0, 8)), weight_shift_rec=int(rng.integers(0, 8)),
                      weight_shift_out=int(rng.integers(0, 8)), aliases=aliases, profile=profile, **bias)


SIZES = {"v1": (60, 8), "audio2": (200, 8), "imu": (300, 16), "audio3": (250, 32)}
TOO_MANY_READOUTS = {"audio2": 9, "imu": 17, "audio3": 33}


def spec_of(config, profile: str) -> dict:
    """rockpool's specification of a config: input weights for the IEN hidden neurons, readout weights
    from the OEN last ones, synapse 2 only where the member has it."""
    p = config.profile
    ien, oen = min(config.n_hidden, p.input_neurons), min(config.n_hidden, p.readout_neurons)
    synapses = slice(0, p.synapses)
    spec = config.to_spec()
    spec.pop("profile", None), spec.pop("version"), spec.pop("dt")
    spec["weights_in"] = config.weights_in[:, :ien, synapses]
    spec["weights_rec"] = config.weights_rec[:, :, synapses]
    spec["weights_out"] = config.weights_out[config.n_hidden - oen:]
    if p.synapses == 1:
        spec.pop("dash_syn_2")
    return spec


def tutorial_network(seed: int):
    """rockpool's tutorial network: 2 inputs, 4 + 4 hidden LIF neurons (a residual recurrent block), 2 outputs."""
    import torch
    from rockpool.nn.combinators import Residual, Sequential
    from rockpool.nn.modules import LIFTorch, LinearTorch

    torch.manual_seed(seed)
    net = Sequential(LinearTorch((2, 4), has_bias=False), LIFTorch(4, dt=1e-3),
                     Residual(LinearTorch((4, 4), has_bias=False), LIFTorch(4, has_rec=True, threshold=10.0, dt=1e-3)),
                     LinearTorch((4, 2), has_bias=False), LIFTorch(2, dt=1e-3))
    net[2][1].w_rec.data = net[2][1].w_rec / 10.0
    return net


def main(mode: str, out_path: str, site_dir: str | None = None) -> None:
    warnings.filterwarnings("ignore")
    activate(mode)
    from rockpool.devices.xylo import syns61201, syns61300, syns63300, syns65302
    from rockpool.transform import quantize_methods

    from spikegate.compat.samna import from_xylo_config, to_xylo_config

    modules = {"v1": syns61300, "audio2": syns61201, "imu": syns63300, "audio3": syns65302}
    saved: dict[str, np.ndarray] = {}
    cases = []
    layers = set()  # the modules of the xylosim layers rockpool built

    def run(name, module, config, build):
        rng = np.random.default_rng(len(cases))
        raster = rng.poisson(0.3, (STEPS, config.n_inputs))
        sim = build()
        out, _, rec = sim.evolve(raster, record=True)
        out2, _, rec2 = sim.evolve(raster[:5], record=True)  # the state carries on
        saved.update({f"{name}/raster": raster, f"{name}/out": np.concatenate([out, out2])})
        saved.update({f"{name}/{k}": np.concatenate([v, rec2[k]]) for k, v in rec.items()})
        saved[f"{name}/config"] = np.array(config.to_json())
        cases.append(name)
        layers.add(type(sim._xylo_layer).__module__)

    for profile, count in FROM_SPEC.items():
        for seed in range(count):
            config = random_config(np.random.default_rng(seed), profile, *SIZES[profile], from_config=False)
            run(f"spec-{profile}-{seed}", modules[profile], config,
                lambda: modules[profile].XyloSim.from_specification(**spec_of(config, profile)))
    for profile, count in FROM_CONFIG.items():
        for seed in range(count):
            config = random_config(np.random.default_rng(100 + seed), profile, *SIZES[profile], from_config=True)
            run(f"config-{profile}-{seed}", modules[profile], config,
                lambda: modules[profile].XyloSim.from_config(from_xylo_config(config)))
    messages = {}
    for profile in ("audio2", "imu", "audio3"):
        module = modules[profile]
        spec = module.mapper(tutorial_network(7).as_graph(), weight_dtype="float")
        spec.update(quantize_methods.global_quantize(**spec))
        samna_config, is_valid, message = module.config_from_specification(**spec)
        assert is_valid, message
        run(f"tutorial-{profile}", module, to_xylo_config(samna_config),
            lambda: module.XyloSim.from_config(samna_config))
        n_out = TOO_MANY_READOUTS[profile]  # one more than the chip has
        spec.update(weights_out=np.ones((spec["weights_out"].shape[0], n_out), int), bias_out=np.zeros(n_out, int),
                    **{name: np.ones(n_out, int) for name in ("threshold_out", "dash_mem_out", "dash_syn_out")})
        messages[profile] = module.config_from_specification(**spec)[1:]
    np.savez(out_path, **saved)
    with open(out_path + ".json", "w") as f:
        json.dump({"cases": cases, "messages": messages, "layers": sorted(layers)}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
