"""nbgrader end to end with the real CLI: grade ``submitted/<student>/<assignment>/`` on the toy
course, then ``autograder nbgrader-export`` into a gradebook, read back through nbgrader."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

api = pytest.importorskip("nbgrader.api")
# nbgrader's own add_submission warns about its autoflush; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

TOY = Path(__file__).resolve().parents[1] / "toy_course"
CLI = [sys.executable, "-c", "from autograder.cli.main import main; main()"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("nbgrader_course")
    for student, source in (("alice", "correct.py"), ("bob", "wrong.py")):
        folder = course / "submitted" / student / "toy"
        folder.mkdir(parents=True)
        shutil.copy(TOY / "submissions" / source, folder / "toy.py")
        (folder / "timestamp.txt").write_text("2026-05-01 12:00:00.000000 UTC" if student == "bob"
                                              else "2026-05-01T10:30:00+00:00")
    run = subprocess.run([*CLI, "grade", "toy", str(course / "submitted"), "--out", str(course / "out"),
                          "--device", "cpu", "--quiet", "--config", str(TOY / "course_config.py")],
                         check=False, capture_output=True, text=True, timeout=240, cwd=course)
    assert run.returncode == 0, run.stdout + run.stderr
    return course


def test_grade_reads_nbgraders_submitted_layout(graded: Path) -> None:
    out = graded / "out"
    assert sorted(p.name for p in out.glob("*.json")) == ["alice.json", "bob.json"]
    alice = json.loads((out / "alice.json").read_text())
    bob = json.loads((out / "bob.json").read_text())
    assert (alice["student_id"], alice["score"], bob["student_id"], bob["score"]) == ("alice", 10, "bob", 8)
    assert alice["submitted_at"].startswith("2026-05-01")  # from nbgrader's timestamp.txt
    assert "alice,4,3,3,10" in (out / "grades.csv").read_text()


def test_a_rerun_says_how_many_results_it_reused(graded: Path) -> None:
    run = subprocess.run([*CLI, "grade", "toy", str(graded / "submitted"), "--out", str(graded / "out"),
                          "--device", "cpu", "--quiet", "--config", str(TOY / "course_config.py")],
                         check=False, capture_output=True, text=True, timeout=240, cwd=graded)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 result(s) reused from an earlier run" in run.stderr


def test_cli_exports_to_the_gradebook(graded: Path) -> None:
    db = graded / "gradebook.db"
    run = subprocess.run([*CLI, "nbgrader-export", "toy", str(graded / "out"), "--nbgrader-db", str(db),
                          "--assignment", "ps1", "--config", str(TOY / "course_config.py")],
                         check=False, capture_output=True, text=True, timeout=120, cwd=graded)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 student(s), 3 exercise(s)" in run.stderr
    with api.Gradebook(f"sqlite:///{db}") as gradebook:
        scores = {row["student"]: row["score"] for row in gradebook.submission_dicts("ps1")}
        assert scores == {"alice": 10, "bob": 8}
        assert gradebook.find_grade("autograder-basics", "toy", "ps1", "bob").auto_score == 2
        assert gradebook.find_assignment("ps1").max_score == 10


def test_cli_export_of_an_unknown_sheet_is_a_usage_error(graded: Path) -> None:
    run = subprocess.run([*CLI, "nbgrader-export", "nope", str(graded / "out"), "--nbgrader-db",
                          str(graded / "other.db"), "--config", str(TOY / "course_config.py")],
                         check=False, capture_output=True, text=True, timeout=120, cwd=graded)
    assert run.returncode == 2 and "unknown sheet" in run.stderr
    assert not (graded / "other.db").exists()
