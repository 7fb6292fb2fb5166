"""Exercise "utilities": gradient clipping, He initialisation, early stopping, grid and random search."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import torch


def clip_gradients(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], float]:
    """Scale all gradients together so their total 2-norm is at most ``max_norm`` (as ``clip_grad_norm_``).

    Returns the (possibly scaled) gradients as new tensors and the total norm *before* clipping.
    """
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
    """A ``(fan_out, fan_in)`` weight drawn from N(0, 2 / fan_in) (He / Kaiming normal, ReLU gain)."""
    fan_out, fan_in = shape
    std = math.sqrt(2.0 / fan_in)
    return torch.randn(fan_out, fan_in, generator=generator) * std


def early_stopping(
    val_losses: list[float], patience: int, min_delta: float = 0.0
) -> tuple[int, int]:
    """``(stop_epoch, best_epoch)``, 0-based: stop at the first epoch ``patience`` epochs after the best."""
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
    """Every combination of the values, in ``itertools.product`` order of the keys as given."""
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


def random_search_configs(
    space: dict[str, list[Any]], n_trials: int, seed: int
) -> list[dict[str, Any]]:
    """``n_trials`` configurations, each value drawn uniformly (with replacement) from its list."""
    rng = random.Random(seed)
    return [{key: rng.choice(list(values)) for key, values in space.items()} for _ in range(n_trials)]
