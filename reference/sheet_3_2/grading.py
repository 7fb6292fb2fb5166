"""Published grading settings and the judge-side evaluations of the two training exercises.

The hidden suite trains the *student's* models with these settings and measures them here, in the
judge, so a submission never reports its own score. The helpers only call ``model(...)``,
``model.init_hidden()`` and ``model.eval()``, so they work on a local module and on a sandbox handle
alike (whose calls return plain data).

Calibration (issue 20; measured on the 2-core development machine, torch 2.13 CPU, one torch thread,
CPU seconds of the training call while other engineers shared the cores; tables in
docs/benchmarks.md, scripts ``benchmarks/lstm_recipes.py`` and ``benchmarks/qa_recipes.py``):

- 3.2.3.1, ``LSTM_SETTINGS``: 300 steps (was 2000) at lr 0.005. Held-out NLL per symbol on seeds 0-2:
  2.70-2.76 for the reference (LSTMCell, hidden 128, about 1.1 CPU-s), 2.68-2.75 for ``nn.LSTM``
  run step by step with hidden 64, 2.74-2.81 with hidden 32 (the slowest learner), 2.69-2.74 for
  gates written with ``nn.Linear``, 2.71-2.74 for LSTMCell 256 with clipping. The threshold 3.0
  (was 2.9 at 2000 steps) leaves every recipe at least 0.18 below it, and stays well below a
  per-symbol unigram model (3.29; uniform is ln 60 = 4.09), so passing still needs a model that
  learned which letters follow which in each language.
- 3.2.3.2, ``QA_SETTINGS``: 600 steps (was 1500) at lr 3e-3 (was 1e-3) on the given ``qa_config``,
  now one layer of width 32 with the exact GELU (was two of width 64 with GPT-2's tanh GELU):
  that model learns the task in fewer examples and costs a quarter per step. Batches of 32 to 64
  reach 0.93-1.00 on seeds 0-2 with Adam or AdamW, with or without a schedule (3.6-4.0 CPU-s for
  32, 5.0-5.3 for 64). The model learns per *example*, not per step: a step costs about the same
  (2.5-4 ms) for any batch up to 32, and batches of 8 stay near chance after 600 steps (4,800
  examples), batches of 16 reach 0.34-0.97. So a model below ``QA_RETRY_BELOW`` (0.8) is trained
  once more from scratch with ``QA_RETRY_STEPS`` = 2400 steps and the better run is graded (the
  judge's evaluation decides whether the second run is needed): batches of 8 and 16 reach 0.79-1.00
  there; the complete notebook (batches of 32) is decided by the first run and pays nothing for it. Hence ``QA_BATCH_RANGE`` = 8 to 64, as
  DESIGN.md section 6 states, which the notebook states and its public check enforces. Batch 1
  stays at chance at either budget (0.10-0.17). Chance is 0.2; the threshold is 0.6.
- Per-call limits: 60 s for the LSTM and 120 s for the QA training, about 30x the slowest allowed
  LSTM recipe and about 12x the slowest allowed QA grading (batches of 8: the first run and the
  2400-step retry, about 10 CPU-s together; more under load), so a busy machine does not fail a
  correct solution.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import torch

from reference.sheet_3_2._given import given
from reference.sheet_3_2.heads import best_span
from reference.sheet_3_2.qa_model import make_extractive_example

#: ``(rtol, atol)`` per kind of number, published in the given module (the public checks read the
#: same table): the hidden tests compare with these, never with a literal of their own
TOLERANCES = given.TOLERANCES
lr_tolerance = given.lr_tolerance

# --- 3.2.3.1 -----------------------------------------------------------------------------------

#: keyword arguments the judge passes to ``train_char_lstm(train_names, **LSTM_SETTINGS, seed=...)``
LSTM_SETTINGS: dict[str, Any] = {"n_iters": 300, "lr": 0.005}
#: a trained model must reach a held-out NLL per predicted symbol (letters and EOS) below this
LSTM_NLL_THRESHOLD = 3.0
#: what a model that predicts uniformly over the 60 symbols gets
UNIFORM_NLL = math.log(given.n_letters)
#: seed of the train/held-out split of the names (made by tests/hidden/sheet_3_2/data/make_data.py)
NAMES_SPLIT_SEED = 0
HELDOUT_NAMES_PER_CATEGORY = 10
#: the judge's held-out data (never released; the sandbox cannot read it)
JUDGE_DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "hidden" / "sheet_3_2" / "data"


def judge_names() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``(train, heldout)``: the students' names file (all of it) and the judge's held-out names.

    Both keyed by the same categories in the same order; they share no name.
    """
    heldout = json.loads((JUDGE_DATA_DIR / "names-heldout.json").read_text(encoding="utf-8"))
    return given.load_names_data(), heldout


