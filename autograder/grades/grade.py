"""A student's grade in parts: autograded tests + written answers graded by staff + staff adjustments - late penalty.

The autograded part is the result's ``score`` (its tests). What staff decide lives in a
:class:`StaffLedger`, a folder of append-only JSON-lines files (``RESULTS_DIR/staff/`` for the
command line, ``<data dir>/staff/<sheet>/`` for the service): every entry says who set it, when and
why, and no entry is ever rewritten, so the ledger is its own audit log. :func:`apply_staff` folds
the ledger into a result (a new frozen object, like the late policy); every renderer then reads the
parts and :attr:`SubmissionResult.final_score` from the result, so all of them agree.

- An adjustment *sets* one test's points (``test``: its node id) or one exercise's points
  (``exercise``) to ``points``; its effect is ``points`` minus what the autograder gave, computed
  anew on every application, so it survives a regrade until staff remove it.
- A written answer's mark is the latest one staff gave for that student and question; until there
  is one, the answer is "awaiting staff" and the grade is provisional.
- The late penalty is the lateness fraction of everything before it (tests + written + adjustments).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from autograder.core.jsonlines import append_line, folder_lock, read_lines
from autograder.core.results import AppliedAdjustment, SubmissionResult, WrittenMark


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AdjustmentEntry(_Entry):
    """One line of ``adjustments.jsonl``: an adjustment set, or (``action="remove"``) one taken back."""

    action: Literal["set", "remove"] = "set"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    student_id: str
    test: str = Field("", description="node id of the adjusted test (or empty)")
    exercise: str = Field("", description="id of the adjusted exercise (or empty)")
    points: float = 0.0
    old_points: float | None = Field(None, description="what the autograder gave when it was set")
    reason: str = Field("", description="shown to the student: 'adjusted by staff: <reason>'")
    staff_note: str = Field("", description="staff only; never rendered for students")
    by: str = ""
    at: dt.datetime = Field(default_factory=_now)
    removes: str = Field("", description="for action 'remove': the id of the adjustment taken back")


class WrittenEntry(_Entry):
    """One line of ``written.jsonl``: staff's mark of one student's answer to one question."""

    student_id: str
    question: str
    points: float
    rubric: tuple[str, ...] = Field((), description="ids of the rubric items ticked")
    comment: str = Field("", description="shown to the student")
    staff_note: str = Field("", description="staff only")
    by: str = ""
    at: dt.datetime = Field(default_factory=_now)


class StaffLedger:
    """Staff's decisions for one sheet, in a folder: ``adjustments.jsonl`` and ``written.jsonl``."""

    ADJUSTMENTS = "adjustments.jsonl"
    WRITTEN = "written.jsonl"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_results(cls, results_dir: Path) -> StaffLedger:
        return cls(results_dir / "staff")

    # ----------------------------------------------------------------------- writing
    def _append(self, name: str, entry: BaseModel) -> None:
        with folder_lock(self.folder):
            append_line(self.folder / name, entry)

    def add_adjustment(self, entry: AdjustmentEntry) -> AdjustmentEntry:
        if entry.action != "set" or bool(entry.test) == bool(entry.exercise):
            raise ValueError("an adjustment names exactly one test or one exercise")
        self._append(self.ADJUSTMENTS, entry)
        return entry

    def remove_adjustment(self, adjustment_id: str, *, by: str = "", reason: str = "") -> AdjustmentEntry:
        target = next((a for a in self.adjustments() if a.id == adjustment_id), None)
        if target is None:
            raise KeyError(f"no active adjustment with id {adjustment_id!r}")
        entry = AdjustmentEntry(action="remove", student_id=target.student_id, test=target.test,
                                exercise=target.exercise, removes=adjustment_id, by=by, reason=reason)
        self._append(self.ADJUSTMENTS, entry)
        return entry

    def mark_written(self, entry: WrittenEntry) -> WrittenEntry:
        self._append(self.WRITTEN, entry)
        return entry

    # ----------------------------------------------------------------------- reading
    def _read(self, name: str, model: type[_Entry]) -> list[Any]:
        return read_lines(self.folder / name, model)

    def audit(self) -> list[AdjustmentEntry]:
        """Every adjustment entry ever written, oldest first (set and remove)."""
        return self._read(self.ADJUSTMENTS, AdjustmentEntry)

    def adjustments(self, student_id: str | None = None) -> list[AdjustmentEntry]:
        """The adjustments in force: set and not removed; a later one for the same target replaces an earlier."""
        entries = self.audit()
        removed = {e.removes for e in entries if e.action == "remove"}
        active: dict[tuple[str, str, str], AdjustmentEntry] = {}
        for entry in entries:
            if entry.action == "set" and entry.id not in removed:
                active[(entry.student_id, entry.test, entry.exercise)] = entry
        return [e for e in active.values() if student_id is None or e.student_id == student_id]

    def written_history(self) -> list[WrittenEntry]:
        return self._read(self.WRITTEN, WrittenEntry)

    def written_marks(self, student_id: str | None = None) -> dict[tuple[str, str], WrittenEntry]:
        """(student, question) -> the latest mark."""
        latest: dict[tuple[str, str], WrittenEntry] = {}
        for entry in self.written_history():
            if student_id is None or entry.student_id == student_id:
                latest[(entry.student_id, entry.question)] = entry
        return latest


