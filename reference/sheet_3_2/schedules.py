"""Exercise 3.2.2: cosine learning-rate schedules with warm-up, and sheet 2.4's RNN trained with one."""

from __future__ import annotations

import math
import random

import torch
from torch.optim.lr_scheduler import LambdaLR

from reference.sheet_3_2._given import given

CHAR_RNN_HIDDEN_SIZE = 128


def cosine_lr(
    step: int, *, base_lr: float, total_steps: int, warmup_steps: int = 0, min_lr: float = 0.0
) -> float:
    """Return the learning rate (a Python float) at `step`: linear warm-up, then half a cosine.

    min_lr when step >= total_steps; else base_lr * step / warmup_steps while
    step < warmup_steps; else min_lr + (base_lr - min_lr) * (1 + cos(pi * p)) / 2 with
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps).
    """
    # `min_lr` from `total_steps` on holds at every corner, `warmup_steps == total_steps` included
    # (where transformers' `get_cosine_schedule_with_warmup` gives `base_lr` at `total_steps`).
    if step >= total_steps:
        return min_lr
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    progress = min(1.0, max(0.0, progress))
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0


def make_cosine_scheduler(
    optimizer: torch.optim.Optimizer, *, total_steps: int, warmup_steps: int = 0, min_lr: float = 0.0
) -> LambdaLR:
    """Return a torch LR scheduler for `optimizer` following cosine_lr.

    Right after construction the optimizer's lr is cosine_lr(0, base_lr=<the lr the optimizer
    was created with>, ...); after k calls of scheduler.step() it is cosine_lr(k, ...).
    """
    # A `LambdaLR`: it multiplies each group's initial lr by a factor, so dividing the schedule by
    # that lr gives the factor (a group made with lr 0 stays at 0).

    def factor_for(base_lr: float):
        def factor(step: int) -> float:
            if base_lr == 0:
                return 0.0
            lr = cosine_lr(step, base_lr=base_lr, total_steps=total_steps,
                           warmup_steps=warmup_steps, min_lr=min_lr)
            return lr / base_lr

        return factor

    base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
    return LambdaLR(optimizer, [factor_for(lr) for lr in base_lrs])


def name_nll(model, category_row: torch.Tensor, name: str, device: str = "cpu") -> torch.Tensor:
    """The summed NLL of ``name`` (its characters and EOS) under a step-by-step character model."""
    hidden = model.init_hidden()
    hidden = tuple(h.to(device) for h in hidden) if isinstance(hidden, tuple) else hidden.to(device)
    targets = given.target_indices(name).to(device)
    loss = torch.zeros((), device=device)
    for step, row in enumerate(given.input_tensors(name)):
        log_probs, hidden = model(category_row, row.to(device), hidden)
        loss = loss + torch.nn.functional.nll_loss(log_probs, targets[step : step + 1])
    return loss


def train_step_by_step(
    model, names: dict[str, list[str]], *, n_iters: int, lr: float, seed: int, scheduler_fn,
    device: str = "cpu",
) -> tuple[list[float], list[float]]:
    """Sheet 2.4's loop: a random category, a random name of it, summed NLL, Adam; returns (losses, lrs)."""
    rng = random.Random(seed)
    categories = list(names)
    usable = [c for c in categories if names[c]]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = scheduler_fn(optimizer)
    losses: list[float] = []
    lrs: list[float] = []
    model.train()
    for _ in range(n_iters):
        category = rng.choice(usable)
        name = rng.choice(names[category])
        category_row = given.category_tensor(category, categories).to(device)
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        loss = name_nll(model, category_row, name, device)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(float(loss.item()))
    model.eval()
    return losses, lrs


def train_char_rnn(
    names: dict[str, list[str]], *, n_iters: int, lr: float, seed: int, cosine: bool = True,
    device: str = "cpu",
):
    """Train a CharRNN on `names` ({category: [name, ...]}) sheet-2.4 style; return (model, losses, lrs).

    One random name per step, NLL summed over the name, Adam with learning rate lr; when
    cosine is True a cosine scheduler (no warm-up, total_steps=n_iters) is stepped after each
    optimizer step. losses[k] and lrs[k] are floats for step k, with
    lrs[k] == cosine_lr(k, base_lr=lr, total_steps=n_iters) (or lr when cosine is False).
    Seed everything from `seed` so that a call is reproducible.
    """
    # Sheet 2.4's `CharRNN` with hidden size CHAR_RNN_HIDDEN_SIZE; `lrs[k]` is read from the
    # optimizer before step k, so it is the lr that step used.
    torch.manual_seed(seed)
    model = given.CharRNN(len(names), given.n_letters, CHAR_RNN_HIDDEN_SIZE).to(device)

    def scheduler_fn(optimizer):
        return make_cosine_scheduler(optimizer, total_steps=n_iters) if cosine else None

    losses, lrs = train_step_by_step(model, names, n_iters=n_iters, lr=lr, seed=seed,
                                     scheduler_fn=scheduler_fn, device=device)
    return model, losses, lrs
