"""``export_to_gradebook`` against the real nbgrader package: a gradebook sqlite in tmp, read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autograder.core.errors import UsageError
from autograder.core.results import CaseResult, SubmissionResult, write_result
from autograder.outputs.nbgrader_export import export_to_gradebook, gradebook_url

api = pytest.importorskip("nbgrader.api")
# nbgrader's own add_submission warns about its autoflush; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

POINTS = {"basics": 4.0, "tensors": 3.0, "objects": 3.0}


def _result(student: str, scores: dict[str, float], **extra: object) -> SubmissionResult:
    cases = tuple(
        CaseResult(name=f"test_{ex}", number=ex, score=got, max_score=POINTS[ex],
                   status="passed" if got == POINTS[ex] else "failed")
        for ex, got in scores.items()
    )
    fields: dict[str, object] = {
        "student_id": student, "sheet": "toy", "submission": "toy.ipynb", "tests": cases,
        "score": sum(scores.values()), "max_score": 10.0, "extra_data": {"exercise_max": POINTS},
        "submitted_at": dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC),
    }
    fields.update(extra)
    return SubmissionResult(**fields)  # type: ignore[arg-type]


def _scores(db: Path, assignment: str, student: str, field: str = "auto_score") -> dict[str, float | None]:
    with api.Gradebook(gradebook_url(db)) as gradebook:
        return {
            cell: getattr(gradebook.find_grade(f"autograder-{cell}", "toy", assignment, student), field)
            for cell in POINTS
        }


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    out = tmp_path / "results"
    write_result(out, _result("alice", {"basics": 4, "tensors": 3, "objects": 3}))
    write_result(out, _result("bob", {"basics": 2, "tensors": 3, "objects": 0}, late_penalty=1.5))
    write_result(out, SubmissionResult.not_gradable(student_id="carol", sheet="toy", submission="x.ipynb",
                                                    message="not a notebook", max_score=10, points=POINTS))
    (out / "grades.csv").write_text("ignored\n")
    return out


def test_scores_land_in_the_gradebook(results_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gradebook.db"
    done = export_to_gradebook(results_dir=results_dir, db_url_or_path=db, assignment="ps1", notebook="toy")
    assert done.students == ("alice", "bob", "carol") and done.exercises == tuple(POINTS)

    assert _scores(db, "ps1", "alice") == {"basics": 4, "tensors": 3, "objects": 3}
    assert _scores(db, "ps1", "bob") == {"basics": 2, "tensors": 3, "objects": 0}
    assert _scores(db, "ps1", "carol") == {"basics": 0, "tensors": 0, "objects": 0}
    with api.Gradebook(gradebook_url(db)) as gradebook:
        assignment = gradebook.find_assignment("ps1")
        assert assignment.max_score == 10
        assert [nb.name for nb in assignment.notebooks] == ["toy"]
        cells = {cell.name: (cell.max_score, cell.cell_type) for cell in assignment.notebooks[0].grade_cells}
        assert cells == {f"autograder-{ex}": (pts, "code") for ex, pts in POINTS.items()}
        bob = gradebook.find_submission("ps1", "bob")
        assert bob.score == 5 and bob.max_score == 10
        assert bob.late_submission_penalty == 1.5
        assert bob.timestamp == dt.datetime(2026, 5, 1, 12, 0)  # nbgrader keeps naive UTC
        assert {s.id for s in gradebook.students} == {"alice", "bob", "carol"}
        # What formgrader's assignment table reads:
        by_student = {row["student"]: row["score"] for row in gradebook.submission_dicts("ps1")}
        assert by_student == {"alice": 10, "bob": 5, "carol": 0}


def test_export_again_updates_in_place(results_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gradebook.db"
    export_to_gradebook(results_dir=results_dir, db_url_or_path=db, assignment="ps1", notebook="toy")
    write_result(results_dir, _result("bob", {"basics": 4, "tensors": 3, "objects": 3}))  # a regrade
    export_to_gradebook(results_dir=results_dir, db_url_or_path=f"sqlite:///{db}", assignment="ps1",
                        notebook="toy")
    assert _scores(db, "ps1", "bob") == {"basics": 4, "tensors": 3, "objects": 3}
    with api.Gradebook(gradebook_url(db)) as gradebook:
        assert len(gradebook.find_assignment("ps1").submissions) == 3
        assert gradebook.find_submission("ps1", "bob").late_submission_penalty == 0


def test_manual_scores_and_cells_added_later(results_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gradebook.db"
    export_to_gradebook(results_dir=results_dir, db_url_or_path=db, assignment="ps1", notebook="toy",
                        points={"basics": 4.0})
    export_to_gradebook(results_dir=results_dir, db_url_or_path=db, assignment="ps1", notebook="toy",
                        points=POINTS, score_field="manual")
    assert _scores(db, "ps1", "bob", "manual_score") == {"basics": 2, "tensors": 3, "objects": 0}
    with api.Gradebook(gradebook_url(db)) as gradebook:
        assert gradebook.find_submission("ps1", "alice").score == 10  # manual scores count


def test_existing_nbgrader_assignment_keeps_its_own_cells(results_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gradebook.db"
    with api.Gradebook(gradebook_url(db)) as gradebook:
        gradebook.add_assignment("ps1")
        gradebook.add_notebook("toy", "ps1")
        gradebook.add_grade_cell("essay", "toy", "ps1", max_score=5, cell_type="markdown")
        gradebook.add_student("alice")
        gradebook.add_submission("ps1", "alice")
    export_to_gradebook(results_dir=results_dir, db_url_or_path=db, assignment="ps1", notebook="toy")
    assert _scores(db, "ps1", "alice") == {"basics": 4, "tensors": 3, "objects": 3}
    with api.Gradebook(gradebook_url(db)) as gradebook:
        assert gradebook.find_assignment("ps1").max_score == 15
        assert gradebook.find_grade("essay", "toy", "ps1", "alice").score == 0


@pytest.mark.parametrize("make", ["missing", "empty", "garbage"])
def test_bad_results_folders_say_what_to_do(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "results"
    if make != "missing":
        folder.mkdir()
    if make == "garbage":
        (folder / "alice.json").write_text("{not json")
    with pytest.raises(UsageError, match="grade|result"):
        export_to_gradebook(results_dir=folder, db_url_or_path=tmp_path / "gb.db", assignment="ps1")
    assert not (tmp_path / "gb.db").exists()


def test_bad_score_field_is_refused(results_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="auto or manual"):
        export_to_gradebook(results_dir=results_dir, db_url_or_path=tmp_path / "gb.db", assignment="ps1",
                            score_field="both")  # type: ignore[arg-type]
