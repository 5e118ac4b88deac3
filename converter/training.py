"""The mini-batch loop shared by the converters' demo trainings (seeded order, one progress bar)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from spikegate.sim.progress import bar as progress_bar


def train_epochs(optimiser: torch.optim.Optimizer, n_samples: int, batch_size: int, epochs: int,
                 loss_of: Callable[[int, torch.Tensor], torch.Tensor], desc: str = "train",
                 progress: bool = True) -> list[float]:
    """``epochs`` passes over ``n_samples`` in seeded random batches; ``loss_of(epoch, indices)`` gives a
    batch's loss, which the optimiser minimises. Returns the mean loss of each epoch (shown on the bar)."""
    generator = torch.Generator().manual_seed(0)
    history = []
    bar = progress_bar(range(epochs), desc=desc, unit="epoch", enabled=progress)
    for epoch in bar:
        losses = []
        for batch in torch.randperm(n_samples, generator=generator).split(batch_size):
            loss = loss_of(epoch, batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
        bar.set_postfix(loss=f"{history[-1]:.3f}")
    return history
