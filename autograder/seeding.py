"""Seeding Python, NumPy and torch: the judge and the sandbox do it alike before every test."""

from __future__ import annotations

import random


def reseed(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy ships with torch here
        pass
    import torch

    torch.manual_seed(seed)
