"""Checks several Sheet 3.2 hidden tests share (imported by the test modules; nothing here is a test).

They test behaviour, never spelling: any sequence of numbers is a sequence of numbers, and an LSTM is
recognised by what its state does, not by the name of a module.
"""

from __future__ import annotations

from typing import Any

import torch


def number_list(value: Any, what: str) -> list[float]:
    """``value`` as a list of floats when it is any sequence of numbers; else a failed check.

    The notebook promises only that ``losses[k]`` is a number: a list, a tuple, a 1-D numpy array or
    tensor of Python, numpy or torch scalars all qualify (a bool does not).
    """
    import numpy as np

    if isinstance(value, (torch.Tensor, np.ndarray)):
        if value.ndim != 1 or value.dtype == bool or value.dtype == torch.bool:
            raise AssertionError(f"{what} should be a 1-D sequence of numbers")
        return [float(x) for x in value.tolist()]
    if not isinstance(value, (list, tuple)):
        raise AssertionError(  # noqa: TRY004 - a failed check for the student, not a programming error
            f"{what} should be a sequence of numbers (a list, say), not {type(value).__name__}")
    numbers = []
    for item in value:
        scalar_array = isinstance(item, (torch.Tensor, np.ndarray)) and item.ndim == 0
        if (scalar_array or isinstance(item, np.generic)) and item.dtype not in (bool, torch.bool):
            item = item.item()
        if type(item) not in (int, float):
            raise AssertionError(f"each element of {what} should be a number, not {type(item).__name__}")
        numbers.append(float(item))
    return numbers


#: an LSTM's state is a few tensors (h and c, maybe per layer or nested once); a state with more is
#: not an LSTM's, and pairing every two of thousands of tensors would cost the judge gigabytes
MAX_STATE_TENSORS = 16


def _state_tensors(state: Any, limit: int = MAX_STATE_TENSORS + 1) -> list[torch.Tensor]:
    """The tensors in ``state`` (nested tuples, lists, dict values), at most ``limit`` of them."""
    found: list[torch.Tensor] = []
    stack = [state]
    while stack and len(found) < limit:
        part = stack.pop()
        if isinstance(part, torch.Tensor):
            found.append(part)
        elif isinstance(part, dict):
            stack.extend(reversed(list(part.values())[:limit]))
        elif isinstance(part, (list, tuple)):
            stack.extend(reversed(part[:limit]))
    return found


def lstm_state_pairs(state: Any, what: str = "the state") -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Candidate ``(h, c)`` pairs in an opaque recurrent state: two tensors of one size, or halves of one.

    Bounded by :data:`MAX_STATE_TENSORS`: a state with more tensors fails the check at once.
    """
    tensors = [t for t in _state_tensors(state) if t.is_floating_point()]
    if len(tensors) > MAX_STATE_TENSORS or len(_state_tensors(state)) > MAX_STATE_TENSORS:
        raise AssertionError(
            f"{what} should be an LSTM's state: a few tensors (h and c); the state it returned holds "
            f"more than {MAX_STATE_TENSORS} tensors")
    tensors = [t.detach().double().reshape(-1) for t in tensors]
    pairs = [(a, b) for i, a in enumerate(tensors) for j, b in enumerate(tensors) if i != j and a.numel() == b.numel()]
    pairs += [(t[: t.numel() // 2], t[t.numel() // 2 :]) for t in tensors if t.numel() % 2 == 0]
    pairs += [(c, h) for h, c in pairs]
    return pairs


def assert_lstm_state(state: Any, what: str) -> None:
    """The state behaves like an LSTM's: a hidden state ``h = o * tanh(c)`` beside a cell state ``c``.

    With the output gate ``o`` in (0, 1), every ``|h|`` is at most ``|tanh(c)|`` with ``c``'s sign.
    A GRU or plain RNN has no separate cell state (and ``(h, h)`` fails: ``|tanh(h)| < |h|``).
    Tolerances allow float32 arithmetic; the state must be non-trivial (not all zeros).
    """
    for h, c in lstm_state_pairs(state, what):
        bound = torch.tanh(c).abs()
        if float(c.abs().max()) < 1e-3:
            continue
        fits = (h.abs() <= bound + 1e-5) & ((h * c >= 0) | (h.abs() <= 1e-5))
        if bool(fits.all()) and float(h.abs().max()) > 0:
            return
    raise AssertionError(
        f"{what} should be an LSTM: its state should carry a cell state c beside the hidden state "
        "h = o * tanh(c) (nn.LSTMCell, nn.LSTM run one step at a time, or gates written by hand all "
        "do); no such pair of tensors was found in the state it returned"
    )
