import pytest
import torch

from autograder.judge.compare import assert_close, assert_tensor


@pytest.mark.points(1)
@pytest.mark.exercise("basics")
def test_add(student, ref):
    assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"


@pytest.mark.points(1)
@pytest.mark.exercise("basics")
def test_answer(student, ref):
    assert student.ANSWER == ref.ANSWER, "ANSWER is not right"


@pytest.mark.points(1)
@pytest.mark.exercise("basics")
def test_scaled_uses_given(student, ref):
    assert student.scaled(3) == ref.scaled(3), "scaled should multiply by SCALE"


@pytest.mark.points(1)
@pytest.mark.exercise("basics")
@pytest.mark.timeout(2)
def test_slow_is_fast_enough(student, ref):
    assert student.slow(5) == ref.slow(5), "slow(5) should return 5"


@pytest.mark.points(3)
@pytest.mark.exercise("tensors")
def test_softmax(student, ref, seed):
    x = torch.randn(3, 4)
    got = assert_tensor(student.softmax(x), shape=(3, 4), msg="softmax output")
    assert_close(got, ref.softmax(x), rtol=1e-5, atol=1e-6, msg="softmax values")


@pytest.mark.points(2)
@pytest.mark.exercise("objects")
def test_counter(student):
    counter = student.Counter(5)
    assert counter.bump() == 6, "bump() should add 1"
    assert counter.bump(by=4) == 10, "bump(by=4) should add 4"
    assert counter.value == 10, "value should hold the count"


@pytest.mark.points(1)
@pytest.mark.exercise("objects")
def test_factory_roundtrip(student):
    assert student.make("pair", 3, 4) == (3, 4), "the sandbox factory should work"
