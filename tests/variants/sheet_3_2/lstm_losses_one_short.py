# exercise: 3.2.3.1
# the loss of the last step is dropped
_reference_train_char_lstm = train_char_lstm


def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
    model, losses = _reference_train_char_lstm(names, n_iters=n_iters, lr=lr, seed=seed, device=device)
    return model, losses[:-1]
