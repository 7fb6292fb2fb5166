# Alternative correct solution: nn.LSTM run one step at a time with its (h, c) of shape (1, 1, H),
# hidden size 64, its own training loop with the summed NLL from F.nll_loss(reduction="sum"),
# losses returned as a torch tensor.
class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm = nn.LSTM(n_categories + n_letters, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        x = torch.cat([category, input], dim=1).unsqueeze(1)  # (1, 1, features)
        out, hidden = self.lstm(x, hidden)
        return torch.log_softmax(self.decoder(out[:, -1]), dim=-1), hidden

    def init_hidden(self):
        return (torch.zeros(1, 1, self.hidden_size), torch.zeros(1, 1, self.hidden_size))


def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    categories = [c for c in names if names[c]]
    model = CharLSTM(len(names), n_letters, 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = torch.zeros(n_iters)
    for it in range(n_iters):
        category = categories[int(torch.randint(len(categories), (1,), generator=gen))]
        name = names[category][int(torch.randint(len(names[category]), (1,), generator=gen))]
        hidden = model.init_hidden()
        steps = []
        for row in input_tensors(name):
            log_probs, hidden = model(category_tensor(category, list(names)), row, hidden)
            steps.append(log_probs)
        loss = F.nll_loss(torch.cat(steps), target_indices(name), reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses[it] = loss.detach()
    return model.eval(), losses
