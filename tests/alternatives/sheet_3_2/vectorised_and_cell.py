# Alternative correct solution: vectorised span search, LSTMCell, flip-based pooling, torch.rand masking.
def pool_last_token(logits, input_ids, pad_token_id):
    rows = torch.arange(logits.size(0))
    if pad_token_id is None:
        return logits[rows, logits.size(1) - 1]
    real = (input_ids != pad_token_id)
    from_right = torch.flip(real, dims=[1]).float().argmax(dim=1)
    last = input_ids.size(1) - 1 - from_right
    last = torch.where(real.any(dim=1), last, torch.zeros_like(last))
    return logits[rows, last]


def best_span(start_logits, end_logits, max_answer_len=30):
    start = torch.as_tensor(start_logits, dtype=torch.float64)
    end = torch.as_tensor(end_logits, dtype=torch.float64)
    n = start.numel()
    scores = start[:, None] + end[None, :]
    s_idx = torch.arange(n)[:, None]
    e_idx = torch.arange(n)[None, :]
    allowed = (e_idx >= s_idx) & (e_idx < s_idx + max_answer_len)
    scores = scores.masked_fill(~allowed, float("-inf"))
    flat = int(torch.argmax(scores.reshape(-1)))  # first maximum in row-major order: smallest s, then e
    return flat // n, flat % n


def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    ids = input_ids.long()
    chosen = (torch.rand(ids.shape, generator=generator) < mlm_probability) & (special_tokens_mask == 0)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    u = torch.rand(ids.shape, generator=generator)
    noise = torch.randint(0, vocab_size, ids.shape, generator=generator)
    out = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_token_id), ids)
    out = torch.where(chosen & (u >= 0.8) & (u < 0.9), noise, out)
    return out, labels


class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.LSTMCell(n_categories + n_letters, hidden_size)
        self.decoder = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        h, c = self.cell(torch.cat((category, input), 1), hidden)
        return torch.log_softmax(self.decoder(h), dim=1), (h, c)

    def init_hidden(self):
        return torch.zeros(1, self.hidden_size), torch.zeros(1, self.hidden_size)
