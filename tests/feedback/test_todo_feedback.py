"""Work not attempted yet reads "to do", once per exercise, in every student-facing output (issue 22, item 10).

The results are the blank and the partial example notebooks of Sheet 3.2 as the judge graded them
(``data/``, saved from ``autograder grade``: rendering them needs no grading). In the blank one every
function raises NotImplementedError and the constants are still None.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.core.results import SubmissionResult, read_result
from autograder.outputs.feedback import (
    STATUS_TEXT,
    build_views,
    context_for,
    feedback_html,
    student_markdown,
)
from autograder.outputs.student_view import student_view
from autograder.student.checks import TODO

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")


def load(name: str) -> SubmissionResult:
    return read_result(DATA / f"sheet_3_2_{name}.json")


@pytest.fixture(scope="module")
def context():
    config = load_config(ROOT / "course_config.py")
    return context_for(config, config.sheet("sheet_3_2"))


def test_one_word_for_work_still_to_do() -> None:
    assert STATUS_TEXT["missing"] == TODO == "to do"


def test_a_blank_notebook_is_one_to_do_line_per_exercise(context) -> None:
    result = load("blank")
    views = build_views(result, context)
    assert {view.status for view in views} == {"missing"}  # the None constants too (3.2.1.2, 3.2.1.3)
    page = feedback_html(result, context)
    lines = re.findall(r'<div class="card todo" data-exercise="([^"]+)">', page)
    assert lines == list(context.sheet.points)
    assert '<div class="case' not in page  # no row per check
    assert "not attempted" not in page.lower()
    assert page.count("raise NotImplementedError") == len(lines)  # said once per exercise
    assert "FOX_ANSWER_SPAN" in page and "HEAD_FOR_TASK" in page  # the constants still None, named
    markdown = student_markdown(result, context)
    assert markdown.count("⬜ to do |") == len(lines) and "To do: 3.2.1.1, 3.2.1.2" in markdown
    view = student_view(result, context)
    assert {e["status_text"] for e in view["exercises"]} == {"to do"}


def test_a_partial_notebook_shows_its_failures_and_one_to_do_line(context) -> None:
    result = load("partial")
    views = {view.exercise: view for view in build_views(result, context)}
    page = feedback_html(result, context)
    assert views["3.2.1.2"].status == "missing"  # FOX_ANSWER_SPAN None, the functions stubs
    fox = next(case for case in views["3.2.1.2"].cases if case.title == "fox answer span")
    assert fox.not_attempted and fox.message.startswith("To do: FOX_ANSWER_SPAN is still None")
    assert views["3.2.1.1"].status == "partial"
    assert "pool_last_token should pick each row" in page  # the real bug, shown
    for exercise, view in views.items():
        todo = [case for case in view.cases if case.not_attempted and not case.passed]
        if view.status not in ("missing", "complete") and todo:
            block = page.split(f"{exercise}: {view.score:g} / {view.max_score:g} points", 1)[1].split("</details>")[0]
            assert block.count('<div class="case todo">') == 1, exercise
            assert "Your code raised NotImplementedError" not in block
    assert "not attempted" not in page.lower()


def test_the_pages_at_1280_px_in_chromium(context, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "ux"))
    from chromium import WIDTH, chromium, page_width

    pages = {}
    for name in ("blank", "partial"):
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(feedback_html(load(name), context), encoding="utf-8")
    with chromium() as driver:
        for name, path in pages.items():
            width, viewport = page_width(driver, path)
            assert width <= viewport == WIDTH, name
            heights = driver.execute_script(
                "return Array.from(document.querySelectorAll('.todo')).map(e => e.getBoundingClientRect().height)")
            assert heights and max(heights) < 90, (name, heights)  # a line or two, not a list of rows
        driver.get(pages["blank"].resolve().as_uri())
        graded = driver.execute_script(  # from "Graded checks" to the next heading
            "const h = Array.from(document.querySelectorAll('h2'));"
            "const i = h.findIndex(e => e.textContent === 'Graded checks');"
            "return h[i + 1].getBoundingClientRect().top - h[i].getBoundingClientRect().bottom")
        assert graded < 800  # eight exercises to do: about 2,500 px of identical rows before