def load_judge_qa_data() -> dict[str, list[dict]]:
    """``{"train": <the students' training questions>, "heldout": <the judge's held-out questions>}``."""
    with open(JUDGE_DATA_DIR / "qa_heldout.jsonl", encoding="utf-8") as f:
        heldout = [json.loads(line) for line in f if line.strip()]
    return {"train": given.load_qa_data()["train"], "heldout": heldout}


#: the judge stops feeding held-out names once the NLL so far is this many standard errors away
#: from every threshold it decides (after at least ``NLL_MIN_ROUNDS`` rounds of one name per
#: category); a model near a threshold is measured on every held-out name
NLL_DECISIVE_Z = 4.0
NLL_MIN_ROUNDS = 3


def heldout_rounds(heldout: dict[str, list[str]]) -> list[list[tuple[str, str]]]:
    """The held-out names in rounds of one name per category, so every prefix is balanced."""
    longest = max((len(names) for names in heldout.values()), default=0)
    return [[(category, names[i]) for category, names in heldout.items() if i < len(names)]
            for i in range(longest)]


def _decisive(per_name: list[tuple[float, int]], thresholds: tuple[float, ...]) -> bool:
    """Whether the ratio estimate sum(nll) / sum(symbols) is ``NLL_DECISIVE_Z`` SEs from each threshold."""
    n = len(per_name)
    total = sum(s for s, _ in per_name)
    count = sum(c for _, c in per_name)
    if n < 2 or count == 0:
        return False
    mean = total / count
    spread = sum((s - mean * c) ** 2 for s, c in per_name) / (n - 1)
    standard_error = math.sqrt(spread * n) / count
    return all(abs(mean - t) > NLL_DECISIVE_Z * standard_error for t in thresholds)


def heldout_nll_per_char(model, heldout: dict[str, list[str]], categories: list[str] | None = None,
                         *, decide: tuple[float, ...] = ()) -> float:
    """Mean NLL per predicted symbol (every letter and the EOS) over the held-out names.

    Feeds each name step by step: ``hidden = model.init_hidden()``, then
    ``log_probs, hidden = model(category_row, input_row, hidden)`` for SOS, c1, ..., cn, scoring
    c1, ..., cn, EOS. The state is passed back unchanged (it is opaque to the judge). ``categories``
    fixes the one-hot order (default: ``heldout``'s key order, which ``judge_names`` keeps).

    Without ``decide`` every held-out name is fed. With ``decide`` (the thresholds the caller will
    compare the result with), names are fed in rounds of one per category and the measurement stops
    after a round once the mean so far is decisively on one side of every threshold
    (:data:`NLL_DECISIVE_Z` standard errors, at least :data:`NLL_MIN_ROUNDS` rounds): each name is
    a sandbox round trip per symbol, the larger part of the judge's cost, and a clear pass or fail
    needs only a few rounds. The order is fixed, so the result is deterministic.
    """
    categories = list(heldout) if categories is None else list(categories)
    if hasattr(model, "eval"):
        model.eval()
    per_name: list[tuple[float, int]] = []
    with torch.no_grad():
        for done, round_ in enumerate(heldout_rounds(heldout), start=1):
            for category, name in round_:
                per_name.append(_name_nll(model, given.category_tensor(category, categories), name))
            if decide and done >= NLL_MIN_ROUNDS and _decisive(per_name, tuple(decide)):
                break
    return sum(s for s, _ in per_name) / sum(c for _, c in per_name)


def _name_nll(model, category_row: torch.Tensor, name: str) -> tuple[float, int]:
    """``(summed NLL, number of predicted symbols)`` of one name, fed step by step."""
    hidden = model.init_hidden()
    targets = given.target_indices(name)
    total = 0.0
    for step, row in enumerate(given.input_tensors(name)):
        log_probs, hidden = model(category_row, row, hidden)
        # Renormalise: true log-probabilities are unchanged, while anything else (plain
        # probabilities, raw scores) is scored as the distribution it actually implies
        # and cannot fake a low loss with values above zero.
        log_probs = torch.log_softmax(torch.as_tensor(log_probs, dtype=torch.float64).reshape(-1), 0)
        total -= float(log_probs[int(targets[step])])
    return total, len(targets)


