"""Exercise 3.2.3.1: the character-level LSTM name generator.

The structure is checked on a fresh ``CharLSTM``; the training grade is the held-out NLL per
predicted symbol that the judge measures itself (``ref.heldout_nll_per_char``: it feeds each
held-out name step by step through the student's model, passing the opaque state back unchanged).
The student trains on the judge's training split with the published ``ref.LSTM_SETTINGS``.
"""

from __future__ import annotations

import math

import pytest
import torch
from sheet_checks import assert_lstm_state, number_list

import reference.sheet_3_2.grading as ref_settings
from autograder.judge.compare import assert_close, assert_tensor
from autograder.judge.testing import safe_message

EXERCISE = "3.2.3.1"
#: how far the exponentials of log-probabilities may sum from 1 (published; the public check uses it too)
PROB_RTOL, PROB_ATOL = ref_settings.TOLERANCES["probability_sum"]
HIDDEN = 32


def rows(given, categories: list[str], category: str, letter: str):
    return given.category_tensor(category, categories), given.one_hot(given.letter_index(letter),
                                                                      given.n_letters)


def fresh_model(student, names_data, given):
    model = student.CharLSTM(len(names_data), given.n_letters, HIDDEN)
    model.eval()
    return model


def step(model, category_row, input_row, hidden):
    result = model(category_row, input_row, hidden)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "CharLSTM.forward(category, input, hidden) should return (log_probs, new_hidden)"
    )
    return result


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_char_lstm_step_returns_one_row_of_log_probs(student, names_data, given):
    categories = list(names_data)
    model = fresh_model(student, names_data, given)
    log_probs, _ = step(model, *rows(given, categories, "German", "a"), model.init_hidden())
    assert_tensor(log_probs, shape=(1, given.n_letters),
                  msg="CharLSTM.forward should return log-probabilities of shape (1, n_letters)")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_char_lstm_outputs_are_log_probabilities(student, names_data, given):
    categories = list(names_data)
    model = fresh_model(student, names_data, given)
    hidden = model.init_hidden()
    for letter in "Kim":
        log_probs, hidden = step(model, *rows(given, categories, "Korean", letter), hidden)
        probs = torch.as_tensor(log_probs).double().exp()
        assert_close(float(probs.sum()), 1.0, rtol=PROB_RTOL, atol=PROB_ATOL,
                     msg="CharLSTM.forward should return log-probabilities (log_softmax): their "
                         "exponentials should sum to 1")


def state_after(model, given, categories: list[str], category: str, text: str):
    """The state after feeding SOS and ``text`` (one letter per step) from a fresh ``init_hidden()``."""
    hidden = model.init_hidden()
    cat_row = given.category_tensor(category, categories)
    for row in given.input_tensors(text):
        _, hidden = step(model, cat_row, row, hidden)
    return hidden


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_char_lstm_contains_an_lstm(student, names_data, given):
    categories = list(names_data)
    model = fresh_model(student, names_data, given)
    for category, text in (("German", "Bach"), ("Japanese", "Sato")):
        assert_lstm_state(state_after(model, given, categories, category, text), "CharLSTM")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_char_lstm_state_carries_the_past(student, names_data, given):
    categories = list(names_data)
    model = fresh_model(student, names_data, given)
    cat_row, a_row = rows(given, categories, "Italian", "a")
    sos = given.one_hot(given.SOS_INDEX, given.n_letters)
    fresh, _ = step(model, cat_row, a_row, model.init_hidden())
    again, _ = step(model, cat_row, a_row, model.init_hidden())
    assert_close(again, fresh, rtol=1e-5, atol=1e-6,
                 msg="in eval mode, the same input and a fresh init_hidden() should give the same "
                     "output")
    _, after_sos = step(model, cat_row, sos, model.init_hidden())
    carried, _ = step(model, cat_row, a_row, after_sos)
    assert not torch.allclose(torch.as_tensor(carried), torch.as_tensor(fresh), atol=1e-6), (
        "the state returned by forward should carry information to the next step (the output "
        "after SOS then 'a' should differ from 'a' on a fresh state)"
    )
    other_cat, _ = rows(given, categories, "Greek", "a")
    other, _ = step(model, other_cat, a_row, model.init_hidden())
    assert not torch.allclose(torch.as_tensor(other), torch.as_tensor(fresh), atol=1e-6), (
        "the output should depend on the category"
    )


