# exercise: 3.2.2
# losses returned sorted from low to high (e.g. mixed up with a ranking), so they seem to rise
_reference_train_char_rnn = train_char_rnn


def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
    model, losses, lrs = _reference_train_char_rnn(names, n_iters=n_iters, lr=lr, seed=seed, cosine=cosine,
                                                   device=device)
    return model, sorted(losses), lrs
