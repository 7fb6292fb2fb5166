"""``autograder written --export / --import``: a round trip through the CSV, idempotent, validated."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.core.results import (
    CaseResult,
    SubmissionResult,
    WrittenAnswer,
    read_result,
    write_result,
)
from autograder.grades.grade import StaffLedger
from autograder.outputs.exports import gradescope_json
from autograder.outputs.feedback import context_for, feedback_html

runner = CliRunner()


def _results(course: Path, out: Path) -> None:
    """Two students' results as `grade` writes them (cheap: no grading), answers awaiting staff."""
    for student, text in (("ann", "=HYPERLINK(\"http://evil\") it sums"), ("ben", "<b>it adds</b>")):
        case = CaseResult(name="test_add", number="basics", score=2.0, max_score=2.0, status="passed", nodeid="t::a")
        write_result(out, SubmissionResult(
            student_id=student, sheet="tiny", submission=f"{student}.ipynb", score=2.0, max_score=5.5,
            tests=(case,), written=(WrittenAnswer(question="why-add", exercise="basics", max_points=2, text=text),)))


def _cli(course: Path, *args: str):
    return runner.invoke(app, ["written", "tiny", *args, "--config", str(course / "course_config.py")])


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_marks_round_trip_through_the_csv(written_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    _results(written_course, out)
    assert "0 graded, 2 awaiting staff" in _cli(written_course, str(out)).output
    config = load_config(written_course / "course_config.py")
    context = context_for(config, config.sheet("tiny"))
    pending = gradescope_json(read_result(out / "ann.json"), context)
    assert pending["provisional"] is True and pending["written"][0]["status"] == "awaiting staff"
    exported = tmp_path / "written.csv"
    assert _cli(written_course, str(out), "--export", str(exported)).exit_code == 0
    rows = _rows(exported)
    assert [(r["student_id"], r["question"], r["max_points"]) for r in rows] == [("ann", "why-add", "2"),
                                                                                ("ben", "why-add", "2")]
    assert rows[0]["answer"].startswith("'=HYPERLINK")  # formula-safe
    rows[0].update(points="1.5", rubric="sum", comment="=good, but types?", staff_note="NOTE-FOR-STAFF")
    rows[1].update(rubric="sum;types", comment="complete")  # empty points: the ticked items' sum
    _write(exported, rows)
    first = _cli(written_course, str(out), "--import", str(exported), "--by", "ta1")
    assert first.exit_code == 0, first.output
    assert "2 mark(s) added" in first.output
    again = _cli(written_course, str(out), "--import", str(exported))
    assert "0 mark(s) added, 2 unchanged" in again.output
    assert len(StaffLedger.for_results(out).written_history()) == 2  # idempotent
    ann, ben = read_result(out / "ann.json"), read_result(out / "ben.json")
    assert ann.written[0].mark is not None and ann.written[0].mark.comment == "=good, but types?"
    assert (ann.final_score, ann.provisional) == (3.5, False) and ben.final_score == 4.0
    page = feedback_html(ann, context)
    graded = gradescope_json(ann, context)
    assert graded["provisional"] is False and graded["score"] == 3.5 and graded["written"][0]["status"] == "graded"
    assert "NOTE-FOR-STAFF" not in str(graded) and "1.5 / 2, graded by staff" in graded["output"]
    assert "1.5 / 2, graded by staff" in page and "=good, but types?" in page
    assert "RUBRIC-SECRET says it sums" in page  # the ticked item's text
    assert "NOTE-FOR-STAFF" not in page
    back = _rows(_export(written_course, out, tmp_path))
    assert back[0]["points"] == "1.5" and back[0]["graded_by"] == "ta1" and back[1]["points"] == "2"


def _export(course: Path, out: Path, tmp_path: Path) -> Path:
    path = tmp_path / "again.csv"
    assert _cli(course, str(out), "--export", str(path)).exit_code == 0
    return path


def test_a_wrong_row_imports_nothing_and_exits_2(written_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    _results(written_course, out)
    exported = _export(written_course, out, tmp_path)
    rows = _rows(exported)
    rows[0].update(points="2")
    rows[1].update(points="2.5")  # above the question's 2 points
    rows.append({**rows[0], "student_id": "zoe"})
    rows.append({**rows[0], "question": "nope"})
    rows.append({**rows[0], "rubric": "made-up"})
    _write(exported, rows)
    result = _cli(written_course, str(out), "--import", str(exported))
    assert result.exit_code == 2
    said = result.output
    assert "outside [0, 2]" in said and "'zoe'" in said and "'nope'" in said and "made-up" in said
    assert StaffLedger.for_results(out).written_history() == []  # nothing imported
    assert read_result(out / "ann.json").written[0].mark is None
