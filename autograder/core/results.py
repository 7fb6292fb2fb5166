"""The typed result of grading one submission, and its renderers (Gradescope JSON, CSV).

The model holds everything; what a student may see is decided by the renderers (``visibility``),
not by the model. Results are frozen: a late penalty or a regrade makes a new object.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from autograder.core.extra_data import ExtraData

CaseStatus = Literal["passed", "failed", "error"]
"""``failed``: the student's code is at fault; ``error``: the grader itself failed (staff must look)."""

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]

TODO_PREFIX = "To do: "
"""How the judge's message for work not attempted yet begins (a constant stub still None); the feedback
and the TA report read it, with the NotImplementedError and undefined-name messages, as "to do"."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data: Any) -> Any:
        """Text from student code (an exception message, stdout, a file name) may hold lone surrogates
        (``raise ValueError('\\ud800')``), which no JSON encoder writes: each becomes U+FFFD."""
        return _valid_unicode(data)


def _valid_unicode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a pair split in two code points is joined; a lone one replaced
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {_valid_unicode(key): _valid_unicode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_valid_unicode(item) for item in value)
    return value


class CaseResult(_Frozen):
    """One hidden test."""

    name: str
    number: str = Field(description="exercise id, e.g. 3.2.1.2")
    score: float
    max_score: float
    status: CaseStatus
    output: str = ""
    visibility: Visibility = "visible"
    nodeid: str = ""
    duration_s: float = 0.0
    student_output: str = ""
    staff_output: str = Field("", description="traceback for staff; never rendered for students")
    secret: bool = Field(False, description="secret data was in play: output and student_output hold "
                                            "neutral text, the originals are in the staff fields")
    secret_reason: str = ""
    staff_message: str = Field("", description="the original message of a secret check (staff only)")
    staff_printed: str = Field("", description="what the student's code printed in a secret check (staff only)")


class WrittenMark(_Frozen):
    """Staff's mark of one written answer (from :class:`autograder.grades.grade.StaffLedger`)."""

    points: float
    rubric: tuple[str, ...] = Field((), description="ids of the rubric items ticked")
    comment: str = Field("", description="shown to the student")
    staff_note: str = Field("", description="staff only; never rendered for students")
    by: str = ""
    at: dt.datetime | None = None


class WrittenAnswer(_Frozen):
    """A written-answer cell of the submission, graded by staff, not by a test."""

    question: str = Field(description="the question's id, as the master declares it")
    exercise: str = Field("", description="the exercise it belongs to")
    max_points: float = 0.0
    text: str = ""
    mark: WrittenMark | None = Field(None, description="None: awaiting staff")


class AppliedAdjustment(_Frozen):
    """A staff adjustment in force: it sets one test's or one exercise's points."""

    id: str
    test: str = ""
    exercise: str = ""
    autograded: float = Field(0.0, description="what the autograder gave the target, before this adjustment")
    points: float = Field(0.0, description="the points staff set")
    reason: str = Field("", description="shown to the student as 'adjusted by staff: <reason>'")
    staff_note: str = Field("", description="staff only; never rendered for students")
    by: str = ""
    at: dt.datetime | None = None

    @property
    def delta(self) -> float:
        return round(self.points - self.autograded, 4)


