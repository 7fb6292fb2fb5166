"""Work not attempted yet, as the judge sees it: a constant stub the student left at ``None``.

A function stub raises ``NotImplementedError``, which the judge reports as such; a constant stub holds
``None``, and a check that reads it fails on some later assertion ("should be a dict") that says
nothing of the real state. :class:`TrackingProxy` notes every student name a check read as ``None``;
when that check fails, :func:`todo_message` replaces its message with one that says what is still to
do, so the feedback calls it "to do", as ``check()`` in the notebook does.
"""

from __future__ import annotations

from typing import Any

from autograder.core.results import TODO_PREFIX
from autograder.judge.rpc import StudentProxy


class TrackingProxy(StudentProxy):
    """The ``student`` proxy, noting the names it read as ``None`` since the last :meth:`reset_none_reads`."""

    def __getattr__(self, name: str) -> Any:
        value = super().__getattr__(name)
        if value is None:
            reads: dict[str, None] = object.__getattribute__(self, "_none_reads")
            reads[name] = None
        return value

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        object.__setattr__(self, "_none_reads", {})

    def reset_none_reads(self) -> None:
        object.__getattribute__(self, "_none_reads").clear()

    def none_reads(self) -> tuple[str, ...]:
        return tuple(object.__getattribute__(self, "_none_reads"))


def todo_message(names: tuple[str, ...]) -> str:
    """The student-facing message of a check that failed on names still ``None``."""
    listed = ", ".join(names)
    if len(names) == 1:
        return f"{TODO_PREFIX}{listed} is still None (the notebook's placeholder): give it a value."
    return f"{TODO_PREFIX}{listed} are still None (the notebook's placeholders): give them values."
