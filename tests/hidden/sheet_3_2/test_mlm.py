"""Exercise "mlm": mask_tokens, tokenize_for_mlm and make_mlm_collator.

Masking is random, so it is graded by statistics: fixed inputs large enough that every rate can be
checked within five standard deviations (a correct solution fails with probability about 1e-6 per
check, and the judge's seeds make each grade reproducible). "Chosen" positions are those whose label
is not -100; the tests check that this agrees with what happened to the inputs.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograder.judge.compare import assert_close, assert_tensor

EXERCISE = "mlm"

VOCAB = 1000
MASK_ID = 4
FIRST_REGULAR = 5  # ids 0-4 play the special tokens; inputs never contain the mask id
SIGMAS = 5.0


def within(observed: float, p: float, n: int) -> bool:
    """Is a frequency from ``n`` Bernoulli(``p``) trials within SIGMAS standard deviations of ``p``?"""
    return abs(observed - p) <= SIGMAS * math.sqrt(p * (1 - p) / n) + 1e-12


def batch(rows: int = 200, cols: int = 200, special_rate: float = 0.1, seed: int = 0):
    """Random regular ids with special positions (first and last column, plus random ones)."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(FIRST_REGULAR, VOCAB, (rows, cols), generator=gen)
    special = torch.rand(rows, cols, generator=gen) < special_rate
    special[:, 0] = special[:, -1] = True
    ids[:, 0], ids[:, -1] = 2, 3  # [CLS] ... [SEP]
    return ids, special


def masked(student, ids, special, p, generator=None):
    kwargs = {"mask_token_id": MASK_ID, "vocab_size": VOCAB, "mlm_probability": p}
    if generator is not None:
        kwargs["generator"] = generator
    result = student.mask_tokens(ids, special, **kwargs)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "mask_tokens should return a tuple (inputs, labels)"
    )
    inputs, labels = result
    for name, value in (("inputs", inputs), ("labels", labels)):
        assert_tensor(value, shape=tuple(ids.shape), dtype=torch.int64,
                      msg=f"mask_tokens should return {name} as an int64 tensor shaped like input_ids")
    return inputs, labels


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_returns_int64_inputs_and_labels(student):
    ids, special = batch(8, 16)
    _, labels = masked(student, ids, special, 0.5)
    assert ((labels == -100) | (labels == ids)).all(), (
        "labels should hold the original id at chosen positions and -100 everywhere else"
    )


@pytest.mark.points(3)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_chooses_at_the_requested_rate(student):
    ids, special = batch(seed=1)
    regular = int((~special).sum())
    for p in (0.15, 0.5, 0.9):
        _, labels = masked(student, ids, special, p)
        rate = float(((labels != -100) & ~special).sum()) / regular
        assert within(rate, p, regular), (
            f"with mlm_probability={p}, each non-special position should be chosen with that "
            "probability (chosen positions are those whose label is not -100)"
        )


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_never_chooses_special_tokens(student):
    ids, special = batch(100, 100, special_rate=0.3, seed=2)
    for mask in (special, special.long()):  # a bool mask and a 0/1 mask, as tokenizers return
        inputs, labels = masked(student, ids, mask, 0.9)
        assert (labels[special] == -100).all() and torch.equal(inputs[special], ids[special]), (
            "special tokens must never be chosen: their label stays -100 and their id unchanged "
            "(special_tokens_mask may be bool or 0/1 integers)"
        )
        assert (labels[~special] != -100).any(), (
            "with a 0/1 special_tokens_mask, the non-special positions (0) should still be chosen"
        )


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_labels_mark_exactly_the_chosen_positions(student):
    ids, special = batch(seed=3)
    inputs, labels = masked(student, ids, special, 0.3)
    chosen = labels != -100
    assert torch.equal(labels[chosen], ids[chosen]), (
        "labels should hold the original id at every chosen position"
    )
    assert torch.equal(inputs[~chosen], ids[~chosen]), (
        "positions that were not chosen (label -100) must keep their original id"
    )
    assert ((inputs != ids) <= chosen).all(), "only chosen positions may change"


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_80_10_10_split(student):
    ids, special = batch(seed=4)
    inputs, labels = masked(student, ids, special, 0.5)
    chosen = labels != -100
    n = int(chosen.sum())
    assert n > 0, "mask_tokens chose no position at all"
    new = inputs[chosen]
    old = ids[chosen]
    to_mask = float((new == MASK_ID).sum()) / n
    kept = float((new == old).sum()) / n
    # a random id may itself be the mask id or the original id (probability 1/VOCAB each)
    assert within(to_mask, 0.8 + 0.1 / VOCAB, n), (
        "about 80% of the chosen positions should become mask_token_id"
    )
    assert within(kept, 0.1 + 0.1 / VOCAB, n), (
        "about 10% of the chosen positions should keep their original id"
    )
    replaced = new[(new != MASK_ID) & (new != old)]
    assert ((replaced >= 0) & (replaced < VOCAB)).all(), (
        "random replacements should be ids in [0, vocab_size)"
    )
    k = replaced.numel()
    mean, sd = (VOCAB - 1) / 2, VOCAB / math.sqrt(12 * max(k, 1))
    assert k > 0 and abs(float(replaced.double().mean()) - mean) <= SIGMAS * sd, (
        "random replacements should be drawn uniformly from [0, vocab_size)"
    )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_mask_tokens_same_generator_seed_same_output(student):
    ids, special = batch(20, 50, seed=5)
    first = masked(student, ids, special, 0.3, student.make("generator", seed=11))
    again = masked(student, ids, special, 0.3, student.make("generator", seed=11))
    other = masked(student, ids, special, 0.3, student.make("generator", seed=12))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1]), (
        "two generators with the same seed should give the same inputs and labels: draw every "
        "random number from `generator`"
    )
    assert not (torch.equal(first[0], other[0]) and torch.equal(first[1], other[1])), (
        "generators with different seeds should give different masks"
    )


