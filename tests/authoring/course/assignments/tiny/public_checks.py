"""Public checks of the tiny sheet: types only."""


def check_add_returns_int(ns):
    assert isinstance(ns.add(1, 2), int), "add should return an int"


def check_counter_bumps(ns):
    assert ns.Counter(0).bump() == 1, "bump() should add 1"


CHECKS = {"basics": [check_add_returns_int], "objects": [check_counter_bumps]}


def check(exercise=None, ns=None):
    """Run the public checks (the tiny course's stand-in for autograder.student.checks.make_check)."""
    return [exercise, ns]
