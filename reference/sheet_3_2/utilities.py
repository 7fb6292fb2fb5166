"""Exercise "utilities": gradient clipping, He initialisation, early stopping, grid and random search."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import torch


def clip_gradients(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], float]:
    """Clip a list of gradient tensors by their global 2-norm; return (clipped_grads, total_norm).

    total_norm (a Python float) is the norm before clipping. Each gradient is scaled by
    max_norm / (total_norm + 1e-6) when that factor is below 1, and left unchanged otherwise.
    """
    # As `clip_grad_norm_`, but the (possibly scaled) gradients are returned as new tensors; the
    # norm is computed in float64.
    grads = [torch.as_tensor(g) for g in grads]
    if not grads:
        return [], 0.0
    total = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g.detach().double()) for g in grads])
    )
    total_norm = float(total)
    coefficient = max_norm / (total_norm + 1e-6)
    if coefficient < 1.0:
        return [g * coefficient for g in grads], total_norm
    return [g.clone() for g in grads], total_norm


def he_init(shape: tuple[int, int], *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return a (fan_out, fan_in) tensor drawn from N(0, 2 / fan_in), with fan_in = shape[1]."""
    # He / Kaiming normal initialisation with the ReLU gain.
    fan_out, fan_in = shape
    std = math.sqrt(2.0 / fan_in)
    return torch.randn(fan_out, fan_in, generator=generator) * std


def early_stopping(
    val_losses: list[float], patience: int, min_delta: float = 0.0
) -> tuple[int, int]:
    """Return (stop_epoch, best_epoch), both 0-based, for a list of validation losses.

    Epoch 0 sets the first best; epoch e improves when val_losses[e] < best - min_delta.
    Training stops at the first e with e - best_epoch == patience; if that never happens,
    return (len(val_losses) - 1, best_epoch).
    """
    if len(val_losses) == 0:
        raise ValueError("early_stopping needs at least one validation loss")
    best, best_epoch = val_losses[0], 0
    for epoch, loss in enumerate(val_losses):
        if epoch > 0 and loss < best - min_delta:
            best, best_epoch = loss, epoch
        if epoch - best_epoch == patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def grid_search_configs(space: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Return every configuration (a list of dicts) of space = {name: [values]}.

    The order is that of itertools.product over the keys in the order given.
    """
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


def random_search_configs(
    space: dict[str, list[Any]], n_trials: int, seed: int
) -> list[dict[str, Any]]:
    """Return n_trials configurations (dicts), each value drawn uniformly with replacement from its list.

    The same seed gives the same list.
    """
    rng = random.Random(seed)
    return [{key: rng.choice(list(values)) for key, values in space.items()} for _ in range(n_trials)]
