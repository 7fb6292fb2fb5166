"""The diff of a regrade: one row per changed test, why it changed, each student's final before and after.

Rendered as ``diff.csv`` (through :func:`autograder.core.results.csv_text`, so no cell is a formula) and
``diff.html`` (the template ``term/regrade_diff.html`` of :mod:`autograder.pages`: every text escaped). Staff-only: both live in ``RESULTS_DIR/regrades/<time>/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.extra_data import GradingFingerprints
from autograder.core.results import CaseResult, SubmissionResult, csv_text, write_text_atomic
from autograder.grades.grade import adjustment_on_exercise, adjustment_on_test
from autograder.pages import render


@dataclass(frozen=True)
class CaseChange:
    """One test whose points or status differ after the regrade."""

    student_id: str
    exercise: str
    test: str
    old_points: float | None
    new_points: float | None
    old_status: str
    new_status: str
    why: tuple[str, ...]
    kept: str = ""  # a staff adjustment on this test or its exercise, still in force


@dataclass(frozen=True)
class StudentTotal:
    """A student's final grade (staff parts and late policy applied) before and after."""

    student_id: str
    before: float
    after: float
    note: str = ""  # e.g. "cannot regrade: file not found" (the old result is kept)
    adjustments: tuple[str, ...] = ()

    @property
    def direction(self) -> str:
        if self.note:
            return "kept"
        if self.after > self.before + 1e-9:
            return "up"
        return "down" if self.after < self.before - 1e-9 else "same"


@dataclass
class RegradeDiff:
    changes: list[CaseChange] = field(default_factory=list)
    totals: list[StudentTotal] = field(default_factory=list)

    @property
    def moved(self) -> list[StudentTotal]:
        return [t for t in self.totals if t.direction in ("up", "down")]

    @property
    def summary(self) -> str:
        """``3 students change: 2 up, 1 down`` (and who could not be regraded)."""
        up = sum(t.direction == "up" for t in self.totals)
        down = sum(t.direction == "down" for t in self.totals)
        moved = up + down
        line = f"{moved} student{'s' if moved != 1 else ''} change{'s' if moved == 1 else ''}: {up} up, {down} down"
        same_total = {c.student_id for c in self.changes} - {t.student_id for t in self.moved}
        if same_total:
            line += f"; {len(same_total)} with changed tests but the same final"
        kept = [t for t in self.totals if t.note]
        if kept:
            line += f"; {len(kept)} not regraded (old result kept)"
        return line


def _why(old: CaseResult | None, new: CaseResult | None, key: str, old_fp: GradingFingerprints,
         new_fp: GradingFingerprints) -> tuple[str, ...]:
    if old is None:
        return ("new test",)
    if new is None:
        return ("test removed",)
    why = []
    before, after = old_fp.code_hash(key), new_fp.code_hash(key)
    if before and after and before != after:
        why.append("test code")
    elif before is None and after is not None:
        why.append("test code unknown (the old result has no code hashes)")
    if abs(old.max_score - new.max_score) > 1e-9:
        why.append(f"points {old.max_score:g} -> {new.max_score:g}")
    if old_fp.config and old_fp.config != new_fp.config:
        why.append("config")
    if old_fp.engine and old_fp.engine != new_fp.engine:
        why.append("engine")
    return tuple(why) or ("outcome only (same test code, points, config and engine)",)


def case_changes(old: SubmissionResult, new: SubmissionResult) -> list[CaseChange]:
    """Tests of ``new`` (a regrade of ``old``) whose points, max points or status differ; ``new``
    carries the staff parts in force, so a kept adjustment is named next to its test."""
    old_fp = old.extra_data.grading or GradingFingerprints()
    new_fp = new.extra_data.grading or GradingFingerprints()
    old_by = {case.nodeid or case.name: case for case in old.tests}
    new_by = {case.nodeid or case.name: case for case in new.tests}
    changes = []
    for key in [*new_by, *(k for k in old_by if k not in new_by)]:
        before, after = old_by.get(key), new_by.get(key)
        if before is not None and after is not None and (before.score, before.status) == (after.score, after.status):
            continue  # the same for this student (a points change they did not earn is no change to them)
        case = after or before
        assert case is not None
        adjustment = adjustment_on_test(new, case.nodeid, case.name) or adjustment_on_exercise(new, case.number)
        kept = (f"adjustment kept: {'test' if adjustment.test else 'exercise ' + adjustment.exercise} set to "
                f"{adjustment.points:g} ({adjustment.reason})" if adjustment else "")
        changes.append(CaseChange(
            student_id=new.student_id, exercise=case.number, test=key,
            old_points=before.score if before else None, new_points=after.score if after else None,
            old_status=before.status if before else "", new_status=after.status if after else "",
            why=_why(before, after, key, old_fp, new_fp), kept=kept))
    return changes


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def diff_csv(diff: RegradeDiff) -> str:
    rows: list[list[object]] = [["kind", "student", "exercise", "test", "old_points", "new_points", "old_status",
                                 "new_status", "what_changed", "staff_adjustment"]]
    for c in diff.changes:
        rows.append(["test", c.student_id, c.exercise, c.test, _points(c.old_points), _points(c.new_points),
                     c.old_status, c.new_status, "; ".join(c.why), c.kept])
    for t in diff.totals:
        rows.append(["total", t.student_id, "", "final", f"{t.before:g}", f"{t.after:g}", "", "",
                     t.note or t.direction, "; ".join(t.adjustments)])
    rows.append(["summary", diff.summary, "", "", "", "", "", "", "", ""])
    return csv_text(rows)


def diff_context(diff: RegradeDiff, *, title: str, applied: bool) -> dict[str, Any]:
    """What template ``term/regrade_diff.html`` shows: students whose final moved come first."""
    state = ("applied: these results replaced the old ones (kept in RESULTS_DIR/history/)" if applied else
             "preview: nothing in the results folder changed; run again with --apply to apply")
    totals = sorted(diff.totals, key=lambda t: (t.direction == "same", t.student_id))
    return {"title": title, "summary": diff.summary, "state": state, "changes": diff.changes, "totals": totals}


def diff_html(diff: RegradeDiff, *, title: str, applied: bool) -> str:
    """The page ``diff.html``: template ``term/regrade_diff.html`` of :mod:`autograder.pages` (every text escaped)."""
    return render("term/regrade_diff.html", **diff_context(diff, title=title, applied=applied))


def write_diff(folder: Path, diff: RegradeDiff, *, title: str, applied: bool) -> Sequence[Path]:
    paths = (folder / "diff.csv", folder / "diff.html")
    write_text_atomic(paths[0], diff_csv(diff))
    write_text_atomic(paths[1], diff_html(diff, title=title, applied=applied))
    return paths
