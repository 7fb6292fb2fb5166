"""Staff adjustments from the command line: validate, write to the ledger, list the audit log.

The ledger (:class:`autograder.grades.grade.StaffLedger`, ``RESULTS_DIR/staff/adjustments.jsonl``) is
append-only; an adjustment *sets* a test's or an exercise's points and survives regrades until it
is removed. After each change ``grades.csv`` is rewritten, so it agrees with every other export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import UsageError
from autograder.core.results import SubmissionResult
from autograder.grades.grade import AdjustmentEntry, StaffLedger
from autograder.term.regrade import result_files, write_grades


def _student_result(results_dir: Path, sheet: str, student: str) -> SubmissionResult:
    results = {result.student_id: result for _, result in result_files(results_dir, sheet)}
    if student not in results:
        known = ", ".join(sorted(results)[:10]) or "none"
        raise UsageError(f"no result of {sheet} for student {student!r} in {results_dir} (students: {known})")
    return results[student]


def add_adjustment(
    *, config: CourseConfig, sheet: str, results_dir: Path, student: str, points: float, reason: str,
    test: str | None = None, exercise: str | None = None, by: str = "", note: str = "",
) -> AdjustmentEntry:
    """Set ``student``'s points on one test (node id or name) or one exercise; usage errors say what is wrong."""
    sheet_config = config.sheet(sheet)
    entry = validated_entry(sheet_config, _student_result(results_dir, sheet, student), test=test,
                            exercise=exercise, points=points, reason=reason, by=by, note=note)
    StaffLedger.for_results(results_dir).add_adjustment(entry)
    write_grades(config, sheet, results_dir)
    return entry


def validated_entry(
    sheet: SheetConfig, result: SubmissionResult, *, test: str | None, exercise: str | None, points: float,
    reason: str, by: str = "", note: str = "",
) -> AdjustmentEntry:
    """The ledger entry for an adjustment of ``result``'s student, or a UsageError saying what is wrong
    (shared by the command line and the service's staff page)."""
    student = result.student_id
    if bool(test) == bool(exercise):
        raise UsageError("give exactly one of --test NODEID or --exercise ID")
    if not reason.strip():
        raise UsageError("--reason is required: the student reads it as 'adjusted by staff: <reason>'")
    if test:
        cases = [case for case in result.tests if test in (case.nodeid, case.name)]
        if len(cases) != 1:
            names = ", ".join(case.nodeid or case.name for case in result.tests[:8])
            raise UsageError(f"{student} has {'no' if not cases else 'more than one'} test {test!r}; give its "
                             f"node id (e.g. {names})")
        target, maximum, autograded = cases[0].nodeid or cases[0].name, cases[0].max_score, cases[0].score
    else:
        assert exercise is not None
        if exercise not in sheet.points:
            raise UsageError(f"{sheet.name} has no exercise {exercise!r}; choose one of {', '.join(sheet.points)}")
        target, maximum = exercise, float(sheet.points[exercise])
        autograded = result.exercise_scores().get(exercise, (0.0, 0.0))[0]
    if not 0.0 <= points <= maximum:
        raise UsageError(f"--points {points:g} is outside [0, {maximum:g}] for {target}")
    return AdjustmentEntry(student_id=student, test=target if test else "", exercise=target if exercise else "",
                           points=points, old_points=autograded, reason=reason.strip(), staff_note=note, by=by)


def remove_adjustment(*, config: CourseConfig, sheet: str, results_dir: Path, adjustment_id: str, by: str = "",
                      reason: str = "") -> AdjustmentEntry:
    config.sheet(sheet)
    try:
        entry = StaffLedger.for_results(results_dir).remove_adjustment(adjustment_id, by=by, reason=reason)
    except KeyError:
        raise UsageError(f"no adjustment in force with id {adjustment_id!r} (see `autograder adjust SHEET "
                         "RESULTS_DIR --list`)") from None
    write_grades(config, sheet, results_dir)
    return entry


def audit_rows(results_dir: Path) -> list[dict[str, Any]]:
    """The audit log: every adjustment set or removed, oldest first (who, when, old, new, reason, note)."""
    ledger = StaffLedger.for_results(results_dir)
    active = {entry.id for entry in ledger.adjustments()}
    sets = {entry.id: entry for entry in ledger.audit() if entry.action == "set"}
    rows = []
    for entry in ledger.audit():
        target = f"test {entry.test}" if entry.test else f"exercise {entry.exercise}"
        if entry.action == "set":
            old = "" if entry.old_points is None else f"{entry.old_points:g}"
            new = f"{entry.points:g}"
        else:
            removed = sets.get(entry.removes)
            old, new = (f"{removed.points:g}" if removed else "?"), "autograded"
        rows.append({"id": entry.id if entry.action == "set" else entry.removes, "action": entry.action,
                     "in_force": entry.action == "set" and entry.id in active, "at": entry.at.isoformat(),
                     "by": entry.by, "student": entry.student_id, "target": target, "old": old, "new": new,
                     "reason": entry.reason, "staff_note": entry.staff_note})
    return rows
