"""Public checks of the toy sheet: shapes and types only."""


def check_add_returns_int(ns):
    assert isinstance(ns.add(1, 2), int), "add should return an int"


CHECKS = {"basics": [check_add_returns_int]}
