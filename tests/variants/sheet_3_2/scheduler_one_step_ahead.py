# exercise: 3.2.2
# also: 3.2.3.2
def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
    base_lr = optimizer.param_groups[0]["lr"]

    def factor(step):
        lr = cosine_lr(step + 1, base_lr=base_lr, total_steps=total_steps,
                       warmup_steps=warmup_steps, min_lr=min_lr)
        return lr / base_lr if base_lr else 0.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
