"""Written answers offline: ``autograder written SHEET RESULTS_DIR --export written.csv / --import written.csv``.

The export has one row per student and question: the answer (formula-safe, through
:func:`autograder.core.results.csv_text`), the latest mark if any, and empty cells to fill in. Staff fill
``points`` (or leave it empty and tick ``rubric`` items, separated by ``;``: the points are then the
ticked items' sum), ``comment`` (the student sees it) and ``staff_note`` (staff only), then import.

The import checks the whole file first and writes nothing when any row is wrong (an unknown student
or question, points outside ``[0, max]``, an unknown rubric item: a :class:`UsageError`, exit 2,
listing the rows). A row equal to the latest mark is skipped, so importing the same file twice adds
no mark. The marks go to the staff ledger (``RESULTS_DIR/staff/written.jsonl``) and the results in
RESULTS_DIR are written again with them, so every export and feedback page shows them.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import UsageError
from autograder.core.results import (
    FORMULA_STARTS,
    SubmissionResult,
    csv_text,
    grades_table,
    write_result,
    write_text_atomic,
)
from autograder.grades.grade import StaffLedger, WrittenEntry

COLUMNS = ("student_id", "question", "exercise", "max_points", "answer", "points", "rubric", "comment",
           "staff_note", "graded_by", "graded_at")
REQUIRED = ("student_id", "question", "points", "rubric", "comment", "staff_note")
MAX_COMMENT_CHARS = 4000


@dataclass
class ImportSummary:
    added: list[WrittenEntry] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0

    def describe(self) -> str:
        return (f"{len(self.added)} mark(s) added, {self.unchanged} unchanged, "
                f"{self.skipped} row(s) without points or rubric items left awaiting staff")


def sheet_results(config: CourseConfig, sheet: SheetConfig, results_dir: Path) -> list[SubmissionResult]:
    """The sheet's results in RESULTS_DIR with the ledger's marks applied (each student once)."""
    from autograder.grades.grade import apply_staff
    from autograder.outputs.exports import load_results

    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results; give the --out folder of `autograder grade`")
    ledger = StaffLedger.for_results(results_dir)
    return [apply_staff(result, ledger) for result in load_results(results_dir, sheet=sheet.name)]


def export_csv(config: CourseConfig, sheet: SheetConfig, results_dir: Path) -> str:
    if not sheet.written:
        raise UsageError(f"{sheet.name} has no written questions (declare them in its master: docs/authoring.md)")
    rows: list[list[object]] = [list(COLUMNS)]
    for result in sorted(sheet_results(config, sheet, results_dir), key=lambda r: r.student_id):
        answers = {answer.question: answer for answer in result.written}
        for question in sheet.written:
            answer = answers.get(question.id)
            mark = answer.mark if answer is not None else None
            rows.append([
                result.student_id, question.id, question.exercise, f"{question.points:g}",
                answer.text if answer is not None else "",
                f"{mark.points:g}" if mark else "", ";".join(mark.rubric) if mark else "",
                mark.comment if mark else "", mark.staff_note if mark else "",
                mark.by if mark else "", mark.at.isoformat() if mark and mark.at else "",
            ])
    return csv_text(rows)


def _plain(cell: str | None) -> str:
    """A cell as staff typed it: the ``'`` :func:`csv_text` put before a formula-like text removed."""
    text = (cell or "").strip()
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _row_entry(row: dict[str, str], line: int, sheet: SheetConfig, students: set[str], by: str,
               problems: list[str]) -> WrittenEntry | None:
    """The mark one row gives, or None (nothing to import, or a problem appended to ``problems``)."""
    student, question_id = _plain(row.get("student_id")), _plain(row.get("question"))
    question = next((q for q in sheet.written if q.id == question_id), None)
    where = f"line {line} ({student or '?'}, {question_id or '?'})"
    if student not in students:
        problems.append(f"{where}: no result for student {student!r} in this folder")
        return None
    if question is None:
        known = ", ".join(q.id for q in sheet.written)
        problems.append(f"{where}: {sheet.name} has no written question {question_id!r} (it has: {known})")
        return None
    items = {item.id: item for item in question.rubric}
    ticked = tuple(dict.fromkeys(i.strip() for i in _plain(row.get("rubric")).split(";") if i.strip()))
    unknown = [i for i in ticked if i not in items]
    if unknown:
        problems.append(f"{where}: unknown rubric item(s) {', '.join(unknown)} (the question has: "
                        f"{', '.join(items) or 'none'})")
        return None
    text = _plain(row.get("points"))
    if not text and not ticked:
        return None
    try:
        points = float(text) if text else sum(items[i].points for i in ticked)
    except ValueError:
        problems.append(f"{where}: points {text!r} is not a number")
        return None
    if not math.isfinite(points) or not 0 <= points <= question.points + 1e-9:
        problems.append(f"{where}: points {text!r} outside [0, {question.points:g}]")
        return None
    comment, note = _plain(row.get("comment")), _plain(row.get("staff_note"))
    if len(comment) > MAX_COMMENT_CHARS or len(note) > MAX_COMMENT_CHARS:
        problems.append(f"{where}: the comment or note is longer than {MAX_COMMENT_CHARS} characters")
        return None
    return WrittenEntry(student_id=student, question=question.id, points=round(points, 4), rubric=ticked,
                        comment=comment, staff_note=note, by=by)