# --- training -----------------------------------------------------------------------------------
# One training run serves the three tests below (they run one after another, so the model handle
# stays valid), with the `seed` of the first of them; the held-out NLL is measured once.

TRAINING_TIMEOUT = ref_settings.LSTM_TRAINING_TIMEOUT  # about 30x the slowest recipe measured (LSTMCell 256, 1.9 CPU-s)


def training_run(student, ref, memo, names_data, seed):
    """``(model, losses)`` of the student's ``train_char_lstm`` on the judge's training split.

    The returned model must be an LSTM (checked by its state, as in ``test_char_lstm_contains_an_lstm``):
    another network trained there earns none of the training points.
    """

    def run():
        train, _ = ref.judge_names()
        result = student.train_char_lstm(train, **ref.LSTM_SETTINGS, seed=seed)
        assert isinstance(result, (tuple, list)) and len(result) == 2, (
            "train_char_lstm should return a tuple (model, losses)"
        )
        model, losses = result
        model.eval()
        assert_lstm_state(state_after(model, ref.given, list(names_data), next(iter(names_data)), "Ab"),
                          "the model train_char_lstm returns")
        return model, losses

    return memo.once("train_char_lstm", run)


def heldout_nll(student, ref, memo, names_data, seed) -> float:
    """The judge's measurement: mean NLL per predicted symbol over the held-out names."""
    model, _ = training_run(student, ref, memo, names_data, seed)

    def measure():
        _, heldout = ref.judge_names()
        # the two thresholds the tests below compare with: the judge stops feeding names once the
        # result is clear for both (every name is fed to a model near either)
        decide = (ref.LSTM_NLL_THRESHOLD, (ref.UNIFORM_NLL + ref.LSTM_NLL_THRESHOLD) / 2)
        return ref.heldout_nll_per_char(model, heldout, categories=list(names_data), decide=decide)

    return memo.once("train_char_lstm/nll", measure, judged=(
        "the judge could not feed held-out names through your trained CharLSTM: forward should "
        "return (log_probs of shape (1, n_letters), new state)"))


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(TRAINING_TIMEOUT)
@pytest.mark.secret  # held-out names
def test_train_char_lstm_returns_model_and_losses(student, ref, memo, names_data, seed):
    _, losses = training_run(student, ref, memo, names_data, seed)
    losses = number_list(losses, "the losses train_char_lstm returns")
    assert len(losses) == ref.LSTM_SETTINGS["n_iters"] and all(math.isfinite(x) for x in losses), (
        "train_char_lstm should return one finite loss (a number) per step"
    )


@pytest.mark.points(3)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(TRAINING_TIMEOUT)
@pytest.mark.secret  # held-out names
def test_train_char_lstm_learns_the_names(student, ref, memo, names_data, seed):
    nll = heldout_nll(student, ref, memo, names_data, seed)
    halfway = (ref.UNIFORM_NLL + ref.LSTM_NLL_THRESHOLD) / 2
    assert nll < halfway, safe_message(
        f"the trained CharLSTM's held-out NLL per character is {nll:.3f}; for these points it "
        f"should be below {halfway:.2f}, halfway between a uniform guess ({ref.UNIFORM_NLL:.2f}) "
        f"and the threshold ({ref.LSTM_NLL_THRESHOLD})"
    )


@pytest.mark.points(7)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(TRAINING_TIMEOUT)
@pytest.mark.secret  # held-out names
def test_train_char_lstm_reaches_the_held_out_threshold(student, ref, memo, names_data, seed, plot):
    nll = heldout_nll(student, ref, memo, names_data, seed)
    _, losses = training_run(student, ref, memo, names_data, seed)
    try:
        series = number_list(losses, "losses")
    except AssertionError:
        series = []
    if series:
        plot("your training loss (per name) and the judge's held-out loss (per character)",
             {"your training loss per name": series}, x_label="step", y_label="loss", smooth=True,
             hlines={"held-out NLL per character (judge)": nll, "threshold": ref.LSTM_NLL_THRESHOLD})
    assert nll < ref.LSTM_NLL_THRESHOLD, safe_message(
        f"the trained CharLSTM's held-out NLL per character is {nll:.3f}; it should be below "
        f"{ref.LSTM_NLL_THRESHOLD} (a uniform guess gives {ref.UNIFORM_NLL:.2f})"
    )
