# Alternative correct solution: bernoulli-based masking in two stages, different head and loss spelling.
def sequence_classification_head(hidden_size, num_labels):
    head = nn.Sequential()
    head.add_module("proj", nn.Linear(hidden_size, num_labels, bias=False))
    return head[0]


def sequence_classification_loss(pooled_logits, labels, problem_type):
    if problem_type == "regression":
        loss_fn = nn.MSELoss()
        if pooled_logits.shape[-1] == 1:
            return loss_fn(pooled_logits.squeeze(), labels.squeeze().to(pooled_logits.dtype))
        return loss_fn(pooled_logits, labels.to(pooled_logits.dtype))
    if problem_type == "single_label_classification":
        return nn.CrossEntropyLoss()(pooled_logits.reshape(-1, pooled_logits.shape[-1]), labels.reshape(-1))
    return nn.BCEWithLogitsLoss()(pooled_logits, labels.to(pooled_logits.dtype))


def qa_loss(start_logits, end_logits, start_positions, end_positions):
    ignored = start_logits.size(1)
    sp = start_positions.squeeze(-1) if start_positions.dim() > 1 else start_positions
    ep = end_positions.squeeze(-1) if end_positions.dim() > 1 else end_positions
    sp, ep = sp.clamp(0, ignored), ep.clamp(0, ignored)
    fn = nn.CrossEntropyLoss(ignore_index=ignored)
    return (fn(start_logits, sp) + fn(end_logits, ep)) / 2


def he_init(shape, *, generator=None):
    weight = torch.empty(shape[0], shape[1])
    std = (2.0 / shape[1]) ** 0.5
    return weight.normal_(0.0, std, generator=generator)


def random_search_configs(space, n_trials, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_trials):
        out.append({k: v[int(torch.randint(len(v), (1,), generator=g))] for k, v in space.items()})
    return out
