"""Visibility: the judge's ``visibility`` marker, the one rule, and every renderer agreeing on it.

Each of Gradescope's four values is checked before the deadline, after it, once grades are
published, and on a sheet without a deadline, in the HTML page, the Gradescope export and the
student JSON view (the service's API, which the notebook client shows); tests/service checks the
service's own pages against the same rule.
"""

from __future__ import annotations

import datetime as dt
import json
import types
from pathlib import Path

import pytest

from autograder.core.config import SheetConfig
from autograder.core.results import CaseResult, SubmissionResult
from autograder.core.visibility import VISIBILITIES, shown
from autograder.judge.plugin import JudgePlugin
from autograder.outputs.exports import gradescope_json
from autograder.outputs.feedback import FeedbackContext, feedback_html
from autograder.outputs.student_view import student_view

SHEET = SheetConfig(name="s", assignment_dir=Path("a"), notebook="s.ipynb", reference_module="r",
                    hidden_dir=Path("h"), points={"e": 10}, deadline=dt.datetime(2026, 12, 18, 23, 59),
                    timezone="Europe/Berlin", grace_minutes=15)
BEFORE = dt.datetime(2026, 12, 18, 22, 0, tzinfo=dt.UTC)  # 23:00 in Berlin
IN_GRACE = dt.datetime(2026, 12, 18, 23, 5, tzinfo=dt.UTC)  # 00:05: past the deadline, in grace
AFTER = dt.datetime(2026, 12, 18, 23, 20, tzinfo=dt.UTC)
NO_DEADLINE = SHEET.model_copy(update={"deadline": None})
PUBLISHED = SHEET.model_copy(update={"published": True})

# (sheet, moment) -> which values a student sees
EXPECTED = [
    (SHEET, BEFORE, {"visible"}),
    (SHEET, IN_GRACE, {"visible"}),
    (SHEET, AFTER, {"visible", "after_due_date"}),
    (PUBLISHED, BEFORE, {"visible", "after_published"}),
    (PUBLISHED, AFTER, {"visible", "after_due_date", "after_published"}),
    (NO_DEADLINE, BEFORE, {"visible", "after_due_date"}),
]


@pytest.mark.parametrize(("sheet", "now", "seen"), EXPECTED)
def test_the_rule_for_each_value(sheet: SheetConfig, now: dt.datetime, seen: set[str]) -> None:
    assert VISIBILITIES == ("visible", "hidden", "after_due_date", "after_published")
    assert {value for value in VISIBILITIES if shown(value, sheet, now=now)} == seen
    assert not shown("sometimes", sheet, now=now)


def _result() -> SubmissionResult:
    cases = tuple(
        CaseResult(name=f"test_{value}", number="e", score=0.0, max_score=float(k + 1), status="failed",
                   output=f"message-{value}", visibility=value,  # type: ignore[arg-type]
                   student_output=f"printed-{value}", nodeid=f"t.py::test_{value}")
        for k, value in enumerate(VISIBILITIES))
    plots = {f"t.py::test_{v}": {"title": f"chart-{v}", "series": {"y": [1.0, 2.0]}} for v in VISIBILITIES}
    return SubmissionResult(student_id="ada", sheet="s", submission="ada.ipynb", score=0, max_score=10,
                            tests=cases, extra_data={"plots": plots})


@pytest.mark.parametrize(("sheet", "now", "seen"), EXPECTED)
def test_every_renderer_shows_exactly_what_the_rule_allows(sheet, now, seen) -> None:
    result, context = _result(), FeedbackContext(sheet=sheet, now=now)
    page = feedback_html(result, context)
    view = student_view(result, context)
    flat = json.dumps(view)
    exported = gradescope_json(result, context)
    for value in VISIBILITIES:
        visible = value in seen
        assert (f"message-{value}" in page) is visible, (value, "html")
        assert (f"printed-{value}" in page) is visible, (value, "html printed")
        assert (f"chart-{value}" in page) is visible, (value, "html chart")
        assert (f"message-{value}" in flat) is visible, (value, "student view")
        assert (f"test_{value}" in flat.replace(view["feedback_html"], "")) is False or visible
        assert (f"message-{value}" in exported["output"].replace("\\_", "_")) is visible, (value, "md")
    hidden = [t for t in view["tests"] if not t["shown"]]
    assert len(hidden) == 4 - len(seen)
    assert all(t["name"] == "hidden check" and "output" not in t for t in hidden)
    # a check that is not shown still shows its points
    assert sum(t["max_score"] for t in hidden) == sum(
        k + 1 for k, value in enumerate(VISIBILITIES) if value not in seen)
    if len(seen) < 4:
        assert f"{4 - len(seen)} hidden check(s)" in page
    # Gradescope applies the same values itself: the export keeps each test's visibility
    assert [t["visibility"] for t in exported["tests"]] == list(VISIBILITIES)


SUITE = '''
import pytest

@pytest.mark.points(1)
@pytest.mark.exercise("e")
def test_default():
    pass

@pytest.mark.points(1)
@pytest.mark.exercise("e")
@pytest.mark.visibility("hidden")
def test_hidden():
    pass

@pytest.mark.points(1)
@pytest.mark.exercise("e")
@pytest.mark.visibility("after_due_date")
def test_after_due_date():
    pass

@pytest.mark.points(1)
@pytest.mark.exercise("e")
@pytest.mark.visibility("after_published")
class TestPublished:
    def test_in_class(self):
        pass
'''


def _collect(tmp_path: Path, suite: str, points: float) -> JudgePlugin:
    (tmp_path / f"test_suite_{abs(hash(suite))}.py").write_text(suite)  # a fresh module name each
    plugin = JudgePlugin(session=types.SimpleNamespace(), reference=types.ModuleType("ref"),  # type: ignore[arg-type]
                         device="cpu", default_timeout=5.0, points={"e": points})
    code = pytest.main([str(tmp_path), "--collect-only", "-q", "--strict-markers", "--import-mode=importlib", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path)], plugins=[plugin])
    assert code == 0
    return plugin


def test_the_judge_registers_the_visibility_marker(tmp_path: Path) -> None:
    plugin = _collect(tmp_path, SUITE, 4)
    assert not plugin.state.suite_errors
    got = {case.name: case.visibility for case in plugin.results()}
    assert got == {"test_default": "visible", "test_hidden": "hidden",
                   "test_after_due_date": "after_due_date", "test_in_class": "after_published"}


def test_an_unknown_visibility_is_a_suite_error(tmp_path: Path) -> None:
    suite = SUITE.replace('visibility("hidden")', 'visibility("sometimes")')
    plugin = _collect(tmp_path, suite, 3)
    assert any("test_hidden" in e and "visibility must be one of" in e for e in plugin.state.suite_errors)
