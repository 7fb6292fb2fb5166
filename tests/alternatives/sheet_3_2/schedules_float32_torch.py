# Alternative correct solution: cosine_lr computed with torch in float32, make_cosine_scheduler as
# SequentialLR(LinearLR, CosineAnnealingLR, ConstantLR), and train_char_rnn returning tuples of
# numpy floats from a loop over a shuffled list of (category, name) pairs.
import numpy as np


def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    step_t = torch.tensor(float(step), dtype=torch.float32)
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return float(base_lr * step_t / warmup_steps)
    p = (step_t - warmup_steps) / max(1, total_steps - warmup_steps)
    return float(min_lr + (base_lr - min_lr) * (1 + torch.cos(torch.pi * p)) / 2)


def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
    base = optimizer.param_groups[0]["lr"]
    sched = torch.optim.lr_scheduler
    parts, milestones = [], []
    if warmup_steps > 0:
        parts.append(sched.LinearLR(optimizer, start_factor=1e-9, end_factor=1.0, total_iters=warmup_steps))
        milestones.append(warmup_steps)
    if total_steps > warmup_steps:
        parts.append(sched.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr))
        milestones.append(total_steps)
    parts.append(sched.LambdaLR(optimizer, lambda _: min_lr / base if base else 0.0))
    return sched.SequentialLR(optimizer, parts, milestones=milestones[: len(parts) - 1])


def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    categories = list(names)
    model = CharRNN(len(categories), n_letters, 128).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_iters) if cosine else None
    losses, lrs = [], []
    usable = [c for c in categories if names[c]]
    for _ in range(n_iters):
        category = usable[rng.integers(len(usable))]
        name = names[category][rng.integers(len(names[category]))]
        lrs.append(np.float64(optimizer.param_groups[0]["lr"]))
        hidden = model.init_hidden().to(device)
        loss = torch.zeros((), device=device)
        for row, target in zip(input_tensors(name), target_indices(name)):
            log_probs, hidden = model(category_tensor(category, categories).to(device), row.to(device), hidden)
            loss = loss + F.nll_loss(log_probs, target.view(1).to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(np.float32(loss.item()))
    return model, tuple(losses), tuple(lrs)
