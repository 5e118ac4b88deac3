"""The DYNAP-CNN chip's converter facet (``Chip.facet("converter")`` of :mod:`spikegate.sim.dynapcnn.chip`):
what ``spikegate sweep`` needs to convert a model with one grid setting."""

from __future__ import annotations

import copy

import numpy as np

from spikegate.sim.checks import is_finite_number


class DynapcnnConverter:
    """Conversion of ``nn.Sequential`` spiking CNNs and NIR graphs with sweepable settings.

    Settings (the names of ``spikegate sweep --grid``):
        weight_scale: every weight multiplied by this before conversion.
        threshold_scale: every spiking threshold and floor multiplied by this (ReLUs become IAF(s, -s)).
        pooling: ``"sum"`` or ``"avg"``: every pooling layer made sum or average pooling.
    """

    default_grid = {"weight_scale": [0.5, 1.0, 2.0], "threshold_scale": [0.5, 1.0, 2.0], "pooling": ["sum", "avg"]}
    #: per setting: what its values must be, and the test
    setting_values = {
        "weight_scale": ("a positive number", lambda v: is_finite_number(v) and v > 0),
        "threshold_scale": ("a positive number", lambda v: is_finite_number(v) and v > 0),
        "pooling": ("'sum' or 'avg'", lambda v: v in ("sum", "avg")),
    }

    #: what :meth:`accepts` takes, for error messages
    model_kind = "a torch.nn.Sequential"

    def accepts(self, model) -> bool:
        """Whether ``model`` is a torch model this chip converts (a ``torch.nn.Sequential``)."""
        from torch import nn

        return isinstance(model, nn.Sequential)

    def bundled_model(self):
        """The float torch version of :func:`spikegate.sim.eval.synthetic.dynapcnn_network` and its
        conversion defaults (``input_shape`` (C, H, W))."""
        import torch
        from torch import nn

        from spikegate.sim.eval.synthetic import SyntheticDVS, line_kernel

        from . import IAF, SumPool2d

        classes = SyntheticDVS.n_classes
        detect, add = nn.Conv2d(2, classes, 5, padding=2, bias=False), nn.Conv2d(classes, classes, 4, bias=False)
        with torch.no_grad():  # torch kernels are [f][c][ky][kx]: the transpose of the chip's [kx][ky]
            detect.weight.copy_(torch.tensor(np.stack([[line_kernel(k).T] * 2 for k in range(classes)]) / 3.0))
            add.weight.copy_(torch.tensor(np.eye(classes)[:, :, None, None] * np.ones((4, 4))) / 3.0)
        floor = -64 / 3.0
        model = nn.Sequential(detect, IAF(8.0, min_v_mem=floor), SumPool2d(4), add, IAF(2 / 3.0, min_v_mem=floor))
        return model, {"input_shape": (2, SyntheticDVS.size, SyntheticDVS.size)}

    def check(self, model, input_shape=None, dt=None) -> None:
        """Refuse, before any conversion, what no setting can convert: a torch model without ``input_shape``."""
        if input_shape is None and hasattr(model, "modules"):
            raise ValueError("--input-shape: give C,H,W for a torch model")

    def convert(self, model, setting: dict, input_shape=None, dt=None):
        """The ChipConfig of a torch model (with ``input_shape`` (C, H, W)) or NIR graph under ``setting``."""
        return _convert(model, input_shape, **setting)


def _convert(model, input_shape, weight_scale=1.0, threshold_scale=1.0, pooling="sum"):
    from . import from_nir, from_torch

    if not hasattr(model, "modules"):
        if (weight_scale, threshold_scale) != (1.0, 1.0):
            raise ValueError("weight_scale / threshold_scale: only torch models can be rescaled, not NIR graphs")
        return from_nir(model, input_shape)
    if input_shape is None:
        raise ValueError("input_shape: give --input-shape C,H,W for a torch model")
    return from_torch(rescaled(model, weight_scale, threshold_scale, pooling), tuple(input_shape))


def rescaled(model, weight_scale: float, threshold_scale: float, pooling: str):
    """A copy of a DYNAP-CNN torch model with scaled weights, scaled thresholds and the chosen pooling."""
    import torch
    from torch import nn

    from . import IAF, SumPool2d

    if pooling not in ("sum", "avg"):
        raise ValueError(f"pooling: value {pooling!r} is not one of ('sum', 'avg')")
    model = copy.deepcopy(model)
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, IAF(threshold_scale, min_v_mem=-threshold_scale))
            elif isinstance(child, IAF):
                child.spike_threshold *= threshold_scale
                child.min_v_mem = None if child.min_v_mem is None else child.min_v_mem * threshold_scale
            elif isinstance(child, (nn.Conv2d, nn.Linear)):
                with torch.no_grad():
                    child.weight.mul_(weight_scale)
                    if child.bias is not None:
                        child.bias.mul_(weight_scale)
            elif isinstance(child, (SumPool2d, nn.AvgPool2d)):
                size = child.kernel_size if isinstance(child.kernel_size, int) else child.kernel_size[0]
                setattr(parent, name, SumPool2d(size) if pooling == "sum" else nn.AvgPool2d(size))
    return model


CONVERTER = DynapcnnConverter()
