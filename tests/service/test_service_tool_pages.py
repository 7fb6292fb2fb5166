"""The staff's tool pages on the one renderer (issue 23, item 5): each embeds the one stylesheet once
and escapes what staff and students typed.

The adjustments page is driven end to end (a reason and a staff note with markup in them); the
written-answer, regrade and similarity-status templates and the TA page's histogram are rendered
with hostile values where a value can be text (the written pages' answers are tested end to end in
tests/written/test_written_service.py).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from svc_support import Service, notebook_bytes

from autograder import pages
from autograder.core.results import WrittenAnswer, WrittenMark
from autograder.core.written_spec import RubricItem, WrittenQuestion
from autograder.service.pages import histogram_svg
from autograder.term.regrade_diff import CaseChange, RegradeDiff, StudentTotal, diff_context

HOSTILE = "<script>alert('x')</script>\"&"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;"
USER = SimpleNamespace(name="tara", xsrf='x"y', is_ta=True)


def _one_stylesheet(page: str) -> None:
    assert page.count(str(pages.stylesheet())) == 1 and len(re.findall("<style>", page)) == 1
    assert "<script>alert" not in page


def test_the_adjustments_page_escapes_the_reason_and_the_note(service: Service) -> None:
    sub = service.submit("alice", notebook_bytes("bug:3.2.2")).json()
    service.wait("alice", sub["id"])
    done = service.post("tara", "ta/adjust?sheet=sheet_3_2", data={
        "student": "alice", "exercise": "3.2.2", "points": "14", "reason": f"reason {HOSTILE}",
        "note": f"note {HOSTILE}"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = service.get("tara", "ta/adjustments?sheet=sheet_3_2").text
    _one_stylesheet(page)
    assert page.count(f"reason {ESCAPED}") == 2 and f"note {ESCAPED}" in page  # in force, and in the log
    assert '<body class="ag-tool">' in page and 'id="adjust-form"' in page and 'name="adjustment_id"' in page
    refused = service.post("tara", "ta/adjust?sheet=sheet_3_2", data={
        "student": "alice", "exercise": "3.2.2", "points": HOSTILE, "reason": "r"}, follow_redirects=False)
    assert refused.status_code == 400
    _one_stylesheet(refused.text)
    assert 'class="error" role="alert"' in refused.text and "&lt;script&gt;" in refused.text


def test_the_written_pages_escape_answers_comments_and_notes() -> None:
    question = WrittenQuestion(id="why", exercise="3.2.2", points=2, title=HOSTILE,
                               rubric=(RubricItem(id="r1", points=1, text=HOSTILE),))
    mark = WrittenMark(points=1.5, rubric=("r1",), comment=HOSTILE, staff_note=HOSTILE)
    answer = WrittenAnswer(question="why", exercise="3.2.2", max_points=2, text=HOSTILE, mark=mark)
    sheet = SimpleNamespace(name="sheet_3_2", title=HOSTILE)
    form = {"student": "alice", "text": answer.text, "mark": mark, "ticked": {"r1"}, "status": "graded"}
    page = pages.render("service/written_question.html", sheet=sheet, question=question, prefix="/p/", user=USER,
                        forms=[form])
    _one_stylesheet(page)
    assert page.count(ESCAPED) == 6  # title, rubric line, item label, answer, comment, staff note
    assert 'value="r1" checked' in page and 'value="1.5"' in page and 'value="x&quot;y"' in page
    index = pages.render("service/written_index.html", sheet=sheet, prefix="/p/",
                         questions=[{"question": question, "graded": 1, "awaiting": 0}])
    _one_stylesheet(index)
    assert index.count(ESCAPED) == 2 and "1 graded, 0 awaiting staff" in index


def test_the_regrade_preview_escapes_ids_reasons_and_a_failure() -> None:
    diff = RegradeDiff(changes=[CaseChange(student_id=HOSTILE, exercise="e", test=HOSTILE, old_points=1.0,
                                           new_points=0.0, old_status="passed", new_status="failed", why=(HOSTILE,))],
                       totals=[StudentTotal(HOSTILE, 10.0, 9.0)])
    context = diff_context(diff, title=HOSTILE, applied=False)
    page = pages.render("service/regrade_preview.html", **context, preview_state="done", prefix="/p/",
                        sheet="sheet_3_2", user=USER, count=1)
    _one_stylesheet(page)
    assert ESCAPED in page and 'id="regrade-apply"' in page and '<p id="preview-state">done</p>' in page
    applied = pages.render("service/regrade_preview.html", **context, preview_state="applied", prefix="/p/",
                           sheet="sheet_3_2", user=USER, count=1)
    assert 'id="regrade-apply"' not in applied
    failed = pages.render("service/regrade_running.html", running=False, graded=0, message=HOSTILE)
    _one_stylesheet(failed)
    assert f"failed: {ESCAPED}" in failed and "refresh" not in failed.split("<style>")[0]
    running = pages.render("service/regrade_running.html", running=True, graded=3, message="")
    assert '<meta http-equiv="refresh" content="2">' in running and "running: 3 graded so far" in running


def test_the_similarity_status_escapes_the_run_s_message() -> None:
    page = pages.render("service/similarity_status.html", busy=True, refresh=2, sheet=HOSTILE, job_state="failed",
                        message=HOSTILE, index="/p/index.html?a=1&b=2")
    _one_stylesheet(page)
    assert page.count(ESCAPED) == 3 and 'href="/p/index.html?a=1&amp;b=2"' in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_the_histogram_counts_every_score_in_its_bin() -> None:
    svg = str(histogram_svg([0.0, 0.05, 0.55, 1.0, 1.0, 0.99]))
    counts = [int(c) for c in re.findall(r'data-count="(\d+)"', svg)]
    assert counts == [2, 0, 0, 0, 0, 1, 0, 0, 0, 3] and svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'height="160" fill' in svg  # the fullest bin is the whole height
