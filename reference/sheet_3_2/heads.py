"""Exercises 3.2.1.1-3.2.1.3: classification heads, extractive QA spans and choosing a head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# --- 3.2.1.1 sequence classification head ------------------------------------------------------


def sequence_classification_head(hidden_size: int, num_labels: int) -> nn.Module:
    """Return GPT-2's sequence classification head: a single bias-free linear map.

    Its state_dict holds exactly one tensor, a weight of shape (num_labels, hidden_size), so
    that GPT2ForSequenceClassification's `score.weight` can be loaded into it and gives the
    same logits.
    """
    # The same layer as GPT2ForSequenceClassification's `score`.
    return nn.Linear(hidden_size, num_labels, bias=False)


def pool_last_token(
    logits: torch.Tensor, input_ids: torch.Tensor, pad_token_id: int | None
) -> torch.Tensor:
    """Pool per-position logits (B, T, num_labels) to (B, num_labels) as GPT-2 does.

    Row b keeps logits[b, i_b], where i_b is the rightmost position whose id in input_ids
    (B, T) is not pad_token_id (pad ids may also appear inside the text); a row that is all
    padding keeps position 0; if pad_token_id is None every row keeps its last position.
    """
    # As GPT-2 does: the argmax of `position * is_real` is the rightmost real token of each row,
    # and 0 for a row that is all padding.
    batch = torch.arange(logits.shape[0], device=logits.device)
    if pad_token_id is None:
        return logits[batch, -1]
    not_pad = (input_ids != pad_token_id).to(logits.device, torch.long)
    positions = torch.arange(input_ids.shape[-1], device=logits.device)
    last = (positions * not_pad).argmax(dim=-1)
    return logits[batch, last]


def sequence_classification_loss(
    pooled_logits: torch.Tensor, labels: torch.Tensor, problem_type: str
) -> torch.Tensor:
    """Return GPT2ForSequenceClassification's loss (a scalar tensor) for problem_type.

    "regression": MSE (squeeze both sides when there is one label);
    "single_label_classification": cross-entropy with int64 labels (B,);
    "multi_label_classification": BCE with logits, float labels (B, num_labels).
    """
    num_labels = pooled_logits.shape[-1]
    if problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(pooled_logits.squeeze(), labels.squeeze().to(pooled_logits.dtype))
        return F.mse_loss(pooled_logits, labels.to(pooled_logits.dtype))
    if problem_type == "single_label_classification":
        return F.cross_entropy(pooled_logits.view(-1, num_labels), labels.view(-1).long())
    if problem_type == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(pooled_logits, labels.to(pooled_logits.dtype))
    raise ValueError(f"unknown problem_type {problem_type!r}")


# --- 3.2.1.2 extractive QA ---------------------------------------------------------------------

# "The quick brown fox jumped over the lazy brown dog. Who did the fox jump over?".split()
#   0    1     2     3     4     5    6   7    8     9

# (start, end), inclusive word indices (from 0) into the split sentence above
FOX_ANSWER_SPAN: tuple[int, int] = (6, 9)


def best_span(
    start_logits: torch.Tensor, end_logits: torch.Tensor, max_answer_len: int = 30
) -> tuple[int, int]:
    """Return (s, e) maximising start_logits[s] + end_logits[e] over s <= e < s + max_answer_len.

    start_logits and end_logits are 1-D tensors of the same length. Ties go to the smallest s,
    then the smallest e. Return a tuple of two Python ints.
    """
    # Ties: `argmax` returns the first maximum of the row-major flattened score table, i.e. the
    # smallest `s`, then the smallest `e`.
    start = torch.as_tensor(start_logits).flatten()
    end = torch.as_tensor(end_logits).flatten()
    length = start.shape[0]
    scores = start[:, None] + end[None, :]
    offset = torch.arange(length)[None, :] - torch.arange(length)[:, None]  # e - s
    valid = (offset >= 0) & (offset < max_answer_len)
    scores = scores.masked_fill(~valid, float("-inf"))
    flat = int(torch.argmax(scores).item())
    return flat // length, flat % length


def qa_loss(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor,
    end_positions: torch.Tensor,
) -> torch.Tensor:
    """Return GPT2ForQuestionAnswering's loss (a scalar tensor).

    Logits are (B, T); positions are int64 of shape (B,) or (B, 1). Clamp positions to [0, T],
    ignore the index T, and average the start and end cross-entropies.
    """
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    ignored = start_logits.shape[1]
    start_positions = start_positions.to(start_logits.device).long().clamp(0, ignored)
    end_positions = end_positions.to(end_logits.device).long().clamp(0, ignored)
    start_loss = F.cross_entropy(start_logits, start_positions, ignore_index=ignored)
    end_loss = F.cross_entropy(end_logits, end_positions, ignore_index=ignored)
    return (start_loss + end_loss) / 2


# --- 3.2.1.3 choosing a head -------------------------------------------------------------------

# keys: "pos_tagging", "sentiment_classification", "summarization", "multiple_choice_qa", "translation"
HEAD_FOR_TASK: dict[str, str] = {
    "pos_tagging": "GPT2ForTokenClassification",
    "sentiment_classification": "GPT2ForSequenceClassification",
    "summarization": "GPT2LMHeadModel",
    "multiple_choice_qa": "GPT2DoubleHeadsModel",
    "translation": "GPT2LMHeadModel",
}

# What the hidden suite accepts for each task (published in the notebook's prose as well).
ACCEPTED_HEADS: dict[str, frozenset[str]] = {
    "pos_tagging": frozenset({"GPT2ForTokenClassification"}),
    "sentiment_classification": frozenset({"GPT2ForSequenceClassification"}),
    "summarization": frozenset({"GPT2LMHeadModel"}),
    "multiple_choice_qa": frozenset({"GPT2DoubleHeadsModel", "GPT2ForSequenceClassification"}),
    "translation": frozenset({"GPT2LMHeadModel"}),
}
