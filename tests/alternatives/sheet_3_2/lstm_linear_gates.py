# Alternative correct solution: an LSTM written from nn.Linear gates (the notebook's equations),
# trained with a hand-written loop; losses as a tuple of numpy floats.
import numpy as np


class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.x2gates = nn.Linear(n_categories + n_letters, 4 * hidden_size)
        self.h2gates = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        self.h2o = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        h, c = hidden
        gates = self.x2gates(torch.cat((category, input), 1)) + self.h2gates(h)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return F.log_softmax(self.h2o(h), dim=1), (h, c)

    def init_hidden(self):
        return torch.zeros(1, self.hidden_size), torch.zeros(1, self.hidden_size)


def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
    random.seed(seed)
    torch.manual_seed(seed)
    categories = list(names)
    model = CharLSTM(len(categories), n_letters, 128).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_iters):
        category = random.choice(categories)
        name = random.choice(names[category])
        cat = category_tensor(category, categories).to(device)
        h, c = (t.to(device) for t in model.init_hidden())
        loss = torch.zeros((), device=device)
        for row, target in zip(input_tensors(name), target_indices(name)):
            log_probs, (h, c) = model(cat, row.to(device), (h, c))
            loss = loss - log_probs[0, int(target)]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(np.float32(loss.item()))
    return model.cpu().eval(), tuple(losses)
