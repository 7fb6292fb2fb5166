"""Exercise 3.2.2: cosine_lr, make_cosine_scheduler and train_char_rnn.

``cosine_lr`` is compared with the reference on hypothesis-drawn arguments and with transformers'
``get_cosine_schedule_with_warmup``. The scheduler is driven on an optimizer the judge asks the
sandbox to build, and only the learning rate the optimizer holds is read. ``train_char_rnn`` runs
once per setting (a short, published number of steps) and its returned lists are checked.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given as draw_examples
from hypothesis import settings
from hypothesis import strategies as st
from sheet_checks import number_list
from transformers import get_cosine_schedule_with_warmup

import reference.sheet_3_2.grading as ref_settings
from autograder.judge.compare import assert_close

EXERCISE = "3.2.2"
PROFILE = "sheet_3_2"

RNN_ITERS = 300  # enough for the loss to fall clearly, short enough for a second or two
RNN_LR = 0.005
RNN_CONSTANT_ITERS = 40
#: learning rates are compared with float32 arithmetic's precision (a schedule computed with torch in
#: float32 is correct): the sheet's published tolerance, which the public checks use too
RTOL = ref_settings.TOLERANCES["lr"][0]


def lr_atol(base_lr: float) -> float:
    return ref_settings.lr_tolerance(base_lr)[1]


def is_number(value) -> bool:
    return type(value) in (int, float)


def call_text(step, kwargs) -> str:
    """``cosine_lr(3, base_lr=0.1, total_steps=20)``: the call a message names (``step`` may be a word)."""
    return "cosine_lr(" + ", ".join([str(step), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"


def chart_steps(kwargs) -> list[int]:
    """Up to about 120 steps from 0 to a little past total_steps (a chart costs one call per step)."""
    last = kwargs["total_steps"] + max(2, kwargs["total_steps"] // 5)
    stride = max(1, last // 120)
    return sorted({*range(0, last + 1, stride), kwargs.get("warmup_steps", 0), kwargs["total_steps"], last})


def schedule_chart(plot, title, got, want, steps) -> None:
    plot(title, {"your learning rates": got, "expected (the closed form)": want}, x=steps,
         x_label="step", y_label="learning rate")


def chart_your_cosine_lr(plot, student, ref, kwargs) -> None:
    """On a failure: the student's whole schedule for these arguments next to the expected one.

    Drawn once per test (hypothesis replays the failing example), and never at the cost of the
    failure's own message: a student call that raises here leaves the chart out.
    """
    if len(plot):
        return
    steps = chart_steps(kwargs)
    try:
        got = [student.cosine_lr(k, **kwargs) for k in steps]
    except Exception:  # noqa: BLE001 - the assertion's message is what the student needs
        return
    schedule_chart(plot, call_text("step", kwargs), got, [ref.cosine_lr(k, **kwargs) for k in steps], steps)


# --- cosine_lr ----------------------------------------------------------------------------------


@st.composite
def schedules(draw):
    total = draw(st.integers(1, 300))
    warmup = draw(st.integers(0, total))
    base = draw(st.sampled_from([1.0, 0.1, 3e-4, 5e-3]))
    min_lr = draw(st.sampled_from([0.0, 0.0, base / 10, base / 3]))
    step = draw(st.integers(0, total + 50) | st.sampled_from([0, warmup, total]))
    return step, {"base_lr": base, "total_steps": total, "warmup_steps": warmup, "min_lr": min_lr}


@pytest.mark.points(3)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=50)
@draw_examples(case=schedules())
def test_cosine_lr_matches_the_closed_form(ref, student, plot, case):
    step, kwargs = case
    got = student.cosine_lr(step, **kwargs)
    assert is_number(got), f"cosine_lr should return a Python float; {call_text(step, kwargs)} " \
                           f"returned {type(got).__name__}"
    try:
        assert_close(got, ref.cosine_lr(step, **kwargs), rtol=RTOL, atol=lr_atol(kwargs["base_lr"]),
                     show_expected=True,
                     msg="cosine_lr should warm up linearly from 0 to base_lr over warmup_steps, then "
                         f"follow half a cosine from base_lr down to min_lr at total_steps; {call_text(step, kwargs)}")
    except AssertionError:
        chart_your_cosine_lr(plot, student, ref, kwargs)
        raise


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_cosine_lr_matches_transformers_schedule(student, plot):
    for total, warmup, base in [(100, 10, 1e-3), (37, 0, 0.5), (12, 11, 2.0), (1, 0, 0.1)]:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
        factor = get_cosine_schedule_with_warmup(optimizer, warmup, total).lr_lambdas[0]
        steps = list(range(total + 1))
        kwargs = {"base_lr": base, "total_steps": total, "warmup_steps": warmup}
        got = [student.cosine_lr(k, **kwargs) for k in steps]
        want = [base * factor(k) for k in steps]
        try:
            assert_close(got, want, rtol=RTOL, atol=lr_atol(base), show_expected=True, at="step {}",
                         msg="with min_lr=0, cosine_lr(step, ...) should equal transformers' "
                             f"get_cosine_schedule_with_warmup for every step up to total_steps; "
                             f"{call_text('step', kwargs)}")
        except AssertionError:
            schedule_chart(plot, call_text("step", kwargs), got, want, steps)
            raise


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
def test_cosine_lr_min_lr_and_steps_past_the_end(student, ref, plot):
    base, min_lr, total, warmup = 0.2, 0.02, 50, 5
    kwargs = {"base_lr": base, "total_steps": total, "warmup_steps": warmup, "min_lr": min_lr}
    half = warmup + (total - warmup) // 2
    want = min_lr + (base - min_lr) * (1 + math.cos(math.pi * ((total - warmup) // 2)
                                                    / (total - warmup))) / 2
    try:
        after = {k: student.cosine_lr(k, **kwargs) for k in range(total, 2 * total + 1)}
        assert_close(after, dict.fromkeys(after, min_lr), rtol=RTOL, atol=lr_atol(base), show_expected=True,
                     at="step {}", msg="from total_steps on, cosine_lr should stay at min_lr (it must not "
                                       f"rise again); {call_text('step', kwargs)}")
        assert_close(student.cosine_lr(half, **kwargs), want, rtol=RTOL, atol=lr_atol(base),
                     show_expected=True, msg="after warm-up, cosine_lr should decay from base_lr to min_lr, "
                                             f"not to 0; {call_text(half, kwargs)}")
        assert_close(student.cosine_lr(0, **kwargs), 0.0, atol=lr_atol(base), show_expected=True,
                     msg=f"during warm-up cosine_lr should rise linearly from 0 (not from min_lr); "
                         f"{call_text(0, kwargs)}")
    except AssertionError:
        chart_your_cosine_lr(plot, student, ref, kwargs)
        raise


# --- make_cosine_scheduler ----------------------------------------------------------------------

SCHEDULER_CASES = [
    {"lr": 0.1, "total_steps": 20, "warmup_steps": 5, "min_lr": 0.01},
    {"lr": 0.03, "total_steps": 8, "warmup_steps": 0, "min_lr": 0.0},
]


def scheduler_lrs(student, lr: float, steps: int, **kwargs) -> list[float]:
    """The optimizer's lr right after construction and after each optimizer.step(); sched.step()."""
    optimizer = student.make("optimizer", kind="SGD", lr=lr, shapes=[(3,)])
    scheduler = student.make_cosine_scheduler(optimizer, **kwargs)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def scheduler_text(lr, kwargs) -> str:
    return ("make_cosine_scheduler(optimizer, " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            + f") on an optimizer made with lr={lr!r}")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_scheduler_sets_the_first_lr_at_construction(student, ref):
    for case in SCHEDULER_CASES:
        lr, kwargs = case["lr"], {k: v for k, v in case.items() if k != "lr"}
        (got,) = scheduler_lrs(student, lr, 0, **kwargs)
        assert_close(got, ref.cosine_lr(0, base_lr=lr, **kwargs), rtol=RTOL, atol=lr_atol(lr), show_expected=True,
                     msg="right after make_cosine_scheduler(optimizer, ...) the optimizer's lr "
                         f"should be cosine_lr(0, base_lr=<the optimizer's lr>, ...); {scheduler_text(lr, kwargs)}")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_scheduler_follows_cosine_lr_step_by_step(student, ref, plot):
    for case in SCHEDULER_CASES:
        lr, kwargs = case["lr"], {k: v for k, v in case.items() if k != "lr"}
        steps = kwargs["total_steps"] + 3
        got = scheduler_lrs(student, lr, steps, **kwargs)
        want = [ref.cosine_lr(k, base_lr=lr, **kwargs) for k in range(steps + 1)]
        try:
            assert_close(got, want, rtol=RTOL, atol=lr_atol(lr), show_expected=True,
                         at="the lr after {} calls of scheduler.step()",
                         msg="after k calls of scheduler.step() the optimizer's lr should be "
                             "cosine_lr(k, base_lr=<the optimizer's lr>, ...), also past total_steps; "
                             f"{scheduler_text(lr, kwargs)}")
        except AssertionError:
            schedule_chart(plot, f"optimizer's lr after k calls of scheduler.step() (lr={lr!r})", got, want,
                           list(range(steps + 1)))
            raise


