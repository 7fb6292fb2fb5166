"""Seeding Python, NumPy and torch: the judge and the sandbox do it alike before every test."""

from __future__ import annotations

import os
import random


def reseed(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy ships with torch here
        pass
    import torch

    if cpu_only():
        # torch.manual_seed also queues a seeding of every accelerator backend not yet started
        # (CUDA, XPU, MTIA), recording the caller's stack for each: about a millisecond a call,
        # twice per test, in a process that can never start one.
        torch.random.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)


def cpu_only() -> bool:
    """True where no GPU is visible by configuration (``CUDA_VISIBLE_DEVICES`` set and empty).

    CPU workers are started that way (:class:`autograder.grading.worker.WorkerProcess`); the check never
    touches the CUDA driver, so it is safe before a fork.
    """
    return os.environ.get("CUDA_VISIBLE_DEVICES") == ""