# --------------------------------------------------------------------------- folding into a result


def apply_staff(result: SubmissionResult, ledger: StaffLedger | None) -> SubmissionResult:
    """The result with the ledger's adjustments and written marks (replacing any it carried)."""
    if ledger is None:
        return result
    return with_staff(result, ledger.adjustments(result.student_id), ledger.written_marks(result.student_id))


def with_staff(result: SubmissionResult, adjustments: Iterable[AdjustmentEntry],
               marks: dict[tuple[str, str], WrittenEntry]) -> SubmissionResult:
    """Test adjustments first, then exercise adjustments (which set the exercise's total, test
    adjustments inside it included)."""
    entries = sorted(adjustments, key=lambda e: e.at)
    applied = [_applied(entry, _test_points(result, entry.test)) for entry in entries if entry.test]
    exercise_of = {case.nodeid: case.number for case in result.tests} | {case.name: case.number for case in result.tests}
    for entry in (e for e in entries if e.exercise):
        base = result.exercise_scores().get(entry.exercise, (0.0, 0.0))[0]
        base += sum(a.delta for a in applied if a.test and exercise_of.get(a.test) == entry.exercise)
        applied.append(_applied(entry, base))
    written = tuple(
        answer.model_copy(update={"mark": _mark(marks.get((result.student_id, answer.question)))})
        for answer in result.written
    )
    return result.model_copy(update={"adjustments": tuple(applied), "written": written})


def _test_points(result: SubmissionResult, test: str) -> float:
    return sum(case.score for case in result.tests if test in (case.nodeid, case.name))


def _applied(entry: AdjustmentEntry, autograded: float) -> AppliedAdjustment:
    return AppliedAdjustment(
        id=entry.id, test=entry.test, exercise=entry.exercise, autograded=round(autograded, 4),
        points=entry.points, reason=entry.reason, staff_note=entry.staff_note, by=entry.by, at=entry.at,
    )


def _mark(entry: WrittenEntry | None) -> WrittenMark | None:
    if entry is None:
        return None
    return WrittenMark(points=entry.points, rubric=entry.rubric, comment=entry.comment,
                       staff_note=entry.staff_note, by=entry.by, at=entry.at)


def parts(result: SubmissionResult) -> dict[str, Any]:
    """The grade's parts as plain data (for CSV columns, JSON and pages)."""
    return {
        "autograded": result.score,
        "written": result.written_score,
        "written_pending": [a.question for a in result.written if a.mark is None],
        "adjustments": result.adjustment_total,
        "late_penalty": result.late_penalty,
        "final": result.final_score,
        "max": result.max_score,
        "provisional": result.provisional,
    }


def ledger_json(entries: Iterable[BaseModel]) -> str:
    return json.dumps([json.loads(e.model_dump_json()) for e in entries], indent=2)


# --------------------------------------------------------------------------- where an adjustment sits


def adjustment_on_test(result: SubmissionResult, nodeid: str, name: str = "") -> AppliedAdjustment | None:
    """The adjustment in force on one test (by node id or name), if any."""
    return next((a for a in result.adjustments if a.test and a.test in {nodeid, name} - {""}), None)


def adjustment_on_exercise(result: SubmissionResult, exercise: str) -> AppliedAdjustment | None:
    return next((a for a in result.adjustments if a.exercise == exercise), None)


def staffed_exercise_scores(result: SubmissionResult) -> dict[str, float]:
    """Exercise id -> its points with staff adjustments in force (written answers apart)."""
    scores = {exercise: got for exercise, (got, _) in result.exercise_scores().items()}
    exercise_of = {case.nodeid: case.number for case in result.tests} | {case.name: case.number for case in result.tests}
    for adjustment in result.adjustments:
        exercise = adjustment.exercise or exercise_of.get(adjustment.test, "")
        if exercise:
            scores[exercise] = round(scores.get(exercise, 0.0) + adjustment.delta, 4)
    return scores
