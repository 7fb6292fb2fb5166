# exercise: 3.2.2
# also: 3.2.3.2
def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    p = min(1.0, max(0.0, p))
    return base_lr * (1 + math.cos(math.pi * p)) / 2
