"""The Sheet 3.2 judge's work on a student's recurrent state is bounded by what makes sense (issue 19, item 12).

``lstm_state_pairs`` used to pair every two equal-size tensors of the state a student's
``CharLSTM`` returned: 8000 one-element tensors made 64 million pairs and 2 GB in the judge. A
state with more tensors than an LSTM's fails the check at once, with a message saying why.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

CHECKS = Path(__file__).resolve().parents[1] / "hidden" / "sheet_3_2" / "sheet_checks.py"


def sheet_checks():
    spec = importlib.util.spec_from_file_location("sheet_checks_under_test", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_absurd_state_fails_with_a_clear_message_without_pairing_its_tensors():
    checks = sheet_checks()
    state = tuple(torch.full((1,), 0.5) for _ in range(8000))
    with pytest.raises(AssertionError, match=r"more than \d+ tensors"):
        checks.assert_lstm_state(state, "CharLSTM")


def test_a_deeply_nested_absurd_state_is_refused_too():
    checks = sheet_checks()
    state = [[torch.full((1,), 0.5)] * 100 for _ in range(100)]
    with pytest.raises(AssertionError, match=r"more than \d+ tensors"):
        checks.lstm_state_pairs(state)


@pytest.mark.parametrize("layout", ["tuple", "nn.LSTM", "dict", "one tensor"])
def test_real_lstm_states_still_pass(layout):
    checks = sheet_checks()
    cell = torch.nn.LSTMCell(4, 6)
    torch.manual_seed(0)
    h, c = cell(torch.randn(1, 4) * 3)
    h, c = h.detach(), c.detach()
    state = {"tuple": (h, c), "nn.LSTM": (h[None], c[None]), "dict": {"h": h, "c": c},
             "one tensor": torch.cat([h, c], dim=1)}[layout]
    checks.assert_lstm_state(state, "CharLSTM")
