"""What a student sees carries no staff data, and the student's own text cannot turn into markup.

The exported Gradescope ``results.json`` is shown to students by Gradescope: it must not keep
``extra_data`` (host paths, the sandbox uid, warnings naming the hidden-suite folder), and its
markdown ``output`` must not let a student's exception message or printed output become HTML,
links or formatting. The service's student view is checked the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.results import CaseResult, SubmissionResult
from autograder.outputs.exports import export_results
from autograder.outputs.feedback import FeedbackContext
from autograder.outputs.student_view import student_view

HOSTILE = '<img src=x onerror=alert(1)> [click here](http://evil.example) **bold** | col |'
PRINTED = "done\n```\n<script>alert(2)</script>\n# Your grade: 100\n````"
STAFF = {"hidden_dir": "/srv/course/tests/hidden/s", "sandbox_uid": 61000,
         "warnings": ["mount namespace unavailable; /srv/course/tests/hidden is readable"]}


def _sheet() -> SheetConfig:
    return SheetConfig(name="s", assignment_dir=Path("a"), notebook="s.ipynb", reference_module="r",
                       hidden_dir=Path("h"), points={"e": 2}, deadline=dt.datetime(2026, 12, 18))


def _result() -> SubmissionResult:
    case = CaseResult(name="test_e", number="e", score=0, max_score=2, status="failed",
                      output=f"Your code raised ValueError: {HOSTILE}", student_output=PRINTED,
                      staff_output="Traceback (most recent call last): /srv/course/tests/hidden/s/test_e.py")
    return SubmissionResult(student_id="mallory", sheet="s", submission="m.ipynb", score=0, max_score=2,
                            tests=(case,), output=f"Your notebook printed:\n{PRINTED}", extra_data=STAFF,
                            grader_error="")


def _no_live_markup(markdown: str) -> None:
    """Student text is escaped everywhere in the markdown: no tag, fence, link or heading survives."""
    for raw in ("<img", "<script", "[click here](", "**bold**", "| col |", "```", "\n# Your grade"):
        assert raw not in markdown, raw


def test_the_gradescope_export_keeps_no_staff_data_and_escapes_student_text(tmp_path: Path) -> None:
    sheet = _sheet()
    config = CourseConfig(root=tmp_path, sheets={"s": sheet})
    export_results(config=config, sheet=sheet, results=[_result()], out_dir=tmp_path / "out", feedback=False)
    data = json.loads((tmp_path / "out" / "gradescope" / "mallory" / "results.json").read_text())
    flat = json.dumps(data)
    assert "extra_data" not in data and "61000" not in flat and "/srv/course" not in flat
    assert "staff_output" not in flat and "Traceback" not in flat
    output = data["output"]
    assert data["output_format"] == "md" and data["test_output_format"] == "md"
    assert "&lt;img src=x" in output and "&lt;script&gt;alert(2)" in output  # shown, escaped
    _no_live_markup(output)
    for test in data["tests"]:  # each check's message and printed output: markdown, escaped too
        _no_live_markup(test["output"])
        assert "&lt;script&gt;alert(2)" in test["output"] and "&lt;img src=x" in test["output"]


def test_the_services_student_view_keeps_no_staff_data() -> None:
    view = student_view(_result(), FeedbackContext(sheet=_sheet(), now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    flat = json.dumps(view)
    assert "extra_data" not in view and "61000" not in flat and "/srv/course" not in flat
    assert "Traceback" not in flat and "grader_error" not in view
    assert "<img src=x" not in view["feedback_html"] and "<script>alert" not in view["feedback_html"]
    _no_live_markup(view["feedback_markdown"])
