# Alternative correct solution: make_cosine_scheduler written exactly as the notebook's hint on
# PyTorch's built-in schedulers says: a LambdaLR warm-up from 0, CosineAnnealingLR with
# T_max = total_steps - warmup_steps, and a LambdaLR that holds min_lr, chained in SequentialLR.


def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
    from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, SequentialLR

    base_lr = optimizer.param_groups[0]["lr"]
    parts, milestones = [], []
    if warmup_steps > 0:
        parts.append(LambdaLR(optimizer, lambda k: k / warmup_steps))
        milestones.append(warmup_steps)
    if total_steps > warmup_steps:
        parts.append(CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr))
        milestones.append(total_steps)
    parts.append(LambdaLR(optimizer, lambda k: min_lr / base_lr))
    return SequentialLR(optimizer, parts, milestones=milestones)
