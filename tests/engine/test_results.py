"""The result model and its renderers."""

from __future__ import annotations

import json

from autograder.core.results import (
    CaseResult,
    SubmissionResult,
    grades_table,
    read_result,
    to_gradescope,
    write_result,
)


def make_result(**kw) -> SubmissionResult:
    cases = (
        CaseResult(name="t1", number="a", score=2, max_score=2, status="passed"),
        CaseResult(name="t2", number="a", score=0, max_score=3, status="failed", output="wrong",
                   staff_output="Traceback: secret", student_output="hi"),
        CaseResult(name="t3", number="b", score=5, max_score=5, status="passed"),
    )
    return SubmissionResult(student_id="alice", sheet="toy", submission="a.ipynb", score=7, max_score=10,
                            tests=cases, **kw)


def test_gradescope_shape_and_staff_fields():
    data = to_gradescope(make_result())
    assert data["score"] == 7 and data["max_score"] == 10 and data["gradable"] is True
    assert [t["number"] for t in data["tests"]] == ["a", "a", "b"]
    assert "staff_output" not in data["tests"][1]
    assert "Your code printed:\nhi" in data["tests"][1]["output"]
    assert "grader_error" not in data
    staff = to_gradescope(make_result(), include_staff=True)
    assert staff["tests"][1]["staff_output"] == "Traceback: secret"


def test_late_penalty_reduces_final_score():
    result = make_result(late_penalty=2.5)
    assert result.final_score == 4.5
    assert to_gradescope(result)["score"] == 4.5


def test_write_read_round_trip(tmp_path):
    path = write_result(tmp_path, make_result())
    assert path.name == "alice.json"
    assert not list(tmp_path.glob(".*tmp"))
    back = read_result(path)
    assert back.score == 7 and back.tests[1].output == "wrong" and back.tests[1].staff_output
    json.loads(path.read_text())


def test_exercise_scores_and_csv():
    result = make_result()
    assert result.exercise_scores() == {"a": (2, 5), "b": (5, 5)}
    other = SubmissionResult.not_gradable(student_id="bob", sheet="toy", submission="b.ipynb",
                                          message="empty", max_score=10)
    table = grades_table([result, other], ["a", "b"], id_column="matrikel")
    lines = table.strip().splitlines()
    assert lines[0].startswith("matrikel,a,b,autograded,written,adjustments,late_penalty,final")
    assert lines[1] == "alice,2,5,7,0,0,0,7,10,no,yes"
    assert lines[2] == "bob,0,0,0,0,0,0,0,10,no,no"


def test_crashed_constructor_blames_nobody():
    crashed = SubmissionResult.crashed(student_id="c", sheet="toy", submission="c.py", message="boom",
                                       max_score=10)
    assert crashed.grader_error == "boom" and crashed.gradable and "our side" in crashed.output
