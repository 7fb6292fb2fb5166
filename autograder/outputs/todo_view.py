"""Work still to do in the feedback: one line per exercise (or per group of checks), never one row per check.

A check whose every lost point is work not attempted yet (a stub raising ``NotImplementedError``, a
name not defined, a constant still ``None``: :data:`autograder.outputs.feedback._NOT_ATTEMPTED`) says nothing
that the exercise's status "to do" does not: the feedback page lists such checks together, naming
what is missing where the judge's message names it. The views are duck-typed (the feedback module's
``ExerciseView`` and ``CaseView``), so this module imports nothing above it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from autograder.core.results import TODO_PREFIX

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
    """A whole exercise still to do, as one line (its public checks named, as for other exercises)."""
    checks = len(view.cases)
    hint = (f' Run <code>check("{html.escape(view.exercise)}")</code> in your notebook as you write it.'
            if view.public_checks else "")
    return (f'<div class="card todo" data-exercise="{html.escape(view.exercise)}">{mark}<b>'
            f"{html.escape(view.exercise)}: {view.score:g} / {view.max_score:g} points, "
            f'{html.escape(status_text)}</b> <span class="note">({checks} check{"s" if checks != 1 else ""}: '
            f"{html.escape(_what(view.cases))}){hint}</span></div>")


def todo_cases_html(cases: Sequence[Any], mark: str) -> str:
    """The checks of a partly done exercise that wait for work not attempted yet, as one line."""
    points = sum(case.max_score for case in cases)
    count, what = len(cases), _what(cases)
    return (f'<div class="case todo"><div class="head"><span>{mark}to do: {count} '
            f'check{"s" if count != 1 else ""}</span><span class="num">0 / {points:g}</span></div>'
            f'<p class="note">{html.escape(what[:1].upper() + what[1:])}</p></div>')
