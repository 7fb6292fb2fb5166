# Alternative correct solution: ExtractiveQAModel with its own loss code (not calling qa_loss) and
# a batch of 40 sampled without replacement per epoch with random.sample; CharLSTM from
# nn.LSTMCell with hidden size 256 trained with gradient clipping.
class ExtractiveQAModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transformer = GPT2Model(config)
        self.qa_outputs = nn.Linear(config.n_embd, 2)

    def forward(self, input_ids, attention_mask=None, start_positions=None, end_positions=None):
        hidden = self.transformer(input_ids, attention_mask=attention_mask)[0]
        logits = self.qa_outputs(hidden)
        start_logits, end_logits = logits[..., 0].contiguous(), logits[..., 1].contiguous()
        loss = None
        if start_positions is not None and end_positions is not None:
            T = start_logits.shape[1]
            s = start_positions.view(-1).clamp(0, T)
            e = end_positions.view(-1).clamp(0, T)
            loss = (F.cross_entropy(start_logits, s, ignore_index=T) + F.cross_entropy(end_logits, e, ignore_index=T)) / 2
        return {"start_logits": start_logits, "end_logits": end_logits, "loss": loss}


def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = ExtractiveQAModel(qa_config).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_steps, warmup_steps=n_steps // 10)
    order, losses = [], []
    model.train()
    for _ in range(n_steps):
        if len(order) < 40:
            order = rng.sample(range(len(examples)), len(examples))
        chosen, order = order[:40], order[40:]
        batch = [examples[i] for i in chosen]
        out = model(torch.stack([b["input_ids"] for b in batch]).to(device),
                    torch.stack([b["attention_mask"] for b in batch]).to(device),
                    torch.tensor([b["start_positions"] for b in batch], device=device),
                    torch.tensor([b["end_positions"] for b in batch], device=device))
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(out["loss"]))
    return model.to("cpu").eval(), losses


class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.LSTMCell(n_categories + n_letters, hidden_size)
        self.out = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        h, c = self.cell(torch.cat((category, input), dim=1), hidden)
        return F.log_softmax(self.out(h), dim=1), (h, c)

    def init_hidden(self):
        return torch.zeros(1, self.hidden_size), torch.zeros(1, self.hidden_size)


def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
    rng = random.Random(seed)
    torch.manual_seed(seed)
    categories = list(names)
    model = CharLSTM(len(categories), n_letters, 256)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_iters):
        category = rng.choice([c for c in categories if names[c]])
        name = rng.choice(names[category])
        hidden = model.init_hidden()
        loss = 0.0
        for row, target in zip(input_tensors(name), target_indices(name)):
            log_probs, hidden = model(category_tensor(category, categories), row, hidden)
            loss = loss + F.nll_loss(log_probs, target.view(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
    return model.eval(), losses
