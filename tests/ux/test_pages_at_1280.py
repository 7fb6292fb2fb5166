"""Staff pages at 1280 px in headless Chromium, and a class-sized TA report (issue 22, items 3 and 13).

The TA report gets a class shaped like the one the issue walked: 65 hidden tests, most students not
attempting part of the sheet (their tests say "Your code raised NotImplementedError"), and one real
bug in one student's warm-up, which must not be buried under the stubs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from chromium import WIDTH, chromium, page_width

from autograder.core.config import SheetConfig
from autograder.core.results import CaseResult, SubmissionResult
from autograder.outputs.report import common_failures, report_charts, write_report

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = {"warmup": 10.0, **{f"ex{n}": 15.0 for n in range(1, 7)}}
TESTS = {ex: [f"test_{ex}_{i}_checks_something_with_a_rather_long_name" for i in range(9)]
         for ex in EXERCISES}
STUB = "Your code raised NotImplementedError: "
BUG = "warm-up: scale(0) should be 0.0, got nan (a division by zero?)"


def _class() -> tuple[SheetConfig, list[SubmissionResult]]:
    sheet = SheetConfig(name="big", title="A big sheet", assignment_dir=Path("a"), notebook="n.ipynb",
                        reference_module="r", hidden_dir=Path("h"), points=EXERCISES)
    results = []
    for number in range(20):
        student = f"student_with_a_long_login_name_{number:02d}@example.org"
        cases = []
        for ex, names in TESTS.items():
            points = EXERCISES[ex] / len(names)
            attempted = ex == "warmup" or int(ex[2:]) <= number % 7
            for i, name in enumerate(names):
                bug = number == 3 and ex == "warmup" and i == 0
                ok = attempted and not bug
                cases.append(CaseResult(name=name, number=ex, score=points if ok else 0.0, max_score=points,
                                        status="passed" if ok else "failed",
                                        output="" if ok else BUG if bug else STUB, nodeid=f"t.py::{name}"))
        results.append(SubmissionResult(student_id=student, sheet="big", submission="n.ipynb",
                                        score=sum(c.score for c in cases), tests=tuple(cases)))
    assert sum(len(v) for v in TESTS.values()) >= 63
    return sheet, results


def test_one_real_bug_is_not_buried_under_stubs() -> None:
    sheet, results = _class()
    failures = common_failures(results)
    assert [(g.message, g.students) for g in failures] == [(BUG, (results[3].student_id,))]
    assert "tests" not in report_charts(results, sheet)  # no 63-bar chart


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def test_ta_report_fits_1280_and_has_a_roster(browser, tmp_path: Path) -> None:
    sheet, results = _class()
    feedback = tmp_path / "export" / "feedback"
    feedback.mkdir(parents=True)
    for result in results:
        (feedback / f"{result.student_id}.html").write_text("<p>feedback</p>")
    page = write_report(results, sheet, tmp_path / "report.html", feedback_dir=feedback)
    text = page.read_text()
    assert text.count(">feedback</a>") == len(results)
    assert text.index("Most common failure messages") < text.index("Not attempted yet") < text.index("Roster")
    assert re.search(r"<h2>Not attempted yet</h2>.*?<td>ex6</td>", text, re.DOTALL)
    assert text.count(STUB.strip()) == 0  # counted as not attempted, never listed as a message
    scroll, viewport = page_width(browser, page)
    assert viewport == WIDTH and scroll <= WIDTH, scroll


def test_similarity_pages_fit_1280(browser, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "similarity"))
    import similarity_corpus as corpus

    from autograder.similarity import run_similarity

    built = corpus.build(tmp_path / "class")
    run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[next(iter(built.values())).parent],
                         out=tmp_path / "out", sheet="sheet_3_2")
    pages = [run.index, *sorted((run.out / "pairs").glob("*.html"))]
    assert len(pages) > 5
    for page in pages:
        scroll, viewport = page_width(browser, page)
        assert viewport == WIDTH and scroll <= WIDTH, (page.name, scroll)
