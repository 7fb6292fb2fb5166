"""Exercise "utilities": clip_gradients, he_init, early_stopping, grid and random search.

``clip_gradients`` is compared with ``torch.nn.utils.clip_grad_norm_``; ``he_init`` by the moments
and shape of a large draw; ``early_stopping`` and ``grid_search_configs`` with the reference on
hypothesis-drawn inputs; ``random_search_configs`` by its stated properties only.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch
from hypothesis import given as draw_examples
from hypothesis import settings
from hypothesis import strategies as st

import reference.sheet_3_2.grading as ref_settings
from autograder.judge.compare import assert_close, assert_tensor

EXERCISE = "utilities"
PROFILE = "sheet_3_2"
#: the sheet's published tolerance for gradients and norms (the public checks use it too)
GRAD_RTOL, GRAD_ATOL = ref_settings.TOLERANCES["gradients"]
SIGMAS = 5.0


# --- clip_gradients -----------------------------------------------------------------------------


def gradients(scale: float) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return [torch.randn(shape, generator=gen) * scale for shape in [(4, 3), (7,), (2, 2, 2)]]


def torch_clip(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], float]:
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for param, grad in zip(params, grads):
        param.grad = grad.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [param.grad for param in params], float(norm)


def check_clip(student, grads: list[torch.Tensor], max_norm: float, msg: str) -> None:
    result = student.clip_gradients(grads, max_norm)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "clip_gradients should return a tuple (clipped gradients, total norm)"
    )
    got, norm = result
    want, want_norm = torch_clip(grads, max_norm)
    assert isinstance(norm, (int, float)) or (isinstance(norm, torch.Tensor) and norm.numel() == 1), (
        "clip_gradients should return the total norm as a float"
    )
    assert_close(float(norm), want_norm, rtol=GRAD_RTOL, atol=GRAD_ATOL,
                 msg="clip_gradients should return the total 2-norm of all gradients before clipping")
    assert isinstance(got, (list, tuple)) and len(got) == len(grads), (
        "clip_gradients should return one gradient per input gradient"
    )
    for g, w in zip(got, want):
        assert_tensor(g, shape=tuple(w.shape), msg="each clipped gradient should keep its shape")
        assert_close(g, w, rtol=GRAD_RTOL, atol=GRAD_ATOL, msg=msg)


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_clip_gradients_scales_down_large_gradients(student):
    check_clip(student, gradients(5.0), 1.0,
               "when the total norm exceeds max_norm, every gradient should be scaled by "
               "max_norm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_ does")


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_clip_gradients_leaves_small_gradients_alone(student):
    check_clip(student, gradients(0.05), 10.0,
               "when the total norm is below max_norm, the gradients should be returned unchanged")


# --- he_init ------------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_he_init_shape_and_generator(student):
    got = student.he_init((24, 40))
    assert_tensor(got, shape=(24, 40), msg="he_init((fan_out, fan_in)) should return a tensor of that shape")
    assert got.is_floating_point(), "he_init should return a floating-point tensor"
    a = student.he_init((24, 40), generator=student.make("generator", seed=5))
    b = student.he_init((24, 40), generator=student.make("generator", seed=5))
    assert torch.equal(a, b), "he_init with generators of the same seed should return the same tensor"


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_he_init_is_normal_with_variance_2_over_fan_in(student):
    fan_out, fan_in = 256, 512  # fan_in != fan_out: the variance must use fan_in = shape[1]
    weights = student.he_init((fan_out, fan_in), generator=student.make("generator", seed=9))
    assert_tensor(weights, shape=(fan_out, fan_in), msg="he_init should return a (fan_out, fan_in) tensor")
    x = weights.double().flatten()
    n, var = x.numel(), 2.0 / fan_in
    sd = math.sqrt(var)
    assert abs(float(x.mean())) <= SIGMAS * sd / math.sqrt(n), "he_init's values should have mean 0"
    # the sample variance of n normal draws has standard deviation var * sqrt(2 / n)
    assert abs(float(x.var()) - var) <= SIGMAS * var * math.sqrt(2 / n), (
        "he_init's values should have variance 2 / fan_in, with fan_in = shape[1]"
    )
    inside = float((x.abs() < sd).double().mean())  # 0.6827 for a normal, 0.577 for a uniform
    assert abs(inside - 0.682689) <= SIGMAS * math.sqrt(0.682689 * 0.317311 / n), (
        "he_init should draw from a normal distribution (not a uniform one)"
    )


# --- early_stopping -----------------------------------------------------------------------------


@st.composite
def loss_curves(draw, deltas):
    losses = draw(st.lists(st.integers(0, 40).map(lambda k: k / 16), min_size=1, max_size=30))
    patience = draw(st.integers(1, 6))
    min_delta = draw(deltas)
    return losses, patience, min_delta


def check_early_stopping(student, ref, losses, patience, min_delta) -> None:
    kwargs = {} if min_delta is None else {"min_delta": min_delta}
    got = student.early_stopping(losses, patience, **kwargs)
    assert isinstance(got, (tuple, list)) and len(got) == 2 and all(type(i) is int for i in got), (
        "early_stopping should return a tuple of two ints (stop_epoch, best_epoch)"
    )
    want = ref.early_stopping(losses, patience, **kwargs)
    assert tuple(got) == tuple(want), (
        "early_stopping should stop at the first epoch that is `patience` epochs after the best "
        "one (an epoch improves when its loss < best - min_delta), else return the last epoch"
    )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=40)
@draw_examples(case=loss_curves(st.just(None) | st.just(0.0)))
def test_early_stopping_without_min_delta(ref, student, case):
    check_early_stopping(student, ref, *case)


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=40)
@draw_examples(case=loss_curves(st.sampled_from([0.0625, 0.125, 0.25])))
def test_early_stopping_with_min_delta(ref, student, case):
    check_early_stopping(student, ref, *case)


# --- grid and random search ---------------------------------------------------------------------

VALUES = st.one_of(st.integers(-5, 5), st.sampled_from([1e-3, 0.1, 0.5]),
                   st.sampled_from(["adam", "sgd", "relu"]), st.booleans())
SPACES = st.dictionaries(
    st.sampled_from(["lr", "batch_size", "dropout", "optimizer", "layers", "warmup"]),
    st.lists(VALUES, min_size=1, max_size=4), min_size=1, max_size=4,
)


@pytest.mark.points(2)
@pytest.mark.exercise(EXERCISE)
@settings(settings.get_profile(PROFILE), max_examples=30)
@draw_examples(space=SPACES)
def test_grid_search_configs_lists_every_combination_in_order(ref, student, space):
    got = student.grid_search_configs(space)
    want = ref.grid_search_configs(space)
    assert isinstance(got, (list, tuple)) and len(got) == len(want), (
        "grid_search_configs should return a list with one dict per combination of values"
    )
    assert all(isinstance(c, dict) for c in got) and list(got) == want, (
        "grid_search_configs should list the combinations in itertools.product order of the keys as "
        "given (the last key varies fastest); the order of the keys inside each dict does not matter"
    )


RANDOM_SPACE = {"lr": [1e-4, 3e-4, 1e-3, 3e-3], "batch_size": [16, 32, 64], "optimizer": ["adam", "sgd"]}


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_random_search_configs_draws_from_the_space_reproducibly(student):
    got = student.random_search_configs(RANDOM_SPACE, 50, 7)
    assert isinstance(got, list) and len(got) == 50, (
        "random_search_configs should return a list of n_trials configurations"
    )
    assert all(
        isinstance(c, dict) and set(c) == set(RANDOM_SPACE)
        and all(c[k] in RANDOM_SPACE[k] for k in RANDOM_SPACE)
        for c in got
    ), "each configuration should be a dict with every key and a value taken from that key's list"
    assert student.random_search_configs(RANDOM_SPACE, 50, 7) == got, (
        "random_search_configs should return the same list for the same seed"
    )
    assert len(student.random_search_configs({"x": [1, 2]}, 20, 0)) == 20, (
        "random_search_configs should draw with replacement: n_trials may exceed the combinations"
    )


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
def test_random_search_configs_is_uniform_and_independent(student):
    n = 3000
    got = student.random_search_configs(RANDOM_SPACE, n, 123)
    assert isinstance(got, list) and len(got) == n and all(isinstance(c, dict) for c in got), (
        "random_search_configs should return a list of n_trials dicts"
    )
    for key, values in RANDOM_SPACE.items():
        counts = Counter(c.get(key) for c in got)
        p = 1 / len(values)
        assert all(abs(counts[v] - n * p) <= SIGMAS * math.sqrt(n * p * (1 - p)) for v in values), (
            "each value should be drawn uniformly from its list"
        )
    pairs = Counter((c.get("batch_size"), c.get("optimizer")) for c in got)
    p = 1 / 6
    assert all(
        abs(pairs[(b, o)] - n * p) <= SIGMAS * math.sqrt(n * p * (1 - p))
        for b in RANDOM_SPACE["batch_size"] for o in RANDOM_SPACE["optimizer"]
    ), "the values of different keys should be drawn independently"
