"""The comparison helpers' messages say where a value is wrong and in which direction (issue 22, item 9)."""

from __future__ import annotations

import pytest
import torch

from autograder.judge.compare import assert_close


def message(*args, **kwargs) -> str:
    with pytest.raises(AssertionError) as failed:
        assert_close(*args, **kwargs)
    return str(failed.value)


def test_a_number_says_its_direction_and_the_expected_value_only_when_shown() -> None:
    assert message(0.5, 0.25, msg="lr") == "lr: got 0.5 (too high)"
    assert message(0.1, 0.25, msg="lr", show_expected=True) == "lr: got 0.1 (too low), expected 0.25"


def test_a_list_index_is_named_by_at_or_as_an_index() -> None:
    assert message([0.0, 2.0], [0.0, 1.0], msg="lrs", at="step {}") == "lrs (at step 1): got 2.0 (too high)"
    assert message([0.0, 2.0], [0.0, 1.0], msg="lrs") == "lrs (at index 1): got 2.0 (too high)"
    assert message({"a": [1.0]}, {"a": [2.0]}) == "at key 'a', [0]: got 1.0 (too low)"
    assert message({7: 1.0}, {7: 2.0}, at="step {}") == "at step 7: got 1.0 (too low)"


def test_a_tensor_says_where_it_differs_most() -> None:
    want = torch.zeros(2, 3)
    got = want.clone()
    got[1, 2] = 0.5
    assert message(got, want, msg="logits") == "logits: values differ (largest difference 0.5, at index (1, 2))"
    assert message(torch.tensor([0.0, 0.0, 3.0]), torch.zeros(3)) == \
        "values differ (largest difference 3, at index 2)"