class SubmissionResult(_Frozen):
    """One submission. Its JSON form is Gradescope's ``results.json`` plus fields of ours."""

    student_id: str
    sheet: str
    submission: str = Field(description="file name of the graded submission")
    submission_sha256: str = ""
    score: float = 0.0
    max_score: float = 100.0
    execution_time: float = 0.0
    output: str = ""
    gradable: bool = True
    format_errors: str = ""
    grader_error: str = Field("", description="set when grading itself failed; staff must look")
    tests: tuple[CaseResult, ...] = ()
    extra_data: ExtraData = Field(default_factory=ExtraData, description="staff data: autograder.core.extra_data")
    submitted_at: dt.datetime | None = None
    graded_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    late_penalty: float = Field(0.0, description="points deducted for lateness")
    written: tuple[WrittenAnswer, ...] = Field((), description="answers staff grade (autograder.grades.grade)")
    adjustments: tuple[AppliedAdjustment, ...] = Field((), description="staff adjustments in force")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's, which skips validation: an ``extra_data`` given as a mapping is made an
        :class:`ExtraData` here, so every reader of a copy finds the model."""
        if update and "extra_data" in update and not isinstance(update["extra_data"], ExtraData):
            update = {**update, "extra_data": ExtraData.model_validate(dict(update["extra_data"]))}
        return super().model_copy(update=update, deep=deep)

    def with_extra(self, **changes: Any) -> SubmissionResult:
        """The result with ``extra_data`` fields set (see :class:`ExtraData`)."""
        return self.model_copy(update={"extra_data": self.extra_data.updated(**changes)})

    @property
    def written_score(self) -> float:
        return round(sum(a.mark.points for a in self.written if a.mark is not None), 4)

    @property
    def adjustment_total(self) -> float:
        return round(sum(a.delta for a in self.adjustments), 4)

    @property
    def provisional(self) -> bool:
        """Some written answer still awaits staff: the final grade may still change."""
        return any(a.mark is None for a in self.written)

    @property
    def total_before_penalty(self) -> float:
        """Autograded tests + written answers + staff adjustments (what the late policy reduces)."""
        return max(0.0, round(self.score + self.written_score + self.adjustment_total, 4))

    @property
    def final_score(self) -> float:
        return max(0.0, round(self.total_before_penalty - self.late_penalty, 4))

    def exercise_scores(self) -> dict[str, tuple[float, float]]:
        """Exercise id -> (score, max_score), in the order the tests ran."""
        totals: dict[str, tuple[float, float]] = {}
        for case in self.tests:
            got, possible = totals.get(case.number, (0.0, 0.0))
            totals[case.number] = (got + case.score, possible + case.max_score)
        return totals

    @classmethod
    def not_gradable(
        cls, *, student_id: str, sheet: str, submission: str, message: str, max_score: float,
        sha256: str = "", points: Mapping[str, float] | None = None,
    ) -> SubmissionResult:
        """A file that is not a gradable submission: score 0 and a message saying what is wrong."""
        return cls(
            student_id=student_id, sheet=sheet, submission=submission, submission_sha256=sha256,
            max_score=max_score, gradable=False, format_errors=message,
            output=f"This file could not be graded: {message}",
            extra_data=ExtraData(exercise_max=dict(points or {})),
        )

    @classmethod
    def crashed(
        cls, *, student_id: str, sheet: str, submission: str, message: str, max_score: float,
        sha256: str = "", points: Mapping[str, float] | None = None,
    ) -> SubmissionResult:
        """Grading itself failed: a result is still written, marked for staff."""
        return cls(
            student_id=student_id, sheet=sheet, submission=submission, submission_sha256=sha256,
            max_score=max_score, grader_error=message,
            output="Grading failed because of a problem on our side; course staff have been told.",
            extra_data=ExtraData(exercise_max=dict(points or {})),
        )


# --------------------------------------------------------------------------- renderers


def to_gradescope(result: SubmissionResult, *, include_staff: bool = False) -> dict[str, Any]:
    """Gradescope's results.json schema plus our fields. Hidden cases keep only their score."""
    tests = []
    for case in result.tests:
        entry: dict[str, Any] = {
            "name": case.name,
            "number": case.number,
            "score": case.score,
            "max_score": case.max_score,
            "status": case.status,
            "output": case.output,
            "visibility": case.visibility,
        }
        if case.student_output:
            entry["output"] = (
                f"{case.output}\n\nYour code printed:\n{case.student_output}"
                if case.output else f"Your code printed:\n{case.student_output}"
            )
        if include_staff:  # the staff copy keeps the parts apart, so read_result can rebuild the case
            entry["message"] = case.output
            entry["student_output"] = case.student_output
            entry["nodeid"] = case.nodeid
            entry["staff_output"] = case.staff_output
            entry["duration_s"] = case.duration_s
            if case.secret:
                entry.update(secret=True, secret_reason=case.secret_reason,
                             staff_message=case.staff_message, staff_printed=case.staff_printed)
        tests.append(entry)
    # model_copy(update=...) skips the validators, so text from student code (a file name with
    # undecodable bytes in extra_data) is made valid here, where every written result passes
    data = _valid_unicode(result.model_dump(mode="json", exclude={"tests"}))
    data["tests"] = tests
    data["score"] = result.final_score
    data["raw_score"] = result.score
    if not include_staff:
        data.pop("grader_error", None)
        for adjustment in data.get("adjustments", ()):
            adjustment.pop("staff_note", None)
        for answer in data.get("written", ()):
            if isinstance(answer.get("mark"), dict):
                answer["mark"].pop("staff_note", None)
            answer["status"] = "graded" if answer.get("mark") else "awaiting staff"
        data["provisional"] = result.provisional
        if isinstance(data.get("extra_data"), dict):  # charts of checks that used secret data
            data["extra_data"].pop("staff_plots", None)
    return data


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader (or a crash) never sees it half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


