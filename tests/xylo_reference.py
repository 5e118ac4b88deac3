"""Test-only helpers: the vendor's bit-accurate simulator ``xylosim`` built from a :class:`XyloConfig`,
and seeded random valid configs for the equivalence tests."""

from __future__ import annotations

import numpy as np

from spikegate.sim.xylo import XyloConfig, get_profile

RECORDS = {"Isyn": "rec_i_syn", "Isyn2": "rec_i_syn2", "Vmem": "rec_v_mem", "Spikes": "rec_recurrent_spikes",
           "Isyn_out": "rec_i_syn_out", "Vmem_out": "rec_v_mem_out"}
TRANSPOSED = {"Isyn", "Isyn2", "Vmem", "Isyn_out", "Vmem_out"}  # xylosim returns these as (N, T)


class Reference:
    """A ``xylosim.v1`` or ``xylosim.v2`` ``XyloLayer`` with the registers of ``config``.

    ``module``: another module with xylosim's API (spikegate.compat.xylosim's); ``has_bias``: the v2 flag
    (default: set when a bias is non-zero, as rockpool sets it). The layer keeps only pointers into its
    synapse lists, so this object holds them for its lifetime.
    """

    def __init__(self, config: XyloConfig, module=None, has_bias: bool | None = None):
        if module is None:
            import xylosim.v1
            import xylosim.v2

            module = xylosim.v2 if config.version == 2 else xylosim.v1
        synapse = module.XyloSynapse
        w_in, w_rec, w_out = config.weights_in, config.weights_rec, config.weights_out
        self.synapses_in = [[synapse(int(n), int(s), int(w_in[i, n, s])) for n, s in zip(*np.nonzero(w_in[i]))]
                            for i in range(config.n_inputs)]
        self.synapses_rec = [[synapse(int(n), int(s), int(w_rec[j, n, s])) for n, s in zip(*np.nonzero(w_rec[j]))]
                             for j in range(config.n_hidden)]
        self.synapses_out = [[synapse(int(o), 0, int(w_out[j, o])) for o in np.nonzero(w_out[j])[0]]
                             for j in range(config.n_hidden)]
        common = dict(
            synapses_in=self.synapses_in, synapses_rec=self.synapses_rec, synapses_out=self.synapses_out,
            aliases=[list(a) for a in config.aliases], threshold=config.threshold.tolist(),
            threshold_out=config.threshold_out.tolist())
        tail = dict(
            weight_shift_inp=config.weight_shift_in, weight_shift_rec=config.weight_shift_rec,
            weight_shift_out=config.weight_shift_out, dash_mem=config.dash_mem.tolist(),
            dash_mem_out=config.dash_mem_out.tolist(),
            dash_syns=[[int(a), int(b)] for a, b in zip(config.dash_syn, config.dash_syn_2)],
            dash_syns_out=[[int(d)] for d in config.dash_syn_out], name="reference")
        if config.version == 2:
            common.update(has_bias=config.has_bias if has_bias is None else has_bias, bias=config.bias.tolist(),
                          bias_out=config.bias_out.tolist())
        self.layer = module.XyloLayer(**common, **tail)
        self.n_hidden, self.n_outputs = config.n_hidden, config.n_outputs

    def evolve(self, raster: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``(out, rec)`` in spikegate's layout: (T, N) arrays named as :class:`XyloSim` records."""
        out = self.run(raster)
        return out, self.records()

    def run(self, raster: np.ndarray) -> np.ndarray:
        """xylosim's ``evolve`` alone: the (T, Nout) output spikes."""
        return np.array(self.layer.evolve(np.asarray(raster).tolist()), dtype=np.int64).reshape(-1, self.n_outputs)

    def records(self) -> dict[str, np.ndarray]:
        """The records of the last ``run``, read from the layer and converted to numpy."""
        rec = {}
        for name, attribute in RECORDS.items():
            value = np.array(getattr(self.layer, attribute), dtype=np.int64)
            width = self.n_outputs if name.endswith("_out") else self.n_hidden
            rec[name] = value.reshape(width, -1).T if name in TRANSPOSED else value.reshape(-1, width)
        return rec


def random_config(rng: np.random.Generator, n_in: int, n_hid: int, n_out: int, version: int,
                  regime: str = "medium", max_fanout: int | None = None, profile: str | None = None) -> XyloConfig:
    """A random valid config; ``regime`` picks parameter ranges: ``"quiet"`` (small weights, high
    thresholds), ``"medium"``, or ``"saturated"`` (large weights and shifts, low thresholds: multi-spike,
    the 31 cap and 16-bit saturation). Each neuron gets 0..``max_fanout`` recurrent (target, synapse)
    entries (default: a random limit up to 64); the total is trimmed to 32000. ``profile`` (a family member
    of arithmetic ``version``): input weights only to its input neurons, readout weights only from its
    readout neurons, synapse 2 only where it has one."""
    big = regime == "saturated"
    quiet = regime == "quiet"

    def weights(shape, density):
        mask = rng.random(shape) < density
        return np.where(mask, rng.integers(-128, 128, shape), 0)

    w_in = weights((n_in, n_hid, 2), rng.uniform(0.2, 1.0))
    if rng.random() < 0.3:
        w_in[:, :, 1] = 0
    fan = int(rng.integers(0, min(n_hid * 2, 64) + 1)) if max_fanout is None else max_fanout
    w_rec = np.zeros((n_hid, n_hid, 2), np.int64)
    for pre in range(n_hid):
        k = int(rng.integers(0, fan + 1))
        flat = rng.choice(n_hid * 2, size=min(k, n_hid * 2), replace=False)
        w_rec[pre].reshape(-1)[flat] = rng.integers(-128, 128, flat.size)
    while np.count_nonzero(w_rec) > 32000:
        w_rec[rng.integers(n_hid)] = 0
    if rng.random() < 0.4:
        w_rec[:, :, 1] = 0
    w_out = weights((n_hid, n_out), rng.uniform(0.1, 1.0))
    if profile is not None:
        p = get_profile(profile)
        w_in[:, p.input_neurons:] = 0
        w_out[:max(0, n_hid - p.readout_neurons)] = 0
        if p.synapses == 1:
            w_in[..., 1] = w_rec[..., 1] = 0
    high = 200 if big else (20000 if quiet else 3000)
    threshold = rng.integers(1, high, n_hid)
    threshold_out = rng.integers(1, high, n_out)
    if rng.random() < 0.2:  # a few neurons at the extremes of the register
        threshold[rng.integers(n_hid)] = 32767
    aliases = [[] for _ in range(n_hid)]
    if n_hid > 1 and rng.random() < 0.5:
        for source in rng.choice(n_hid, size=int(rng.integers(1, max(2, n_hid // 3))), replace=False):
            target = int(rng.integers(n_hid - 1))
            aliases[source] = [target + (target >= source)]
    shifts = rng.integers(4, 8, 3) if big else rng.integers(0, 8 if not quiet else 3, 3)
    spec = dict(weights_in=w_in, weights_rec=w_rec, weights_out=w_out,
                dash_mem=rng.integers(0, 16, n_hid), dash_syn=rng.integers(0, 16, n_hid),
                dash_syn_2=rng.integers(0, 16, n_hid), dash_mem_out=rng.integers(0, 16, n_out),
                dash_syn_out=rng.integers(0, 16, n_out), threshold=threshold, threshold_out=threshold_out,
                weight_shift_in=int(shifts[0]), weight_shift_rec=int(shifts[1]), weight_shift_out=int(shifts[2]),
                aliases=aliases, version=version, profile=profile)
    if version == 2 and rng.random() < 0.6:
        spec["bias"] = np.where(rng.random(n_hid) < 0.5, rng.integers(-32768, 32768, n_hid) >> rng.integers(0, 15), 0)
        spec["bias_out"] = np.where(rng.random(n_out) < 0.5, rng.integers(-32768, 32768, n_out) >> rng.integers(0, 15), 0)
    return XyloConfig.from_spec(**spec)


def random_raster(rng: np.random.Generator, n_steps: int, n_in: int, rate: float) -> np.ndarray:
    """(T, Nin) input counts: Poisson with mean ``rate`` per channel and step, plus a few counts
    above 15 (which the chip clips) and some silent stretches."""
    raster = rng.poisson(rate, (n_steps, n_in))
    raster[rng.random((n_steps, n_in)) < 0.01] = rng.integers(16, 256)
    if n_steps > 4 and rng.random() < 0.5:
        start = int(rng.integers(n_steps))
        raster[start:start + int(rng.integers(1, n_steps // 2 + 1))] = 0
    return np.minimum(raster, 255)
