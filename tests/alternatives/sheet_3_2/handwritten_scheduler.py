# Alternative correct solution: a hand-written LR scheduler class and numpy-free utilities.
class CosineWithWarmup(torch.optim.lr_scheduler.LRScheduler):
    def __init__(self, optimizer, total_steps, warmup_steps=0, min_lr=0.0):
        self.total_steps, self.warmup_steps, self.min_lr = total_steps, warmup_steps, min_lr
        super().__init__(optimizer)

    def get_lr(self):
        return [cosine_lr(self.last_epoch, base_lr=base, total_steps=self.total_steps,
                          warmup_steps=self.warmup_steps, min_lr=self.min_lr) for base in self.base_lrs]


def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
    return CosineWithWarmup(optimizer, total_steps, warmup_steps, min_lr)


def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if step >= total_steps:  # the notebook: min_lr from total_steps on, whatever the warm-up
        return min_lr
    if warmup_steps and step < warmup_steps:
        return base_lr * (step / warmup_steps)
    span = max(1, total_steps - warmup_steps)
    progress = max(0.0, min(1.0, (step - warmup_steps) / span))
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def clip_gradients(grads, max_norm):
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.double()) for g in grads]))
    norm = float(norm)
    coef = max_norm / (norm + 1e-6)
    return ([g.mul(coef) for g in grads] if coef < 1 else [g.clone() for g in grads]), norm


def early_stopping(val_losses, patience, min_delta=0.0):
    if patience <= 0:
        return 0, 0
    best_epoch = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best_epoch] - min_delta:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def grid_search_configs(space):
    configs = [{}]
    for key, values in space.items():
        configs = [dict(config, **{key: value}) for config in configs for value in values]
    return configs
