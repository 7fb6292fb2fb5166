# exercise: 3.2.2
# cosine=False is ignored: the schedule is always used
_reference_train_char_rnn = train_char_rnn


def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
    return _reference_train_char_rnn(names, n_iters=n_iters, lr=lr, seed=seed, cosine=True, device=device)