# --- train_char_rnn -----------------------------------------------------------------------------


def char_rnn_run(student, memo, seed, *, cosine: bool, n_iters: int):
    """(losses, lrs) of one training run (the `seed` of the first test that asks); no handle kept.

    The names are loaded in the sandbox by the sheet's given module (a factory): the checks read only
    the learning rates and the losses, so 20,000 names need not cross the wire.
    """
    def run():
        names = student.make_handle("names_data")
        result = student.train_char_rnn(names, n_iters=n_iters, lr=RNN_LR, seed=seed, cosine=cosine)
        assert isinstance(result, (tuple, list)) and len(result) == 3, (
            "train_char_rnn should return a tuple (model, losses, lrs)"
        )
        _, losses, lrs = result
        return (number_list(losses, "the losses train_char_rnn returns"),
                number_list(lrs, "the lrs train_char_rnn returns"))

    return memo.once(f"train_char_rnn/{cosine}/{n_iters}", run)


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(60)
def test_train_char_rnn_lrs_follow_the_cosine_schedule(student, ref, memo, seed, plot):
    _, lrs = char_rnn_run(student, memo, seed, cosine=True, n_iters=RNN_ITERS)
    assert len(lrs) == RNN_ITERS and all(is_number(x) for x in lrs), (
        "train_char_rnn should return one learning rate (a float) per step"
    )
    want = [ref.cosine_lr(k, base_lr=RNN_LR, total_steps=RNN_ITERS) for k in range(RNN_ITERS)]
    plot("learning rate per step", {"your schedule": lrs, "expected cosine schedule": want},
         x_label="step", y_label="learning rate")
    assert_close(lrs, want, rtol=RTOL, atol=lr_atol(RNN_LR), show_expected=True, at="step {}",
                 msg="lrs[k] should be the lr used at step k: cosine_lr(k, base_lr=lr, "
                     "total_steps=n_iters), with the scheduler stepped after each optimizer step; "
                     f"train_char_rnn(names, n_iters={RNN_ITERS}, lr={RNN_LR}, cosine=True)")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(60)
