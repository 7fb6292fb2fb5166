"""Exports of a graded batch: ``grades.csv``, Gradescope ``results.json`` per student, an LMS CSV, feedback pages.

Every export first *finalizes* each result (:func:`finalize_result`: the late policy, then the
student's markdown summary in ``output``) and keeps one result per student (the one the sheet's
``counted_submission`` rule picks), so the penalty a student sees is the one in the grade book.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.mdtext import case_markdown
from autograder.core.results import (
    SubmissionResult,
    csv_text,
    grades_table,
    read_result,
    to_gradescope,
    write_json_atomic,
)
from autograder.grades.grade import StaffLedger, apply_staff
from autograder.grades.late import LatePenaltyFn, apply_late_policy, counted_per_student
from autograder.outputs.feedback import (
    FeedbackContext,
    context_for,
    student_markdown,
    with_summary,
    write_feedback_pages,
)
from autograder.outputs.staff_view import staff_notes


def finalize_result(result: SubmissionResult, context: FeedbackContext, *,
                    custom: LatePenaltyFn | None = None, ledger: StaffLedger | None = None) -> SubmissionResult:
    """Staff's adjustments and written marks (``ledger``), the late penalty from the result's own
    timestamp, then the summary at the top of ``output``."""
    staffed = apply_staff(result, ledger)
    return with_summary(apply_late_policy(staffed, context.sheet, custom=custom), context)


def load_results(results_dir: Path, *, sheet: str | None = None) -> list[SubmissionResult]:
    """Every ``*.json`` result in ``results_dir`` (not its subfolders); other JSON files are skipped."""
    found = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "student_id" not in data or "tests" not in data:
            continue
        try:
            result = read_result(path)
        except (OSError, ValueError):
            continue
        if sheet is None or result.sheet == sheet:
            found.append(result)
    return found


def gradescope_json(result: SubmissionResult, context: FeedbackContext) -> dict[str, Any]:
    """What a student may see, in Gradescope's schema: no staff fields (no ``extra_data``: it holds
    host paths, the sandbox uid and warnings naming the hidden suite; no grader error). ``output`` and
    every test's ``output`` are markdown with all student text escaped (:func:`autograder.core.mdtext.md_block`):
    the summary, then the notebook's own output; a check's message, then what the code printed.
    Each test keeps Gradescope's ``visibility``, which Gradescope applies as our rule does."""
    data = to_gradescope(result, include_staff=False)
    data.pop("extra_data", None)
    for entry, case in zip(data["tests"], result.tests, strict=True):
        entry["output"] = case_markdown(case)
    staff_notes(data, result)
    data["output"] = student_markdown(result, context)
    data["output_format"] = "md"
    data["test_output_format"] = "md"
    return data


def lms_table(results: Iterable[SubmissionResult], *, id_column: str, grade_column: str) -> str:
    """Two columns an LMS gradebook import understands: the student id and the final points."""
    rows = [[id_column, grade_column]]
    rows += [[result.student_id, f"{result.final_score:g}"] for result in sorted(results, key=lambda r: r.student_id)]
    return csv_text(rows)


@dataclass
class ExportSummary:
    results: list[SubmissionResult]
    written: list[Path] = field(default_factory=list)
    superseded: int = 0


def export_results(
    *, config: CourseConfig, sheet: SheetConfig, results: Sequence[SubmissionResult], out_dir: Path,
    lms: Path | None = None, lms_grade_column: str | None = None, feedback: bool = True,
    custom: LatePenaltyFn | None = None, ledger: StaffLedger | None = None,
) -> ExportSummary:
    """Write ``grades.csv``, ``gradescope/<student>/results.json``, ``feedback/<student>.html`` and the LMS CSV.

    ``ledger``: staff's adjustments and written marks (:meth:`StaffLedger.for_results` of the results folder)."""
    context = context_for(config, sheet)
    finalized = [finalize_result(result, context, custom=custom, ledger=ledger) for result in results]
    counted = counted_per_student(finalized, sheet)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "grades.csv"]
    written[0].write_text(grades_table(counted, sheet.points, id_column=config.student_id_column), encoding="utf-8")
    for result in counted:
        path = out_dir / "gradescope" / result.student_id / "results.json"
        write_json_atomic(path, gradescope_json(result, context))
        written.append(path)
    if feedback:
        written += write_feedback_pages(counted, context, out_dir / "feedback")
    if lms is not None:
        lms.parent.mkdir(parents=True, exist_ok=True)
        lms.write_text(lms_table(counted, id_column=config.student_id_column,
                                 grade_column=lms_grade_column or sheet.name), encoding="utf-8")
        written.append(lms)
    return ExportSummary(results=counted, written=written, superseded=len(finalized) - len(counted))
