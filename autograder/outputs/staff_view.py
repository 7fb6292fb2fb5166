"""What a student sees of staff's part of a grade: "adjusted by staff: <reason>" at its test or exercise.

One wording for every student-facing renderer (the feedback page and markdown, the Gradescope JSON,
the service's student view). Only ``reason`` and the points are shown: ``staff_note`` never is.
"""

from __future__ import annotations

from typing import Any

from autograder.core.mdtext import md_text
from autograder.core.results import AppliedAdjustment, SubmissionResult

ADJUSTED = "adjusted by staff"


def adjusted_text(adjustment: AppliedAdjustment) -> str:
    """``adjusted by staff: <reason> (4 -> 6 points)``."""
    return f"{ADJUSTED}: {adjustment.reason} ({adjustment.autograded:g} -> {adjustment.points:g} points)"


def _target(result: SubmissionResult, adjustment: AppliedAdjustment, shown: set[str]) -> str:
    if adjustment.exercise:
        return f"exercise {adjustment.exercise}"
    case = next((c for c in result.tests if adjustment.test in (c.nodeid, c.name)), None)
    if case is None:
        return "a check"
    return f"{case.number}, check {case.name}" if (case.nodeid or case.name) in shown else f"{case.number}, a hidden check"


def adjustment_lines(result: SubmissionResult, shown: set[str] | None = None) -> list[str]:
    """One plain sentence per adjustment in force; ``shown``: node ids (or names) the student may see by name."""
    return [f"{_target(result, a, shown or set())}: {adjusted_text(a)}" for a in result.adjustments]


def adjustments_markdown(result: SubmissionResult, shown: set[str] | None = None) -> list[str]:
    lines = adjustment_lines(result, shown)
    return ["", "**Adjusted by staff**", "", *(f"- {md_text(line)}" for line in lines)] if lines else []


def staff_notes(data: dict[str, Any], result: SubmissionResult) -> None:
    """Gradescope JSON: each adjusted test's output says so; an exercise adjustment gets its own entry."""
    by_key = {a.test: a for a in result.adjustments if a.test}
    for entry, case in zip(data.get("tests", []), result.tests, strict=False):
        adjustment = by_key.get(case.nodeid) or by_key.get(case.name)
        if adjustment is not None:
            entry["output"] = (entry.get("output") or "") + f"\n\n{md_text(adjusted_text(adjustment))}"
    for adjustment in (a for a in result.adjustments if a.exercise):
        data.setdefault("tests", []).append({
            "name": f"exercise {adjustment.exercise}: {ADJUSTED}", "number": adjustment.exercise,
            "score": adjustment.delta, "max_score": 0, "status": "passed", "visibility": "visible",
            "output": md_text(adjusted_text(adjustment))})
    for adjustment in data.get("adjustments", ()):
        if isinstance(adjustment, dict):
            adjustment.pop("staff_note", None)
