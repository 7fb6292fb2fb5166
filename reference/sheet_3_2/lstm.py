"""Exercise 3.2.3.1: a character-level LSTM name generator, trained sheet-2.4 style."""

from __future__ import annotations

import torch
from torch import nn

from reference.sheet_3_2._given import given
from reference.sheet_3_2.schedules import train_step_by_step

CHAR_LSTM_HIDDEN_SIZE = 128


class CharLSTM(nn.Module):
    """A character-level LSTM conditioned on the category, run one step at a time.

    CharLSTM(n_categories, n_letters, hidden_size). init_hidden() returns the initial state;
    forward(category, input, hidden) takes one-hot rows (1, n_categories) and (1, n_letters)
    and the state, and returns (log_probs of shape (1, n_letters), new state).
    """
    # An `nn.LSTMCell` over [category one-hot, letter one-hot], then a linear map to
    # log-probabilities. The state is the pair `(h, c)`, zeros of shape `(1, hidden_size)` at first.

    def __init__(self, n_categories: int, n_letters: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.LSTMCell(n_categories + n_letters, hidden_size)
        self.output = nn.Linear(hidden_size, n_letters)

    def forward(
        self,
        category: torch.Tensor,
        input: torch.Tensor,
        hidden: tuple[torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        device = self.output.weight.device
        h, c = self.cell(
            torch.cat((category, input), dim=1).to(device), (hidden[0].to(device), hidden[1].to(device))
        )
        return torch.log_softmax(self.output(h), dim=1), (h, c)

    def init_hidden(self) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.output.weight.device
        return (torch.zeros(1, self.hidden_size, device=device),
                torch.zeros(1, self.hidden_size, device=device))


def train_char_lstm(
    names: dict[str, list[str]], *, n_iters: int, lr: float, seed: int, device: str = "cpu"
) -> tuple[CharLSTM, list[float]]:
    """Train a CharLSTM on `names` ({category: [name, ...]}) sheet-2.4 style; return (model, losses).

    One random name per step, NLL summed over the name, Adam with learning rate lr;
    losses[k] is the float loss of step k. Seed everything from `seed`.
    The grader uses n_iters={{ ref.LSTM_SETTINGS["n_iters"] }}, lr={{ ref.LSTM_SETTINGS["lr"] }} (at most {{ ref.LSTM_TRAINING_TIMEOUT }} s) and requires
    a held-out NLL per character below {{ ref.LSTM_NLL_THRESHOLD }}.
    """
    # Hidden size CHAR_LSTM_HIDDEN_SIZE; the model is returned in eval mode on the CPU.
    torch.manual_seed(seed)
    model = CharLSTM(len(names), given.n_letters, CHAR_LSTM_HIDDEN_SIZE).to(device)
    losses, _ = train_step_by_step(model, names, n_iters=n_iters, lr=lr, seed=seed,
                                   scheduler_fn=lambda optimizer: None, device=device)
    return model.cpu().eval(), losses
