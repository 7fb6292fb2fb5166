"""Work still to do in the feedback: one line per exercise (or per group of checks), never one row per check.

A check whose every lost point is work not attempted yet (a stub raising ``NotImplementedError``, a
name not defined, a constant still ``None``: :data:`autograder.outputs.feedback._NOT_ATTEMPTED`) says nothing
that the exercise's status "to do" does not: the feedback page lists such checks together, naming
what is missing where the judge's message names it. The views are duck-typed (the feedback module's
``ExerciseView`` and ``CaseView``), so this module imports nothing above it. The markup is the
templates ``feedback/todo_exercise.html`` and ``feedback/todo_cases.html`` of :mod:`autograder.pages`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from autograder.core.results import TODO_PREFIX
from autograder.pages import Markup, render

_NAMED = re.compile(r"^(?:Your code raised NameError: name '([^']*)'|" + re.escape(TODO_PREFIX)
                    + r"(.+?) (?:is|are) still None)")


def todo_names(cases: Iterable[Any]) -> list[str]:
    """The names the judge's messages say are missing or still None, in order, once each."""
    names: dict[str, None] = {}
    for case in cases:
        found = _NAMED.match(case.message or "")
        if found:
            for name in (found.group(1) or found.group(2) or "").split(", "):
                names[name.strip()] = None
    return [name for name in names if name]


def _what(cases: Sequence[Any]) -> str:
    names = todo_names(cases)
    named = f" Still missing: {', '.join(names)}." if names else ""
    return ("the functions still raise NotImplementedError, are not defined, or a value is still None, "
            f"so there is nothing to grade yet.{named}")


def todo_exercise_html(view: Any, mark: str, status_text: str) -> str:
    """A whole exercise still to do, as one line (its public checks named, as for other exercises);
    ``mark`` is HTML (the feedback macros' status mark), everything else is escaped."""
    return render("feedback/todo_exercise.html", view=view, mark=Markup(mark), status_text=status_text,
                  checks=len(view.cases), what=_what(view.cases))


def todo_cases_html(cases: Sequence[Any], mark: str) -> str:
    """The checks of a partly done exercise that wait for work not attempted yet, as one line
    (``mark`` as for :func:`todo_exercise_html`)."""
    what = _what(cases)
    return render("feedback/todo_cases.html", mark=Markup(mark), count=len(cases),
                  points=sum(case.max_score for case in cases), what=what[:1].upper() + what[1:])
