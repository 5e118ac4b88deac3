"""The Xylo family's converter facet (``Chip.facet("converter")`` of :mod:`spikegate.sim.xylo.chip`):
what ``spikegate sweep`` needs to convert a model with one grid setting."""

from __future__ import annotations

import numpy as np

from spikegate.sim.checks import is_finite_number


class XyloConverter:
    """Conversion of :class:`~spikegate.converter.xylo.XyloNet` networks and NIR graphs with sweepable settings.

    Settings (the names of ``spikegate sweep --grid``; None: the converter's own choice):
        scale: the quantization state scale (integer units per float unit).
        max_threshold: the largest integer threshold the automatic scale aims for.
        dash_offset: added to every decay shift after conversion.
        weight_shift_offset: more bits of weight shift per matrix (capped at 7), weights rounded to w / 2^d.
    """

    default_grid = {"scale": [None], "max_threshold": [256, 4096], "dash_offset": [-1, 0, 1],
                    "weight_shift_offset": [0, 2]}
    #: per setting: what its values must be, and the test (None: the converter's own choice)
    setting_values = {
        "scale": ("'auto' or a positive number", lambda v: v is None or (is_finite_number(v) and v > 0)),
        "max_threshold": ("an integer 1..32767", lambda v: isinstance(v, int) and 1 <= v <= 32767),
        "dash_offset": ("an integer", lambda v: isinstance(v, int)),
        "weight_shift_offset": ("an integer 0..7", lambda v: isinstance(v, int) and 0 <= v <= 7),
    }

    #: what :meth:`accepts` takes, for error messages
    model_kind = "a spikegate.converter.xylo.XyloNet"

    def accepts(self, model) -> bool:
        """Whether ``model`` is a :class:`~spikegate.converter.xylo.XyloNet`."""
        from .modules import XyloNet

        return isinstance(model, XyloNet)

    def bundled_model(self):
        """The float torch version of :func:`spikegate.sim.eval.synthetic.xylo_network` (no options)."""
        import torch
        from torch import nn

        from spikegate.sim.eval.synthetic import SyntheticRaster

        from . import LIF, Readout, XyloNet

        classes, group = SyntheticRaster.n_classes, SyntheticRaster.channels // SyntheticRaster.n_classes
        hidden_class = np.repeat(np.arange(classes), 2)
        channel_class = np.arange(SyntheticRaster.channels) // group
        first, second = nn.Linear(SyntheticRaster.channels, 2 * classes, bias=False), nn.Linear(2 * classes, classes,
                                                                                               bias=False)
        with torch.no_grad():  # nn.Linear weights are [out][in]
            first.weight.copy_(torch.tensor(np.where(hidden_class[:, None] == channel_class[None, :], 0.4, -0.4 / 3)))
            second.weight.copy_(torch.tensor(np.where(np.arange(classes)[:, None] == hidden_class[None, :], 2 / 3, 0.0)))
        model = XyloNet(first, LIF(2 * classes, tau_mem=4e-3, tau_syn=4e-3), second, Readout(classes, tau_mem=4e-3,
                                                                                            tau_syn=4e-3))
        return model, {}

    def check(self, model, input_shape=None, dt=None) -> None:
        """Refuse, before any conversion, what no setting can convert (nothing: every setting is tried)."""

    def convert(self, model, setting: dict, input_shape=None, dt=None):
        """The XyloConfig of a XyloNet or NIR graph (time step ``dt`` in s) under ``setting``."""
        return _convert(model, dt, **setting)


def _convert(model, dt, scale=None, max_threshold=4096, dash_offset=0, weight_shift_offset=0):
    from spikegate.sim.xylo import XyloConfig

    from . import from_nir, to_xylo_spec

    if hasattr(model, "modules"):
        config = XyloConfig.from_spec(**to_xylo_spec(model, dt=dt, scale=scale, max_threshold=int(max_threshold)))
    else:
        config = from_nir(model, **({} if dt is None else {"dt": dt}), scale=scale, max_threshold=int(max_threshold))
    return requantized(config, int(dash_offset), int(weight_shift_offset))


def requantized(config, dash_offset: int, weight_shift_offset: int):
    """A Xylo config with every dash moved by ``dash_offset`` (synaptic dashes kept >= 1, so that no
    synapse is cut off) and ``weight_shift_offset`` more bits of weight shift per matrix (capped at 7),
    weights rounded (half to even) to ``w / 2^d`` for the d bits actually added."""
    from spikegate.sim.xylo.config import MAX_DASH, MAX_WEIGHT_SHIFT

    changes = {}
    for name in ("dash_mem", "dash_mem_out", "dash_syn", "dash_syn_2", "dash_syn_out"):
        low = 0 if name.startswith("dash_mem") else 1
        changes[name] = np.clip(getattr(config, name).astype(np.int64) + dash_offset, low, MAX_DASH)
    for matrix in ("in", "rec", "out"):
        shift = getattr(config, f"weight_shift_{matrix}")
        added = min(shift + weight_shift_offset, MAX_WEIGHT_SHIFT) - shift
        weights = getattr(config, f"weights_{matrix}").astype(np.float64)
        changes[f"weights_{matrix}"] = np.rint(weights / 2 ** added).astype(np.int64)
        changes[f"weight_shift_{matrix}"] = shift + added
    return config.replace(**changes)


CONVERTER = XyloConverter()
