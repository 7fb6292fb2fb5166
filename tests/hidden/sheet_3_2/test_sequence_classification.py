"""Exercise 3.2.1.1: the sequence-classification head, last-token pooling and the loss.

Every expectation comes from ``GPT2ForSequenceClassification`` itself on a tiny random model: its
``score`` layer, its pooled logits and its loss. The per-position logits handed to the student are
``score(transformer(ids))``, exactly what the HF model pools.
"""

from __future__ import annotations

import functools

import pytest
import torch
from transformers import GPT2Config, GPT2ForSequenceClassification

import reference.sheet_3_2.grading as ref_settings
from autograder.judge.compare import assert_close, assert_tensor

EXERCISE = "3.2.1.1"
#: pooled logits are compared with the published tolerance (the public check uses it too)
POOL_RTOL, POOL_ATOL = ref_settings.TOLERANCES["logits"]
VOCAB = 40
PAD = 7  # also used as a real token inside some rows, as GPT-2's pad = eos is
SEQ = 9


@functools.cache
def hf_classifier(num_labels: int, pad_token_id: int | None) -> GPT2ForSequenceClassification:
    config = GPT2Config(
        vocab_size=VOCAB, n_positions=16, n_embd=16, n_layer=1, n_head=2, num_labels=num_labels,
        pad_token_id=pad_token_id, bos_token_id=0, eos_token_id=0,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(321 + num_labels)
        return GPT2ForSequenceClassification(config).eval()


def per_position_logits(model: GPT2ForSequenceClassification, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.score(model.transformer(ids).last_hidden_state)


def hf_forward(model: GPT2ForSequenceClassification, ids: torch.Tensor, **kwargs):
    """(per-position logits, HF's output) for ``ids``."""
    with torch.no_grad():
        return per_position_logits(model, ids), model(ids, **kwargs)


def rows(*specs: tuple[str, int], seed: int = 0) -> torch.Tensor:
    """Rows of length SEQ: ``("right", n)`` n tokens then padding, ``("left", n)`` padding then n
    tokens, ``("inner", n)`` n tokens with PAD inside them then right padding, ``("inner-left", n)``
    the same on the left, ``("pad", 0)`` all padding. Tokens other than PAD are drawn at random."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for kind, n in specs:
        tokens = torch.randint(PAD + 1, VOCAB, (n,), generator=gen)
        if kind.startswith("inner"):
            tokens[1 : n - 1 : 2] = PAD  # pad ids inside the text, never the last real token
        padding = torch.full((SEQ - n,), PAD)
        out.append(torch.cat([padding, tokens]) if kind.endswith("left") else torch.cat([tokens, padding]))
    return torch.stack(out).long()


def check_pooling(student, ids: torch.Tensor, num_labels: int, msg: str) -> None:
    model = hf_classifier(num_labels, PAD)
    full, out = hf_forward(model, ids)
    got = student.pool_last_token(full, ids, PAD)
    assert_tensor(got, shape=(ids.shape[0], num_labels),
                  msg="pool_last_token should return one row of logits per sequence: (B, num_labels)")
    assert_close(got, out.logits, rtol=POOL_RTOL, atol=POOL_ATOL, msg=msg)


# --- the head -----------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_head_holds_one_bias_free_weight(student):
    for hidden_size, num_labels in [(16, 3), (24, 1), (8, 5)]:
        head = student.sequence_classification_head(hidden_size, num_labels)
        state = head.state_dict()
        shapes = [tuple(v.shape) for v in state.values() if isinstance(v, torch.Tensor)]
        assert len(state) == 1 and shapes == [(num_labels, hidden_size)], (
            "sequence_classification_head(hidden_size, num_labels) should hold exactly one tensor in "
            "its state_dict: a bias-free weight of shape (num_labels, hidden_size), like GPT-2's `score`"
        )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_head_with_gpt2_score_weight_gives_gpt2_logits(student):
    for num_labels in (3, 1):
        model = hf_classifier(num_labels, PAD)
        head = student.sequence_classification_head(16, num_labels)
        keys = list(head.state_dict().keys())
        assert len(keys) == 1, (
            "sequence_classification_head should hold a single weight (no bias), like GPT-2's `score`"
        )
        head.load_state_dict({keys[0]: model.score.weight.detach().clone()})
        ids = rows(("right", 6), ("left", 9), seed=num_labels)
        with torch.no_grad():
            hidden = model.transformer(ids).last_hidden_state
            want = model.score(hidden)
        got = head(hidden)
        assert_close(got, want, rtol=1e-5, atol=1e-6,
                     msg="after loading GPT-2's `score` weight, the head should give the same logits "
                         "as GPT2ForSequenceClassification's score layer (a linear map without bias)")


# --- pooling ------------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_pool_last_token_right_padding(student):
    ids = rows(("right", 3), ("right", 9), ("right", 1), ("right", 5), seed=1)
    check_pooling(student, ids, 3, "with right padding, pool_last_token should pick each row's last "
                                   "non-padding token, as GPT2ForSequenceClassification does")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_pool_last_token_left_padding(student):
    ids = rows(("left", 3), ("left", 9), ("left", 1), ("left", 6), seed=2)
    check_pooling(student, ids, 2, "with left padding, pool_last_token should pick each row's last "
                                   "position (the rightmost non-padding token), as GPT-2 does")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_pool_last_token_pad_id_inside_text(student):
    ids = rows(("inner", 7), ("inner-left", 6), ("inner", 9), ("right", 4), seed=3)
    check_pooling(student, ids, 3, "when the pad id also occurs inside the text (GPT-2's pad is its "
                                   "eos), pool_last_token should still pick the rightmost non-pad "
                                   "token, not the token before the first pad")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_pool_last_token_all_padding_row(student):
    ids = rows(("pad", 0), ("right", 4), ("pad", 0), ("left", 2), seed=4)
    check_pooling(student, ids, 2, "a row that is all padding should pool position 0, as "
                                   "GPT2ForSequenceClassification does")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_pool_last_token_without_pad_id(student):
    msg = "with pad_token_id=None, pool_last_token should pool the last position of every row"
    model = hf_classifier(3, None)
    ids = rows(("right", 5), ("left", 4), ("right", 9), seed=5)
    for row in ids:  # HF's model pools without a pad id only for a batch of one
        full, out = hf_forward(model, row[None])
        assert_close(student.pool_last_token(full, row[None], None), out.logits,
                     rtol=POOL_RTOL, atol=POOL_ATOL, msg=msg)
    full = per_position_logits(model, ids)
    got = student.pool_last_token(full, ids, None)
    assert_tensor(got, shape=(3, 3), msg="pool_last_token should return (B, num_labels)")
    assert_close(got, full[:, -1], rtol=POOL_RTOL, atol=POOL_ATOL, msg=msg)


# --- the loss -----------------------------------------------------------------------------------


def check_loss(student, num_labels: int, problem_type: str, labels: torch.Tensor, msg: str) -> None:
    model = hf_classifier(num_labels, PAD)
    model.config.problem_type = problem_type
    try:
        ids = rows(("right", 5), ("left", 7), ("inner", 8), ("right", 2), ("left", 9), seed=6)
        _, out = hf_forward(model, ids, labels=labels)
    finally:
        model.config.problem_type = None
    got = student.sequence_classification_loss(out.logits, labels, problem_type)
    assert_tensor(got, shape=(), msg="sequence_classification_loss should return a scalar tensor")
    assert_close(got, out.loss, rtol=1e-5, atol=1e-6, msg=msg)


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_loss_regression(student):
    gen = torch.Generator().manual_seed(7)
    check_loss(student, 1, "regression", torch.randn(5, generator=gen),
               "for regression with one label the loss should be the MSE of the squeezed logits "
               "and labels, as GPT2ForSequenceClassification computes it")
    check_loss(student, 1, "regression", torch.randn(5, 1, generator=gen),
               "for regression with labels of shape (B, 1) the loss should be GPT-2's MSE")
    check_loss(student, 3, "regression", torch.randn(5, 3, generator=gen),
               "for regression with several outputs the loss should be the MSE over all of them")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_loss_single_label_classification(student):
    labels = torch.tensor([0, 3, 1, 2, 3])
    check_loss(student, 4, "single_label_classification", labels,
               "for single-label classification the loss should be the cross-entropy of the pooled "
               "logits and the int64 labels, as GPT2ForSequenceClassification computes it")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_loss_multi_label_classification(student):
    labels = torch.tensor([[1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 1, 0, 1]])
    check_loss(student, 4, "multi_label_classification", labels.float(),
               "for multi-label classification the loss should be binary cross-entropy with logits "
               "on float labels, as GPT2ForSequenceClassification computes it")