def write_result(out_dir: Path, result: SubmissionResult) -> Path:
    """``<out_dir>/<student id>.json``, with staff fields (the out dir is staff-only)."""
    path = out_dir / f"{result.student_id}.json"
    write_json_atomic(path, to_gradescope(result, include_staff=True))
    return path


def read_result(path: Path) -> SubmissionResult:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["score"] = data.pop("raw_score", data.get("score", 0.0))
    cases = []
    for case in data.pop("tests", []):
        if "message" in case:
            case["output"] = case.pop("message")
        cases.append(CaseResult(**{k: v for k, v in case.items() if k in CaseResult.model_fields}))
    fields = {k: v for k, v in data.items() if k in SubmissionResult.model_fields}
    return SubmissionResult(**fields, tests=tuple(cases))


def grades_table(
    results: Iterable[SubmissionResult], exercises: Iterable[str], *, id_column: str = "student_id"
) -> str:
    """CSV: one row per student, one column per exercise (autograded), then the grade's parts
    (``autograded`` tests, ``written`` answers, staff ``adjustments``, ``late_penalty``), the ``final``
    score, ``max``, ``provisional`` (a written answer still awaits staff) and ``gradable``.

    The parts are those the result carries: callers apply the staff ledger and the late policy first
    (:func:`autograder.outputs.exports.finalize_result`), so every grades.csv of one result agrees.
    """
    exercise_ids = list(exercises)
    rows = [[id_column, *exercise_ids, "autograded", "written", "adjustments", "late_penalty", "final", "max",
             "provisional", "gradable"]]
    for result in sorted(results, key=lambda r: r.student_id):
        per = result.exercise_scores()
        rows.append([
            result.student_id,
            *(_fmt(per.get(ex, (0.0, 0.0))[0]) for ex in exercise_ids),
            _fmt(result.score), _fmt(result.written_score), _fmt(result.adjustment_total),
            _fmt(result.late_penalty), _fmt(result.final_score), _fmt(result.max_score),
            "yes" if result.provisional else "no", "yes" if result.gradable else "no",
        ])
    return csv_text(rows)


NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: OWASP's defence against CSV (formula) injection.

    A text cell that starts with ``= + - @``, a tab or a line break gets a leading ``'``, which
    Excel, LibreOffice and Google Sheets read as "text" (plain numbers such as ``-1.5`` stay numbers).
    """
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Every CSV the project writes goes through here, so that no cell is ever a live formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _is_number(text: str) -> bool:
    return NUMBER.fullmatch(text) is not None


def _fmt(value: float) -> str:
    return f"{value:g}"