# --- tokenize_for_mlm ---------------------------------------------------------------------------

TEXTS = [
    "The doctor eats a grape.",
    "",
    ("Every morning the teacher keeps a drill in the back of the taxi, and every evening the "
     "scooter stopped because a tiger was on the road near the farm."),
    "A tiger.",
]


def tokenized(student, max_length: int):
    out = student.tokenize_for_mlm(TEXTS, student.make("mlm_tokenizer"), max_length=max_length)
    assert isinstance(out, dict) and {"input_ids", "attention_mask"} <= set(out), (
        "tokenize_for_mlm should return a dict with 'input_ids' and 'attention_mask'"
    )
    for key in ("input_ids", "attention_mask"):
        assert_tensor(out[key], shape=(len(TEXTS), max_length), dtype=torch.int64,
                      msg=f"{key} should be an int64 tensor of shape (len(texts), max_length)")
    return out


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_tokenize_for_mlm_pads_and_truncates(student, mlm_tokenizer):
    for max_length in (12, 20):
        out = tokenized(student, max_length)
        not_pad = (out["input_ids"] != mlm_tokenizer.pad_token_id).long()
        assert torch.equal(out["attention_mask"], not_pad), (
            "the attention mask should be 0 exactly on padding and 1 on every real token"
        )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_tokenize_for_mlm_matches_the_tokenizer(student, mlm_tokenizer):
    for max_length in (12, 20):
        out = tokenized(student, max_length)
        want = mlm_tokenizer(TEXTS, padding="max_length", truncation=True, max_length=max_length,
                             return_tensors="pt")
        assert torch.equal(out["input_ids"], want["input_ids"].long()), (
            "input_ids should be the tokenizer's own encoding ([CLS] ... [SEP]) padded with [PAD] "
            "and truncated to max_length"
        )


# --- make_mlm_collator --------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_mlm_collator_masks_at_the_rate_and_spares_special_tokens(student, given, mlm_tokenizer):
    corpus = (given.DATA_DIR / "mlm_corpus.txt").read_text(encoding="utf-8").splitlines()
    texts = [line for line in corpus if line.strip()]
    tokenizer = student.make("mlm_tokenizer")
    p = 0.3
    collator = student.make_mlm_collator(tokenizer, p)
    encoded = tokenizer(texts, truncation=True, max_length=32)
    examples = [{"input_ids": ids} for ids in encoded["input_ids"]]
    out = collator(examples)
    assert isinstance(out, dict) and {"input_ids", "labels"} <= set(out), (
        "the collator should return a batch with 'input_ids' and 'labels'"
    )
    width = max(len(ids) for ids in encoded["input_ids"])
    original = torch.tensor([ids + [mlm_tokenizer.pad_token_id] * (width - len(ids))
                             for ids in encoded["input_ids"]])
    inputs, labels = out["input_ids"], out["labels"]
    assert_tensor(labels, shape=tuple(original.shape),
                  msg="the collator's labels should be (batch, longest example) like its input_ids")
    special = torch.isin(original, torch.tensor(mlm_tokenizer.all_special_ids))
    chosen = labels != -100
    assert not (chosen & special).any(), "the collator must never mask [CLS], [SEP] or [PAD]"
    assert torch.equal(labels[chosen], original[chosen]), (
        "the collator's labels should hold the original ids of the masked positions"
    )
    n = int((~special).sum())
    rate = float((chosen & ~special).sum()) / n
    assert within(rate, p, n), "the collator should choose tokens with the requested mlm_probability"
    assert_close(float((inputs[chosen] == mlm_tokenizer.mask_token_id).float().mean()), 0.8,
                 atol=0.1, msg="most chosen positions should become [MASK] in the collator's input_ids")