def parse_csv(text: str, sheet: SheetConfig, students: set[str], *, by: str) -> list[WrittenEntry]:
    """Every mark the CSV gives; a UsageError listing the wrong rows when any is wrong."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    missing = [column for column in REQUIRED if column not in (reader.fieldnames or ())]
    if missing:
        raise UsageError(f"the CSV lacks the column(s) {', '.join(missing)}; start from `--export`")
    problems: list[str] = []
    entries = []
    for row in reader:
        entry = _row_entry(row, reader.line_num, sheet, students, by, problems)
        if entry is not None:
            entries.append(entry)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise UsageError(f"nothing imported: {len(problems)} row(s) are wrong: {shown}")
    return entries


def _same(entry: WrittenEntry, latest: WrittenEntry | None) -> bool:
    return latest is not None and (latest.points, tuple(latest.rubric), latest.comment, latest.staff_note) == (
        entry.points, tuple(entry.rubric), entry.comment, entry.staff_note)


def import_csv(config: CourseConfig, sheet: SheetConfig, results_dir: Path, text: str, *, by: str) -> ImportSummary:
    """Add the CSV's marks to the ledger (those that change a mark), then rewrite the results."""
    if not sheet.written:
        raise UsageError(f"{sheet.name} has no written questions")
    results = sheet_results(config, sheet, results_dir)
    entries = parse_csv(text, sheet, {r.student_id for r in results}, by=by)
    ledger = StaffLedger.for_results(results_dir)
    latest = ledger.written_marks()
    summary = ImportSummary(skipped=sum(1 for _ in csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
                            - len(entries))
    for entry in entries:
        if _same(entry, latest.get((entry.student_id, entry.question))):
            summary.unchanged += 1
            continue
        latest[(entry.student_id, entry.question)] = ledger.mark_written(entry)
        summary.added.append(entry)
    if summary.added:
        refresh_results(config, sheet, results_dir, {e.student_id for e in summary.added})
    return summary


def refresh_results(config: CourseConfig, sheet: SheetConfig, results_dir: Path, students: set[str]) -> None:
    """Write these students' results again with the ledger's marks (summary and late penalty anew)."""
    from autograder.outputs.exports import finalize_result, load_results
    from autograder.outputs.feedback import context_for

    context = context_for(config, sheet)
    ledger = StaffLedger.for_results(results_dir)
    results = []
    for result in load_results(results_dir, sheet=sheet.name):
        if result.student_id in students:
            result = finalize_result(result, context, ledger=ledger)
            write_result(results_dir, result)
        results.append(result)
    if (results_dir / "grades.csv").is_file():  # its final column counts the written points
        write_text_atomic(results_dir / "grades.csv",
                          grades_table(results, sheet.points, id_column=config.student_id_column))


def pending_summary(config: CourseConfig, sheet: SheetConfig, results_dir: Path) -> str:
    """One line per question: how many answers are graded and how many await staff."""
    results = sheet_results(config, sheet, results_dir)
    lines = []
    for question in sheet.written:
        answers = [a for r in results for a in r.written if a.question == question.id]
        graded = sum(a.mark is not None for a in answers)
        unit = "point" if question.points == 1 else "points"
        lines.append(f"{question.id} ({question.exercise}, {question.points:g} {unit}): {graded} graded, "
                     f"{len(answers) - graded} awaiting staff")
    return "\n".join(lines) or f"{sheet.name} has no written questions"
