# exercise: 3.2.2
def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    cats = list(names)
    model = CharRNN(len(cats), n_letters, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_iters) if cosine else None
    losses, lrs = [], []
    for _ in range(n_iters):
        category = rng.choice([c for c in cats if names[c]])
        name = rng.choice(names[category])
        loss = name_loss(model, category_tensor(category, cats), name)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])  # recorded after the step: off by one
        losses.append(loss.item())
    return model, losses, lrs
