"""Exercise 3.2.1.2: the fox answer span, best_span and the extractive-QA loss.

``best_span`` is checked on hypothesis-drawn logits: first that the span is valid and scores as
high as the best valid span (any tie-breaking), then, on inputs full of ties, that ties go to the
smallest start and then the smallest end. Logits lie on a grid of eighths so sums are exact in any
float type. ``qa_loss`` is compared with ``GPT2ForQuestionAnswering``'s own loss.
"""

from __future__ import annotations

import functools

import pytest
import torch
from hypothesis import given as draw_examples
from hypothesis import settings
from hypothesis import strategies as st
from transformers import GPT2Config, GPT2ForQuestionAnswering

import reference.sheet_3_2.grading as ref_settings
from autograder.judge.compare import assert_close, assert_tensor

EXERCISE = "3.2.1.2"
PROFILE = "sheet_3_2"
#: losses are compared with the published tolerance (the public check uses it too)
LOSS_RTOL, LOSS_ATOL = ref_settings.TOLERANCES["loss"]


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_fox_answer_span(student):
    span = student.FOX_ANSWER_SPAN
    assert isinstance(span, (tuple, list)) and len(span) == 2 and all(
        type(i) is int for i in span
    ), "FOX_ANSWER_SPAN should be a tuple of two ints (start, end)"
    assert tuple(span) in {(6, 9), (7, 9)}, (
        "FOX_ANSWER_SPAN should hold the inclusive word indices (counting from 0) of the answer to "
        "'Who did the fox jump over?' in the split sentence"
    )


# --- best_span ----------------------------------------------------------------------------------


@st.composite
def span_problems(draw, values, max_len: int, max_answer: int):
    length = draw(st.integers(1, max_len))
    start = draw(st.lists(values, min_size=length, max_size=length))
    end = draw(st.lists(values, min_size=length, max_size=length))
    max_answer_len = draw(st.none() | st.integers(1, max_answer))
    return start, end, max_answer_len


def call_best_span(student, start, end, max_answer_len):
    kwargs = {} if max_answer_len is None else {"max_answer_len": max_answer_len}
    return student.best_span(torch.tensor(start), torch.tensor(end), **kwargs)


def as_pair(span) -> tuple[int, int]:
    assert isinstance(span, (tuple, list)) and len(span) == 2, (
        "best_span should return a tuple (start, end)"
    )
    try:
        return int(span[0]), int(span[1])
    except (TypeError, ValueError, RuntimeError):
        raise AssertionError("best_span should return two integer positions") from None


EIGHTHS = st.integers(-80, 80).map(lambda k: k / 8)


@pytest.mark.points(3)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=40)
@draw_examples(problem=span_problems(EIGHTHS, max_len=40, max_answer=35))
def test_best_span_finds_a_best_valid_span(ref, student, problem):
    start, end, max_answer_len = problem
    s, e = as_pair(call_best_span(student, start, end, max_answer_len))
    limit = 30 if max_answer_len is None else max_answer_len
    assert 0 <= s <= e < len(start) and e < s + limit, (
        "best_span should return a span with 0 <= start <= end < T and end < start + max_answer_len "
        "(the default max_answer_len is 30)"
    )
    rs, re = ref.best_span(torch.tensor(start), torch.tensor(end), max_answer_len=limit)
    assert start[s] + end[e] == start[rs] + end[re], (
        "best_span should return the valid span with the highest start_logits[s] + end_logits[e]"
    )


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=40)
@draw_examples(problem=span_problems(st.integers(-2, 2).map(float), max_len=12, max_answer=6))
def test_best_span_breaks_ties_by_smallest_start_then_end(ref, student, problem):
    start, end, max_answer_len = problem
    got = as_pair(call_best_span(student, start, end, max_answer_len))
    limit = 30 if max_answer_len is None else max_answer_len
    want = ref.best_span(torch.tensor(start), torch.tensor(end), max_answer_len=limit)
    assert got == tuple(want), (
        "when several valid spans share the best score, best_span should return the one with the "
        "smallest start, and among those the smallest end"
    )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_best_span_returns_python_ints(student):
    span = student.best_span(torch.tensor([0.1, 2.0, -1.0, 0.5]), torch.tensor([0.0, 0.3, 1.5, 0.2]))
    assert isinstance(span, tuple) and len(span) == 2 and all(type(i) is int for i in span), (
        "best_span should return a tuple of two Python ints (use int(...) on tensor indices)"
    )


# --- qa_loss ------------------------------------------------------------------------------------


@functools.cache
def hf_qa() -> GPT2ForQuestionAnswering:
    config = GPT2Config(vocab_size=40, n_positions=16, n_embd=16, n_layer=1, n_head=2,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0,
                        eos_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(17)
        return GPT2ForQuestionAnswering(config).eval()


def check_qa_loss(student, starts: list[int], ends: list[int], shape: tuple[int, ...], msg: str):
    ids = torch.randint(0, 40, (len(starts), 10), generator=torch.Generator().manual_seed(len(starts)))
    start_positions = torch.tensor(starts).reshape(shape)
    end_positions = torch.tensor(ends).reshape(shape)
    with torch.no_grad():
        out = hf_qa()(ids, start_positions=start_positions, end_positions=end_positions)
    got = student.qa_loss(out.start_logits, out.end_logits, start_positions, end_positions)
    assert_tensor(got, shape=(), msg="qa_loss should return a scalar tensor")
    assert_close(got, out.loss, rtol=LOSS_RTOL, atol=LOSS_ATOL, msg=msg)


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_qa_loss_matches_gpt2_for_question_answering(student):
    check_qa_loss(student, [0, 3, 7, 9, 2], [1, 3, 9, 9, 4], (5,),
                  "qa_loss should be the mean of the start and end cross-entropies, as "
                  "GPT2ForQuestionAnswering computes its loss")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_qa_loss_ignores_positions_beyond_the_sequence(student):
    check_qa_loss(student, [2, 10, 15, 4, 100], [5, 10, 10, 40, 6], (5,),
                  "qa_loss should clamp positions to [0, T] and ignore T (answers cut off by "
                  "truncation), as GPT2ForQuestionAnswering does")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_qa_loss_accepts_positions_of_shape_b_1(student):
    check_qa_loss(student, [1, 4, 8, 0], [2, 6, 9, 0], (4, 1),
                  "qa_loss should accept start/end positions of shape (B, 1) as well as (B,)")
