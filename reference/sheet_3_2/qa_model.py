"""Exercise 3.2.3.2: an extractive QA model on a tiny GPT-2, trained on multiple-choice spans."""

from __future__ import annotations

import torch
from torch import nn

from reference.sheet_3_2._given import given
from reference.sheet_3_2.heads import qa_loss
from reference.sheet_3_2.schedules import make_cosine_scheduler

OPTION_LABELS = "ABCDEFGHIJ"
QA_BATCH_SIZE = 32


class ExtractiveQAModel(nn.Module):
    """GPT2ForQuestionAnswering by hand: submodules `transformer` (GPT2Model) and `qa_outputs`.

    qa_outputs is nn.Linear(config.n_embd, 2) with bias. forward(input_ids,
    attention_mask=None, start_positions=None, end_positions=None) returns a plain dict with
    "start_logits" and "end_logits" (each (B, T)) and "loss" (None without positions,
    else qa_loss's value).
    """

    def __init__(self, config) -> None:
        super().__init__()
        from transformers import GPT2Model

        self.config = config
        self.transformer = GPT2Model(config)
        self.qa_outputs = nn.Linear(config.n_embd, 2)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        start_logits, end_logits = self.qa_outputs(hidden).unbind(dim=-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = qa_loss(start_logits, end_logits, start_positions, end_positions)
        return {"loss": loss, "start_logits": start_logits.contiguous(),
                "end_logits": end_logits.contiguous()}


def qa_prompt(question: str, options: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """``"{question} A. {opt A} B. {opt B} ..."`` and each option's character span ``[start, end)``."""
    text = question
    spans = []
    for label, option in zip(OPTION_LABELS, options):
        text += f" {label}. "
        spans.append((len(text), len(text) + len(option)))
        text += option
    return text, spans


def make_extractive_example(
    question: str, options: list[str], answer_key: str, tokenizer, max_length: int = 64
) -> dict[str, torch.Tensor | int]:
    """Build one training example from a multiple-choice question.

    Text: "{question} A. {option A} B. {option B} ..." (options labelled A, B, C, ... in
    order). Return a dict with 1-D tensors input_ids and attention_mask of length max_length
    (padded on the tokenizer's padding side, truncated) and ints start_positions and
    end_positions: the tokens start..end (inclusive) decode to the correct option's text.
    If truncation cuts the answer off, both positions are max_length.
    """
    # The positions are the first and last token overlapping the answer's characters, so that
    # `tokenizer.decode(input_ids[start:end + 1]).strip() == options[answer]`. When truncation
    # removes any part of the answer both positions are `max_length` (ignored by the loss).
    text, spans = qa_prompt(question, list(options))
    char_start, char_end = spans[OPTION_LABELS.index(answer_key)]
    encoded = tokenizer(
        text, max_length=max_length, padding="max_length", truncation=True,
        return_offsets_mapping=True, return_tensors="pt",
    )
    offsets = encoded["offset_mapping"][0].tolist()
    mask = encoded["attention_mask"][0]
    covering = [
        i for i, (lo, hi) in enumerate(offsets)
        if mask[i] and hi > lo and lo < char_end and hi > char_start
    ]
    covered_to = max((offsets[i][1] for i in covering), default=-1)
    if covering and offsets[covering[0]][0] <= char_start and covered_to >= char_end:
        start, end = covering[0], covering[-1]
    else:
        start = end = max_length
    return {
        "input_ids": encoded["input_ids"][0].long(),
        "attention_mask": encoded["attention_mask"][0].long(),
        "start_positions": int(start),
        "end_positions": int(end),
    }


def _stack(examples: list[dict], key: str) -> torch.Tensor:
    return torch.stack([torch.as_tensor(example[key]).long() for example in examples])


def train_extractive_qa(
    examples: list[dict], *, n_steps: int, lr: float, seed: int, device: str = "cpu"
) -> tuple[ExtractiveQAModel, list[float]]:
    """Train ExtractiveQAModel(qa_config) on examples from make_extractive_example; return (model, losses).

    losses[k] is the float loss of step k. Seed everything from `seed`. Each step uses a
    mini-batch of {{ ref.QA_BATCH_RANGE[0] }} to {{ ref.QA_BATCH_RANGE[1] }} examples. Put the model and every batch on
    `device` (the grader passes device="cuda" on its GPU).
    The grader uses n_steps={{ ref.QA_SETTINGS["n_steps"] }}, lr={{ ref.QA_SETTINGS["lr"] }}, examples of max_length={{ ref.QA_MAX_LENGTH }} (at
    most {{ ref.QA_TRAINING_TIMEOUT }} s), and requires an exact-match span accuracy of at least {{ ref.QA_ACCURACY_THRESHOLD:.0% }}
    on held-out questions; a model below {{ ref.QA_RETRY_BELOW:.0% }} is trained once more with
    n_steps={{ ref.QA_RETRY_STEPS }} and the better run counts.
    """
    # AdamW, batches of QA_BATCH_SIZE, the cosine schedule with 10% warm-up and clipping at norm 1;
    # the model is returned in eval mode on the CPU.
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = ExtractiveQAModel(given.make_qa_config()).to(device)
    input_ids = _stack(examples, "input_ids")
    attention_mask = _stack(examples, "attention_mask")
    starts = torch.tensor([int(example["start_positions"]) for example in examples])
    ends = torch.tensor([int(example["end_positions"]) for example in examples])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_steps, warmup_steps=n_steps // 10)
    losses: list[float] = []
    model.train()
    order = torch.randperm(len(examples), generator=generator)
    cursor = 0
    for _ in range(n_steps):
        if cursor + QA_BATCH_SIZE > len(order):
            order, cursor = torch.randperm(len(examples), generator=generator), 0
        batch = order[cursor : cursor + QA_BATCH_SIZE]
        cursor += QA_BATCH_SIZE
        out = model(
            input_ids[batch].to(device), attention_mask[batch].to(device),
            starts[batch].to(device), ends[batch].to(device),
        )
        optimizer.zero_grad()
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(float(out["loss"].item()))
    return model.cpu().eval(), losses