# --- 3.2.3.2 -----------------------------------------------------------------------------------

#: keyword arguments the judge passes to ``train_extractive_qa(train_examples, **QA_SETTINGS, seed=...)``
QA_SETTINGS: dict[str, Any] = {"n_steps": 600, "lr": 3e-3}
#: when the model trained with QA_SETTINGS scores below QA_RETRY_BELOW, the judge trains it once
#: more from scratch with QA_RETRY_STEPS steps (same lr and seed) and grades the better of the two:
#: batches of 32 to 64 score 0.93-1.00 at the first budget, batches of 8 and 16 need about four
#: times the steps (16 lands anywhere in 0.34-0.97 after 600, so a first run just above the
#: threshold is retried too, which keeps every allowed recipe's margin)
QA_RETRY_STEPS = 2400
QA_RETRY_BELOW = 0.8
#: the mini-batch sizes (inclusive) the notebook requires for train_extractive_qa: every recipe with
#: them reaches the threshold at QA_SETTINGS or QA_RETRY_STEPS; batch 1 does not
QA_BATCH_RANGE: tuple[int, int] = (8, 64)
#: per-call time limits (seconds) of the training tests (markers in the hidden suite; the notebook states them)
LSTM_TRAINING_TIMEOUT = 60
QA_TRAINING_TIMEOUT = 120
#: the ``max_length`` of the examples the judge builds (every shipped question fits in 28 tokens)
QA_MAX_LENGTH = 32
#: exact-match span accuracy on held-out questions a trained model must reach (chance is 0.2)
QA_ACCURACY_THRESHOLD = 0.6


def build_qa_examples(items: list[dict], tokenizer, max_length: int = QA_MAX_LENGTH) -> list[dict]:
    """The reference's ``make_extractive_example`` for each ``{"question", "options", "answer_key"}``."""
    return [
        make_extractive_example(item["question"], item["options"], item["answer_key"], tokenizer,
                                max_length=max_length)
        for item in items
    ]


@functools.cache
def judge_qa_examples() -> dict[str, list[dict]]:
    """``build_qa_examples`` of each split of the shipped questions, with the published tokenizer.

    Computed once per grading worker (by :func:`reference.sheet_3_2.warm_judge`, before it forks a
    judge per submission) instead of once per submission: 2,200 examples, about 0.3 s. The examples
    go to the student's code through the wire, which copies them, so a student cannot change the
    judge's copy.
    """
    tokenizer = given.build_qa_tokenizer()
    return {split: build_qa_examples(items, tokenizer) for split, items in load_judge_qa_data().items()}


def qa_predictions(model, examples: list[dict], batch_size: int = 100,
                   max_answer_len: int = 30) -> list[tuple[int, int]]:
    """``best_span`` of each example's logits, padding positions excluded (logit set to -inf)."""
    if hasattr(model, "eval"):
        model.eval()
    spans: list[tuple[int, int]] = []
    with torch.no_grad():
        for first in range(0, len(examples), batch_size):
            chunk = examples[first : first + batch_size]
            input_ids = torch.stack([torch.as_tensor(e["input_ids"]).long() for e in chunk])
            attention_mask = torch.stack([torch.as_tensor(e["attention_mask"]).long() for e in chunk])
            out = model(input_ids=input_ids, attention_mask=attention_mask)
            start = torch.as_tensor(out["start_logits"]).float()
            end = torch.as_tensor(out["end_logits"]).float()
            padding = attention_mask == 0
            start = start.masked_fill(padding, float("-inf"))
            end = end.masked_fill(padding, float("-inf"))
            spans.extend(best_span(s, e, max_answer_len) for s, e in zip(start, end))
    return spans


def qa_exact_match(model, examples: list[dict], batch_size: int = 100) -> float:
    """Fraction of examples whose predicted span is exactly ``(start_positions, end_positions)``."""
    predicted = qa_predictions(model, examples, batch_size)
    hits = sum(
        (s, e) == (int(example["start_positions"]), int(example["end_positions"]))
        for (s, e), example in zip(predicted, examples)
    )
    return hits / len(examples)
