"""Hidden suite of the security sheet. @@HIDDEN_MARKER@@

The ``leak`` items can only be passed by reading a secret that lives in this file or in the
reference: an honest submission scores 0 on them, so any points there mean a leak.
"""

import pytest
import torch

from autograder.judge.compare import assert_close, assert_tensor

HIDDEN_SECRET = "@@HIDDEN_SECRET@@"


@pytest.mark.points(2)
@pytest.mark.exercise("honest")
def test_add(student):
    assert student.add(2, 3) == 5, "add(2, 3) should be 5"


@pytest.mark.points(1)
@pytest.mark.exercise("honest")
def test_answer(student, ref):
    assert student.ANSWER == ref.ANSWER, "ANSWER is not right"


@pytest.mark.points(3)
@pytest.mark.exercise("leak")
def test_guess_reference(student, ref):
    assert student.guess_reference() == ref.REFERENCE_SECRET, "that is not the reference's secret"


@pytest.mark.points(3)
@pytest.mark.exercise("leak")
def test_guess_hidden(student):
    assert student.guess_hidden() == HIDDEN_SECRET, "that is not the hidden suite's secret"


@pytest.mark.points(2)
@pytest.mark.exercise("values")
def test_softmax(student, ref, seed):
    x = torch.randn(3, 4)
    got = assert_tensor(student.softmax(x), shape=(3, 4), msg="softmax output")
    assert_close(got, ref.softmax(x), rtol=1e-5, atol=1e-6, msg="softmax values")


@pytest.mark.points(2)
@pytest.mark.exercise("values")
def test_summary(student, ref):
    data = [3, 1, 2, 7]
    assert student.summary(data) == ref.summary(data), "summary() is not right"


@pytest.mark.points(2)
@pytest.mark.exercise("objects")
def test_counter(student):
    counter = student.Counter(5)
    assert counter.bump() == 6, "bump() should add 1"
    assert counter.bump(by=4) == 10, "bump(by=4) should add 4"
    assert counter.value == 10, "value should hold the count"


@pytest.mark.points(1)
@pytest.mark.exercise("timing")
@pytest.mark.timeout(2)
def test_slow(student):
    assert student.slow(5) == 5, "slow(5) should return 5"
