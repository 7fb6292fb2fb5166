"""Student feedback: the markdown summary in results.json's output and the self-contained HTML page."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from pathlib import Path

import pytest

from autograder.core.charts import MAX_POINTS, MAX_SERIES
from autograder.core.config import load_config
from autograder.core.results import CaseResult, SubmissionResult
from autograder.judge.plots import PlotRecorder
from autograder.outputs.exports import finalize_result
from autograder.outputs.feedback import (
    SUMMARY_START,
    FeedbackContext,
    build_views,
    context_for,
    feedback_html,
    notebook_output,
)
from autograder.outputs.plots import charts_for, render_chart
from autograder.student.checks import public_check_names

TOY = Path(__file__).resolve().parents[2] / "tests" / "toy_course"

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def toy():
    config = load_config(TOY / "course_config.py")
    return config, config.sheet("toy")


def _context(toy, **kwargs) -> FeedbackContext:
    config, sheet = toy
    return context_for(config, sheet, **kwargs)


def _images(page: str) -> list[tuple[bytes, int]]:
    """``(png bytes, series drawn)`` of every inline image."""
    found = re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]*data-series="(\d+)"', page)
    return [(base64.b64decode(data), int(series)) for data, series in found]


def training_charts() -> list[dict]:
    """What a training test would attach: the LR schedule against the expected one, the loss beside the judge's."""
    total, warmup = 200, 20

    def cosine(t: int) -> float:
        if t < warmup:
            return 1e-3 * t / warmup
        return 0.5e-3 * (1 + math.cos(math.pi * min(1.0, (t - warmup) / (total - warmup))))

    expected = [cosine(t) for t in range(total)]
    yours = [cosine(t + 1) for t in range(total)]  # one step ahead: a classic bug
    losses = [2.4 + 1.7 * math.exp(-t / 90) + 0.3 * math.sin(t * 1.7) for t in range(600)]
    return [
        {"title": "Learning-rate schedule", "series": {"your schedule": yours, "expected": expected},
         "x_label": "step", "y_label": "learning rate"},
        {"title": "Training loss", "series": {"your training loss": losses},
         "hlines": {"held-out loss (computed by the grader)": 2.71, "threshold": 2.9},
         "x_label": "step", "y_label": "NLL per character", "smooth": True},
    ]


def test_public_checks_are_read_without_importing(toy) -> None:
    config, sheet = toy
    assert public_check_names(config, sheet) == {"basics": ("add_returns_int",)}


def test_markdown_summary_of_a_wrong_submission(toy_graded, toy) -> None:
    _, results = toy_graded
    final = finalize_result(results["wrong"], _context(toy))
    out = final.output
    assert out.startswith(SUMMARY_START)
    assert "**Score: 8 / 10**" in out and "Final for this submission" in out
    assert "| basics | 2 / 4 | 🟡 partly right |" in out
    assert "| tensors | 3 / 3 | ✅ complete |" in out
    assert "- basics, *add* (0 / 1): add(2, 3) is wrong" in out
    assert "- basics, *answer* (0 / 1): ANSWER is not right" in out
    for secret in ("Traceback", "ref.add", "student.add(2, 3) ==", "test_toy.py"):
        assert secret not in out
    again = finalize_result(final, _context(toy))
    assert again.output.count(SUMMARY_START) == 1 and again.output == final.output


def test_untouched_notebook_reads_as_not_attempted(toy_graded, toy) -> None:
    _, results = toy_graded
    views = {v.exercise: v for v in build_views(results["untouched"], _context(toy))}
    assert views["tensors"].status == "missing"
    # ANSWER = None (a constant stub) is work to do, as check() says, not a failure
    assert views["basics"].status == "missing"
    answer = next(case for case in views["basics"].cases if case.title == "answer")
    assert answer.not_attempted and answer.message.startswith("To do: ANSWER is still None")
    out = finalize_result(results["untouched"], _context(toy)).output
    assert "To do: basics, tensors" in out and "| basics | 0 / 4 | ⬜ to do |" in out
    assert "*add*" not in out  # an unattempted function is not a "what to look at" item


def test_crash_keeps_what_happened_while_running(toy_graded, toy) -> None:
    _, results = toy_graded
    final = finalize_result(results["crash"], _context(toy))
    assert "restarted" in notebook_output(final)
    assert "crashed" in feedback_html(final, _context(toy))


def test_html_pages_are_self_contained_with_charts(toy_graded, toy, review_dir: Path) -> None:
    _, results = toy_graded
    wrong = results["wrong"]
    softmax = next(c for c in wrong.tests if c.name == "test_add")
    charted = wrong.model_copy(update={"extra_data": {**wrong.extra_data,
                                                      "plots": {softmax.nodeid: training_charts()}}})
    page = feedback_html(finalize_result(charted, _context(toy)), _context(toy))
    images = _images(page)
    assert [series for _, series in images] == [2, 3]
    assert all(png.startswith(PNG) and len(png) > 2000 for png, _ in images)
    assert not re.search(r"<(script|link)\b|src=\"http", page)
    assert "Final for this submission" in page and "Public checks for this exercise" in page
    assert "They are not graded" in page
    (review_dir / "feedback_wrong_with_charts.html").write_text(page)
    for name, (png, _) in zip(("lr_schedule", "training_loss"), images):
        (review_dir / f"chart_{name}.png").write_bytes(png)
    for sid, result in results.items():
        (review_dir / f"feedback_{sid}.html").write_text(feedback_html(finalize_result(result, _context(toy)),
                                                                       _context(toy)))


