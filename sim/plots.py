"""Small plots of simulation results (arrays in, matplotlib axes out), shared by the chips' tools.

Figures are made without pyplot (``matplotlib.figure.Figure``), so nothing here depends on a GUI
backend or touches global state: save with ``ax.figure.savefig(path)``.
"""

from __future__ import annotations

import numpy as np

from .extras import require

require("spikegate.sim.plots", "matplotlib")

from matplotlib.axes import Axes  # noqa: E402 (after the check that names the extra)
from matplotlib.figure import Figure  # noqa: E402


def _axes(ax: Axes | None) -> Axes:
    return Figure(figsize=(7, 3), layout="constrained").add_subplot() if ax is None else ax


def raster_plot(spikes, ax: Axes | None = None, dt: float | None = None, title: str | None = None,
                color="k", ylabel: str = "neuron") -> Axes:
    """Raster of ``spikes`` (T, N) event counts: a vertical tick per (step, neuron) with one event, a dot
    growing with the count where there are more. ``dt`` (s) labels the time axis in seconds instead of
    steps. ``color``: one colour, or a list of one colour per neuron (e.g. matching their traces)."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 2:
        raise ValueError(f"spikes: expected shape (T, N), got {spikes.shape}")
    ax = _axes(ax)
    steps, neurons = np.nonzero(spikes)
    counts = spikes[steps, neurons].astype(float)
    time = steps * dt if dt else steps
    colors = np.asarray(color, dtype=object)[neurons] if isinstance(color, (list, tuple)) else color
    rows = max(spikes.shape[1], 1)
    tick = max(12.0, 600.0 / rows)  # ticks about a row high, visible on small rasters too
    if counts.max(initial=1) <= 1:
        ax.scatter(time, neurons, s=tick, c=colors, marker="|", linewidths=1.5)
    else:
        ax.scatter(time, neurons, s=6.0 * np.sqrt(counts), c=colors, marker="o", linewidths=0)
    ax.set_xlim(0, spikes.shape[0] * (dt or 1))
    ax.set_ylim(-0.5, spikes.shape[1] - 0.5)
    if spikes.shape[1] <= 16:
        ax.set_yticks(np.arange(spikes.shape[1]) if spikes.shape[1] <= 8 else np.arange(0, spikes.shape[1], 5))
    ax.set_xlabel("time (s)" if dt else "step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def membrane_plot(vmem, ax: Axes | None = None, dt: float | None = None, threshold=None,
                  labels: list[str] | None = None, title: str | None = None, style: str = "-") -> Axes:
    """Traces of ``vmem`` (T, N), one line per neuron (colours C0, C1, ...), with each neuron's
    ``threshold`` (scalar or (N,)) as a dotted line of the same colour, in the legend as "threshold".
    Call again on the same ``ax`` to overlay a second run (e.g. ``style="--"``)."""
    vmem = np.asarray(vmem, dtype=float)
    if vmem.ndim != 2:
        raise ValueError(f"vmem: expected shape (T, N), got {vmem.shape}")
    ax = _axes(ax)
    time = np.arange(vmem.shape[0]) * (dt or 1)
    thresholds = None if threshold is None else np.broadcast_to(np.asarray(threshold, dtype=float), vmem.shape[1:])
    for n in range(vmem.shape[1]):
        (line,) = ax.plot(time, vmem[:, n], style, lw=1.0, label=labels[n] if labels else None)
        if thresholds is not None:
            ax.axhline(thresholds[n], color=line.get_color(), ls=":", lw=1.0,
                       label=("threshold" if n == 0 else None) if labels else None)
    ax.set_xlabel("time (s)" if dt else "step")
    ax.set_ylabel("membrane")
    if labels:
        ax.legend(fontsize="small", loc="upper left")
    if title:
        ax.set_title(title)
    return ax
