# exercise: 3.2.3.1
class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.LSTMCell(n_categories + n_letters, hidden_size)
        self.out = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        h, c = self.cell(torch.cat([category, input], dim=1), self.init_hidden())
        return F.log_softmax(self.out(h), dim=1), (h, c)

    def init_hidden(self):
        return (torch.zeros(1, self.hidden_size), torch.zeros(1, self.hidden_size))
