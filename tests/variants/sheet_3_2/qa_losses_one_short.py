# exercise: 3.2.3.2
# the loss of the first step is dropped
_reference_train_extractive_qa = train_extractive_qa


def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    model, losses = _reference_train_extractive_qa(examples, n_steps=n_steps, lr=lr, seed=seed, device=device)
    return model, losses[1:]
