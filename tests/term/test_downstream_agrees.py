"""Every output shows the same final grade with its parts (adjustment and written mark included), the
adjust command validates its input (exit 2), and a staff note reaches no student-facing output."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from term_helpers import TOY
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.core.results import CaseResult, SubmissionResult, WrittenAnswer, write_result
from autograder.grades.grade import StaffLedger, WrittenEntry
from autograder.outputs.exports import finalize_result
from autograder.outputs.feedback import context_for
from autograder.outputs.student_view import student_view

CONFIG = TOY / "course_config.py"
NOTE = "STAFF-NOTE-must-not-leak"
MARK_NOTE = "MARK-NOTE-must-not-leak"


def _result(student: str, *, add_passes: bool) -> SubmissionResult:
    cases = (
        CaseResult(name="test_add", number="basics", score=1.0 if add_passes else 0.0, max_score=1.0,
                   status="passed" if add_passes else "failed", nodeid="test_toy.py::test_add",
                   output="" if add_passes else "add(2, 3) is wrong"),
        CaseResult(name="test_answer", number="basics", score=1.0, max_score=1.0, status="passed",
                   nodeid="test_toy.py::test_answer"),
        CaseResult(name="test_softmax", number="tensors", score=0.0, max_score=3.0, status="failed",
                   nodeid="test_toy.py::test_softmax", output="softmax values"),
        CaseResult(name="test_counter", number="objects", score=2.0, max_score=2.0, status="passed",
                   nodeid="test_toy.py::test_counter"),
    )
    written = (WrittenAnswer(question="why_softmax", exercise="tensors", max_points=2.0, text="it normalises"),)
    return SubmissionResult(student_id=student, sheet="toy", submission=f"{student}.py", score=4.0 if add_passes
                            else 3.0, max_score=10.0, tests=cases, written=written)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    for student, passes in (("ann", False), ("bob", True)):
        write_result(folder, _result(student, add_passes=passes))
    ledger = StaffLedger.for_results(folder)
    ledger.mark_written(WrittenEntry(student_id="ann", question="why_softmax", points=1.5, comment="good start",
                                     staff_note=MARK_NOTE, by="ta2"))
    runner = CliRunner()
    done = runner.invoke(app, ["adjust", "toy", str(folder), "ann", "--test", "test_toy.py::test_add", "--points",
                               "1", "--reason", "the task said a-b", "--by", "ta1", "--note", NOTE,
                               "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    return folder


def test_every_output_shows_the_same_final(results_dir: Path, tmp_path: Path) -> None:
    # ann: 3 autograded + 1 adjusted (test_add 0 -> 1) + 1.5 written = 5.5 (bob: 4, provisional)
    runner = CliRunner()
    out = tmp_path / "export"
    done = runner.invoke(app, ["export", "toy", str(results_dir), "--out", str(out), "--lms", str(tmp_path / "lms.csv"),
                               "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    grades = {r["student_id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert {k: grades["ann"][k] for k in ("autograded", "written", "adjustments", "late_penalty", "final",
                                          "provisional")} == {"autograded": "3", "written": "1.5", "adjustments": "1",
                                                              "late_penalty": "0", "final": "5.5", "provisional": "no"}
    assert (grades["bob"]["final"], grades["bob"]["provisional"]) == ("4", "yes")
    batch_csv = {r["student_id"]: r["final"] for r in csv.DictReader(io.StringIO((results_dir / "grades.csv").read_text()))}
    assert batch_csv == {"ann": "5.5", "bob": "4"}  # adjust rewrote RESULTS_DIR/grades.csv
    lms = {r["student_id"]: r["toy"] for r in csv.DictReader(io.StringIO((tmp_path / "lms.csv").read_text()))}
    assert lms == {"ann": "5.5", "bob": "4"}
    gradescope = json.loads((out / "gradescope" / "ann" / "results.json").read_text())
    assert gradescope["score"] == 5.5
    page = (out / "feedback" / "ann.html").read_text()
    assert "Score: 5.5 / 10" in page and "adjusted by staff: the task said a-b" in page
    report = tmp_path / "report.html"
    done = runner.invoke(app, ["report", "toy", str(results_dir), "--out", str(report), "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    row = re.search(r"<tr><td>ann</td>(.*?)</tr>", report.read_text()).group(1)
    assert "<b>5.5</b> / 10" in row and "<td class=num>1.5</td>" in row
    config = load_config(CONFIG)
    context = context_for(config, config.sheet("toy"))
    staffed = finalize_result(_result("ann", add_passes=False), context, ledger=StaffLedger.for_results(results_dir))
    assert student_view(staffed, context)["score"] == 5.5


def test_nbgrader_export_agrees(results_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    db = tmp_path / "gradebook.db"
    done = CliRunner().invoke(app, ["nbgrader-export", "toy", str(results_dir), "--nbgrader-db", str(db),
                                    "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    with Gradebook(f"sqlite:///{db}") as gradebook:
        assert gradebook.find_submission("toy", "ann").score == 5.5
        assert gradebook.find_submission("toy", "bob").score == 4.0


def test_a_staff_note_reaches_no_student_facing_output(results_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    CliRunner().invoke(app, ["export", "toy", str(results_dir), "--out", str(out), "--lms", str(tmp_path / "lms.csv"),
                             "--config", str(CONFIG)])
    config = load_config(CONFIG)
    context = context_for(config, config.sheet("toy"))
    staffed = finalize_result(_result("ann", add_passes=False), context, ledger=StaffLedger.for_results(results_dir))
    student_facing = [p.read_text() for p in [*out.rglob("*.json"), *out.rglob("*.html"), tmp_path / "lms.csv"]]
    student_facing.append(json.dumps(student_view(staffed, context)))
    assert len(student_facing) >= 5
    assert "adjusted by staff: the task said a-b" in student_facing[0] + "".join(student_facing)
    for text in student_facing:
        assert NOTE not in text and MARK_NOTE not in text
    audit = CliRunner().invoke(app, ["adjust", "toy", str(results_dir), "--list", "--config", str(CONFIG)])
    assert NOTE in audit.output and "ta1" in audit.output  # staff see it in the audit log


@pytest.mark.parametrize(("args", "says"), [
    (["nobody", "--exercise", "basics", "--points", "1"], "no result of toy for student 'nobody'"),
    (["ann", "--test", "test_nothing", "--points", "1"], "has no test 'test_nothing'"),
    (["ann", "--exercise", "3.9", "--points", "1"], "has no exercise '3.9'"),
    (["ann", "--exercise", "basics", "--points", "5"], "outside [0, 4]"),
    (["ann", "--test", "test_add", "--points", "-1"], "outside [0, 1]"),
    (["ann", "--test", "test_add", "--exercise", "basics", "--points", "1"], "exactly one of"),
])
def test_adjust_refuses_what_it_cannot_apply(results_dir: Path, args: list[str], says: str) -> None:
    before = (results_dir / "staff" / "adjustments.jsonl").read_text()
    done = CliRunner().invoke(app, ["adjust", "toy", str(results_dir), *args, "--reason", "r", "--config", str(CONFIG)])
    assert done.exit_code == 2 and says in done.output, done.output
    assert (results_dir / "staff" / "adjustments.jsonl").read_text() == before


def test_remove_takes_an_adjustment_back_and_the_log_keeps_both(results_dir: Path) -> None:
    runner = CliRunner()
    entry_id = json.loads((results_dir / "staff" / "adjustments.jsonl").read_text().splitlines()[0])["id"]
    done = runner.invoke(app, ["adjust", "toy", str(results_dir), "--remove", entry_id, "--by", "head-ta",
                               "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    grades = {r["student_id"]: r["final"] for r in csv.DictReader(io.StringIO((results_dir / "grades.csv").read_text()))}
    assert grades["ann"] == "4.5"
    listed = runner.invoke(app, ["adjust", "toy", str(results_dir), "--list", "--config", str(CONFIG)]).output
    assert "set" in listed and "remove" in listed and "head-ta" in listed
    again = runner.invoke(app, ["adjust", "toy", str(results_dir), "--remove", entry_id, "--config", str(CONFIG)])
    assert again.exit_code == 2
