# Alternative correct solution: grid search by recursion with dicts built in another key order,
# random search with numpy, early stopping with a patience counter, clipping with torch's own
# clip_grad_norm_ on copies, He init with torch.nn.init.kaiming_normal_.
import numpy as np


def grid_search_configs(space):
    keys = list(space)

    def expand(i):
        if i == len(keys):
            return [{}]
        return [{**rest, keys[i]: value} for value in space[keys[i]] for rest in expand(i + 1)]

    return expand(0)


def random_search_configs(space, n_trials, seed):
    rng = np.random.default_rng(seed)
    return [{key: values[int(rng.integers(len(values)))] for key, values in space.items()}
            for _ in range(n_trials)]


def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if epoch == 0 or loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def clip_gradients(grads, max_norm):
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.detach().clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], float(norm)


def he_init(shape, *, generator=None):
    weight = torch.empty(shape)
    torch.nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu", generator=generator)
    return weight
