"""Write graded results into an nbgrader gradebook, so that formgrader shows them.

Each exercise of the sheet becomes one autograded grade cell (``autograder-<exercise>``, a code cell
whose ``max_score`` is the exercise's points) in one notebook of the assignment; each student's
result becomes a submission whose grades carry the scores, as ``auto_score`` (what ``nbgrader
autograde`` writes; TAs may still override it by hand in formgrader) or as ``manual_score``. The
late penalty goes to nbgrader's own ``late_submission_penalty``. Running it again updates the
same rows. Everything goes through :class:`nbgrader.api.Gradebook`: no SQL of our own.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autograder.core.config import SheetConfig
from autograder.core.errors import UsageError
from autograder.core.results import SubmissionResult, read_result
from autograder.grades.grade import StaffLedger, apply_staff, staffed_exercise_scores

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

GRADE_CELL_PREFIX = "autograder-"
ScoreField = Literal["auto", "manual"]


@dataclass(frozen=True)
class GradebookExport:
    """What was written: students and exercise ids, in order."""

    assignment: str
    notebook: str
    students: tuple[str, ...]
    exercises: tuple[str, ...]


def gradebook_url(db_url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as given, else ``sqlite:///`` for a file path (nbgrader's ``gradebook.db``)."""
    text = str(db_url_or_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def load_results(results_dir: Path) -> list[SubmissionResult]:
    """Every ``<student>.json`` in ``results_dir`` (``grades.csv`` and hidden files are skipped)."""
    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results; grade first (autograder grade ... --out)")
    results = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            results.append(read_result(path))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path} is not a result file ({exc}); remove it or grade again") from None
    if not results:
        raise UsageError(f"no <student>.json results in {results_dir}")
    return results


def exercise_points(results: Iterable[SubmissionResult]) -> dict[str, float]:
    """Exercise id -> points, from the results themselves (when no sheet config is given)."""
    points: dict[str, float] = {}
    for result in results:
        for exercise, value in result.extra_data.exercise_max.items():
            points.setdefault(exercise, value)
        for exercise, (_, possible) in result.exercise_scores().items():
            points.setdefault(exercise, possible)
    return points


def export_to_gradebook(
    *,
    results_dir: Path,
    db_url_or_path: str | Path,
    assignment: str,
    notebook: str | None = None,
    points: Mapping[str, float] | None = None,
    score_field: ScoreField = "auto",
    course_id: str = "default_course",
    duedate: dt.datetime | None = None,
    sheet: SheetConfig | None = None,
) -> GradebookExport:
    """Write every result in ``results_dir`` into the gradebook as ``assignment``.

    ``notebook``: the nbgrader notebook name (default: the assignment's name); ``points``: exercise id
    -> points (default: read from the results). Students, the assignment, its notebook and grade
    cells are created as needed.
    """
    try:
        from nbgrader.api import Gradebook
    except ImportError:
        raise UsageError("nbgrader is not installed: pip install nbgrader") from None
    if score_field not in ("auto", "manual"):
        raise UsageError(f"score_field must be auto or manual, not {score_field!r}")
    results = staffed(load_results(results_dir), StaffLedger.for_results(results_dir), sheet)
    exercise_max = dict(points) if points is not None else exercise_points(results)
    exercise_max |= {WRITTEN_PREFIX + a.question: a.max_points for r in results for a in r.written}
    notebook_name = notebook or assignment
    with _alembic_on_path(), Gradebook(gradebook_url(db_url_or_path), course_id=course_id) as gradebook:
        _ensure_structure(gradebook, assignment=assignment, notebook=notebook_name,
                          exercise_max=exercise_max, duedate=duedate)
        for result in results:
            _write_result(gradebook, result, assignment=assignment, notebook=notebook_name,
                          exercises=exercise_max, score_field=score_field)
    return GradebookExport(assignment=assignment, notebook=notebook_name,
                           students=tuple(r.student_id for r in results), exercises=tuple(exercise_max))


@contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader stamps a new gradebook by running the ``alembic`` command found on PATH; from a
    virtual environment that is not activated, it is next to this interpreter instead."""
    here = os.path.dirname(sys.executable)
    if shutil.which("alembic") or not os.path.exists(os.path.join(here, "alembic")):
        yield
        return
    before = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(filter(None, [here, before]))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


WRITTEN_PREFIX = "written-"


def staffed(results: list[SubmissionResult], ledger: StaffLedger, sheet: SheetConfig | None) -> list[SubmissionResult]:
    """Staff's adjustments and written marks folded in (grade cells per exercise with adjustments, one per
    written question), then the late policy on the whole when the sheet is known: formgrader's total
    minus its late penalty is the final grade every other export shows."""
    from autograder.grades.late import apply_late_policy

    folded = [apply_staff(result, ledger) for result in results]
    return [apply_late_policy(result, sheet) for result in folded] if sheet is not None else folded


def grade_cell_name(exercise: str) -> str:
    return f"{GRADE_CELL_PREFIX}{exercise}"


def _ensure_structure(
    gradebook: Gradebook, *, assignment: str, notebook: str, exercise_max: Mapping[str, float],
    duedate: dt.datetime | None,
) -> None:
    extra = {"duedate": duedate} if duedate is not None else {}
    gradebook.update_or_create_assignment(assignment, **extra)
    gradebook.update_or_create_notebook(notebook, assignment)
    for exercise, max_score in exercise_max.items():
        gradebook.update_or_create_grade_cell(grade_cell_name(exercise), notebook, assignment,
                                              max_score=float(max_score), cell_type="code")


def _write_result(
    gradebook: Gradebook, result: SubmissionResult, *, assignment: str, notebook: str,
    exercises: Mapping[str, float], score_field: ScoreField,
) -> None:
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

    gradebook.update_or_create_student(result.student_id)
    extra = {"timestamp": result.submitted_at} if result.submitted_at else {}
    submission = gradebook.update_or_create_submission(assignment, result.student_id, **extra)
    try:
        submitted = gradebook.find_submission_notebook(notebook, assignment, result.student_id)
    except MissingEntry:  # the notebook was added after this submission: mirror it now
        submitted = SubmittedNotebook(notebook=gradebook.find_notebook(notebook, assignment), assignment=submission)
        gradebook.db.add(submitted)
    scores = staffed_exercise_scores(result) if result.gradable else {}
    scores |= {WRITTEN_PREFIX + a.question: a.mark.points for a in result.written if a.mark is not None}
    for exercise, max_score in exercises.items():
        cell = grade_cell_name(exercise)
        try:
            grade = gradebook.find_grade(cell, notebook, assignment, result.student_id)
        except MissingEntry:  # a grade cell added after this submission existed
            grade_cell = gradebook.find_grade_cell(cell, notebook, assignment)
            grade = Grade(cell_id=grade_cell.id, notebook=submitted)
            gradebook.db.add(grade)
        score = max(0.0, min(float(max_score), scores.get(exercise, 0.0)))
        if score_field == "auto":
            grade.auto_score = score
        else:
            grade.manual_score = score
    submitted.late_submission_penalty = result.late_penalty or None
    gradebook.db.commit()
