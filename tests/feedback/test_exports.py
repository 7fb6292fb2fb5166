"""Exports: grades.csv with the late penalty, Gradescope JSON per student, the LMS CSV, counted submissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.core.results import write_result
from autograder.outputs.exports import export_results, load_results
from autograder.outputs.feedback import SUMMARY_START

TOY = Path(__file__).resolve().parents[2] / "tests" / "toy_course"
BERLIN_DEADLINE = dt.datetime(2026, 12, 18, 23, 59)
UTC = dt.UTC


@pytest.fixture
def late_course(tmp_path: Path) -> Path:
    """A copy of the toy course's config with a deadline, a penalty and its own LMS id column."""
    config = (TOY / "course_config.py").read_text()
    config = config.replace('points={"basics": 4, "tensors": 3, "objects": 3},', (
        'points={"basics": 4, "tensors": 3, "objects": 3},\n'
        '            deadline=__import__("datetime").datetime(2026, 12, 18, 23, 59), timezone="Europe/Berlin",\n'
        '            grace_minutes=15, late_penalty="per_day", late_penalty_per_day=0.25,'))
    config = config.replace('course="toy",', 'course="toy", student_id_column="Matrikelnummer",')
    assert "late_penalty_per_day" in config and "Matrikelnummer" in config
    shutil.copytree(TOY, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__", "build"))
    (tmp_path / "course" / "course_config.py").write_text(config)
    return tmp_path / "course"


def _stamped(toy_graded, folder: Path) -> Path:
    """The graded results with submission times: wrong is 2 days late; correct submitted twice."""
    _, results = toy_graded
    folder.mkdir()
    times = {"correct": dt.datetime(2026, 12, 18, 20, 0, tzinfo=UTC),       # 21:00 Berlin: on time
             "wrong": dt.datetime(2026, 12, 20, 12, 0, tzinfo=UTC),         # 2 days late
             "crash": dt.datetime(2026, 12, 18, 23, 10, tzinfo=UTC),        # 00:10 Berlin: inside grace
             "untouched": dt.datetime(2026, 12, 1, tzinfo=UTC)}
    # a later, late resubmission of "correct" that scores less: the on-time one still counts
    later = results["wrong"].model_copy(update={"student_id": "correct",
                                                "submitted_at": dt.datetime(2026, 12, 19, 9, 0, tzinfo=UTC)})
    write_result(folder, later).rename(folder / "correct-resubmitted.json")
    for sid, result in results.items():
        write_result(folder, result.model_copy(update={"submitted_at": times[sid]}))
    (folder / "notes.json").write_text(json.dumps({"not": "a result"}))
    return folder


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_applies_the_policy_and_writes_every_format(toy_graded, late_course: Path, tmp_path: Path,
                                                          review_dir: Path) -> None:
    folder = _stamped(toy_graded, tmp_path / "results")
    config = load_config(late_course / "course_config.py")
    results = load_results(folder, sheet="toy")
    assert len(results) == 5  # notes.json is skipped
    summary = export_results(config=config, sheet=config.sheet("toy"), results=results, out_dir=tmp_path / "export",
                             lms=tmp_path / "lms.csv")
    assert summary.superseded == 1
    grades = {row["Matrikelnummer"]: row for row in _rows((tmp_path / "export" / "grades.csv").read_text())}
    assert list(grades) == ["correct", "crash", "untouched", "wrong"]
    assert list(grades["wrong"]) == ["Matrikelnummer", "basics", "tensors", "objects", "autograded", "written",
                                     "adjustments", "late_penalty", "final", "max", "provisional", "gradable"]
    assert (grades["wrong"]["autograded"], grades["wrong"]["late_penalty"], grades["wrong"]["final"]) == ("8", "4", "4")
    assert (grades["correct"]["autograded"], grades["correct"]["late_penalty"]) == ("10", "0")  # the on-time one
    assert grades["crash"]["late_penalty"] == "0"
    lms = _rows((tmp_path / "lms.csv").read_text())
    assert lms == [{"Matrikelnummer": "correct", "toy": "10"}, {"Matrikelnummer": "crash", "toy": "9"},
                   {"Matrikelnummer": "untouched", "toy": "1"}, {"Matrikelnummer": "wrong", "toy": "4"}]
    gradescope = json.loads((tmp_path / "export" / "gradescope" / "wrong" / "results.json").read_text())
    assert gradescope["score"] == 4 and gradescope["raw_score"] == 8 and gradescope["late_penalty"] == 4
    assert gradescope["output_format"] == "md" and gradescope["output"].startswith("**Score: 4 / 10")
    assert SUMMARY_START not in gradescope["output"] and "extra_data" not in gradescope
    assert "2 days late" in gradescope["output"] and "Late penalty: 50% of the score" in gradescope["output"]
    flat = json.dumps(gradescope)
    assert "staff_output" not in flat and "grader_error" not in flat and "nodeid" not in flat
    page = (tmp_path / "export" / "feedback" / "wrong.html").read_text()
    assert "2 days late" in page
    shutil.copyfile(tmp_path / "export" / "feedback" / "wrong.html", review_dir / "feedback_wrong_late.html")


def test_export_command_with_lms_column(toy_graded, late_course: Path, tmp_path: Path) -> None:
    folder = _stamped(toy_graded, tmp_path / "results")
    result = CliRunner().invoke(app, [
        "export", "toy", str(folder), "--lms", str(tmp_path / "lms.csv"), "--lms-grade-column", "Sheet toy",
        "--no-feedback", "--config", str(late_course / "course_config.py")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lms.csv").read_text().splitlines()[0] == "Matrikelnummer,Sheet toy"
    assert (folder / "export" / "grades.csv").is_file() and not (folder / "export" / "feedback").exists()
    assert "1 other submission(s) not counted" in result.output