def test_train_char_rnn_without_cosine_keeps_the_lr(student, memo, seed):
    _, lrs = char_rnn_run(student, memo, seed, cosine=False, n_iters=RNN_CONSTANT_ITERS)
    assert len(lrs) == RNN_CONSTANT_ITERS and all(is_number(x) for x in lrs), (
        "train_char_rnn should return one learning rate (a float) per step"
    )
    assert_close(lrs, [RNN_LR] * RNN_CONSTANT_ITERS, rtol=RTOL, atol=0.0, show_expected=True, at="step {}",
                 msg="with cosine=False the learning rate should stay at lr for every step; "
                     f"train_char_rnn(names, n_iters={RNN_CONSTANT_ITERS}, lr={RNN_LR}, cosine=False)")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.timeout(60)
def test_train_char_rnn_losses_fall(student, memo, seed):
    losses, _ = char_rnn_run(student, memo, seed, cosine=True, n_iters=RNN_ITERS)
    assert len(losses) == RNN_ITERS and all(
        is_number(x) and math.isfinite(x) for x in losses
    ), "train_char_rnn should return one finite loss (a Python float) per step"
    tenth = RNN_ITERS // 10
    first, last = sum(losses[:tenth]) / tenth, sum(losses[-tenth:]) / tenth
    assert last < first, (
        "the mean loss over the last tenth of the steps should be below that of the first tenth"
    )