def _case(name: str, visibility: str = "visible", **kw) -> CaseResult:
    return CaseResult(name=name, number="basics", score=0.0, max_score=1.0, status="failed",
                      output=f"message of {name}", visibility=visibility, nodeid=f"t.py::{name}", **kw)


def test_visibility_policy_lives_in_the_renderer(toy) -> None:
    _, sheet = toy
    sheet = sheet.model_copy(update={"deadline": dt.datetime(2026, 12, 18, 23, 59), "timezone": "Europe/Berlin"})
    result = SubmissionResult(student_id="ada", sheet="toy", submission="ada.py", max_score=10, tests=(
        _case("test_shown"), _case("test_secret", "hidden"), _case("test_later", "after_due_date"),
        _case("test_published", "after_published")),
        extra_data={"plots": {"t.py::test_secret": {"title": "x", "series": {"expected": [1, 2]}}}})
    before = FeedbackContext(sheet=sheet, now=dt.datetime(2026, 12, 18, 12, tzinfo=dt.UTC))
    page = feedback_html(result, before)
    assert "message of test_shown" in page
    for hidden in ("test_secret", "secret", "test_later", "later", "published"):
        assert hidden not in page
    assert not _images(page)
    assert "3 check(s) are not shown yet" in page
    after = FeedbackContext(sheet=sheet, now=dt.datetime(2026, 12, 20, tzinfo=dt.UTC), published=True)
    page = feedback_html(result, after)
    assert "message of test_later" in page and "message of test_published" in page
    assert "message of test_secret" not in page


def test_student_text_is_escaped_and_staff_text_never_shown(toy) -> None:
    result = SubmissionResult(student_id="eve", sheet="toy", submission="eve.py", max_score=10, tests=(
        _case("test_x", student_output="<img src=x onerror=alert(1)>", staff_output="STAFF TRACEBACK"),),
        output="Your notebook printed:\n<script>alert(1)</script>")
    page = feedback_html(result, _context(toy))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "STAFF TRACEBACK" not in page


def test_provisional_and_not_gradable_are_said_plainly(toy) -> None:
    error_case = CaseResult(name="test_y", number="tensors", score=0, max_score=3, status="error",
                            output="The checker failed on our side; course staff have been told.")
    result = SubmissionResult(student_id="bo", sheet="toy", submission="bo.py", score=4, max_score=10,
                              tests=(_case("test_x").model_copy(update={"score": 1.0, "status": "passed"}), error_case))
    page = feedback_html(result, _context(toy))
    assert "Provisional" in page and "up to 3 more may be added" in page and "checker problem" in page
    broken = SubmissionResult.not_gradable(student_id="bo", sheet="toy", submission="bo.ipynb",
                                           message="the notebook is not valid JSON", max_score=10)
    out = finalize_result(broken, _context(toy)).output
    assert "could not be graded: the notebook is not valid JSON" in out


def test_late_penalty_is_shown_to_the_student(toy) -> None:
    config, sheet = toy
    sheet = sheet.model_copy(update={"deadline": dt.datetime(2026, 12, 18, 23, 59), "timezone": "Europe/Berlin",
                                     "grace_minutes": 15, "late_penalty": "per_day", "late_penalty_per_day": 0.1})
    result = SubmissionResult(student_id="ada", sheet="toy", submission="ada.py", score=8, max_score=10,
                              submitted_at=dt.datetime(2026, 12, 19, 12, 0, tzinfo=dt.UTC),
                              tests=(_case("test_x").model_copy(update={"score": 1.0, "status": "passed"}),))
    context = context_for(config, sheet)
    final = finalize_result(result, context)
    assert final.late_penalty == pytest.approx(0.8) and final.final_score == pytest.approx(7.2)
    assert "Score: 7.2 / 10 (8 for your answers, minus 0.8 late penalty)" in final.output
    assert "1 day late (deadline 2026-12-18 23:59 CET plus 15 minutes grace). Late penalty: 10%" in final.output
    assert "1 day late" in feedback_html(final, context)


def test_plot_recorder_validates_and_caps() -> None:
    store: dict = {}
    record = PlotRecorder(store, "t.py::test_train")
    long = [float(i) for i in range(MAX_POINTS * 3 + 7)]
    many = {f"s{i}": [1, 2] for i in range(MAX_SERIES + 3)}
    record("loss", {"yours": long, "bad": [1.0, float("nan"), "x", float("inf")]})
    record("many", many)
    with pytest.raises(ValueError):
        record("empty", {})
    first, second = store["t.py::test_train"]
    assert len(first["series"]["yours"]) <= MAX_POINTS + 1 and first["series"]["yours"][-1] == long[-1]
    assert first["series"]["bad"] == [1.0, None, None, None]
    assert len(second["series"]) == MAX_SERIES
    for _ in range(10):
        record("more", {"a": [1]})
    assert len(store["t.py::test_train"]) == 6
    assert charts_for({"plots": {"test_train": first}}, nodeid="other", name="test_train") == [first]
    assert charts_for({"plots": {"x": "junk"}}, nodeid="x", name="x") == []
    rendered = render_chart(first)
    assert rendered.png.startswith(PNG) and rendered.series == 2
