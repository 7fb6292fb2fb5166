"""The fragments that moved onto autograder.pages last (issue 23 item 5): the to-do lines, the written
answers and the regrade diff escape every text they are given, as ``html.escape(quote=True)`` did
before they moved, and keep the markup they are handed as markup."""

from __future__ import annotations

import html
import re
from pathlib import Path

from autograder.core.config import load_config
from autograder.core.results import TODO_PREFIX, SubmissionResult, WrittenAnswer, WrittenMark
from autograder.core.written_spec import RubricItem, WrittenQuestion
from autograder.outputs.feedback import CaseView, ExerciseView
from autograder.outputs.todo_view import todo_cases_html, todo_exercise_html
from autograder.outputs.written_view import written_html
from autograder.term.regrade_diff import CaseChange, RegradeDiff, StudentTotal, diff_html

TOY = Path(__file__).resolve().parents[1] / "toy_course"
HOSTILE = "<script>alert('x')</script>\"&amp;"
ESCAPED = html.escape(HOSTILE, quote=True)  # &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;amp;
MARK = '<span class="mark missing" aria-hidden="true">–</span>'


def _todo_case(message: str) -> CaseView:
    return CaseView(title=HOSTILE, score=0.0, max_score=1.5, status="failed", shown=True, message=message,
                    not_attempted=True)


def _assert_escaped(page: str, times: int) -> None:
    assert "<script>" not in page and "alert('x')" not in page
    assert page.count(ESCAPED) == times, page


def test_a_to_do_exercise_escapes_its_id_its_status_and_the_missing_names() -> None:
    view = ExerciseView(exercise=HOSTILE, score=0.0, max_score=3.0, status="missing", public_checks=("c",),
                        cases=(_todo_case(f'{TODO_PREFIX}<b>A</b> & "B" is still None'),))
    page = todo_exercise_html(view, MARK, HOSTILE)
    _assert_escaped(page, 4)  # data-exercise, the line, its status, check("...")
    assert page.startswith(f'<div class="card todo" data-exercise="{ESCAPED}">{MARK}<b>{ESCAPED}: 0 / 3 points, ')
    assert f'<code>check("{ESCAPED}")</code>' in page
    assert "Still missing: &lt;b&gt;A&lt;/b&gt; &amp; &quot;B&quot;." in page and "<b>A</b>" not in page


def test_the_to_do_checks_of_an_exercise_escape_the_missing_names() -> None:
    cases = [_todo_case(f"Your code raised NameError: name '{HOSTILE}' is not defined in your notebook"),
             _todo_case(f"{TODO_PREFIX}{HOSTILE.replace(chr(39), '')} is still None")]
    page = todo_cases_html(cases, MARK)
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert "&lt;script&gt;alert(x)&lt;/script&gt;&quot;&amp;amp;." in page  # the whole second name
    assert re.fullmatch(rf'<div class="case todo"><div class="head"><span>{re.escape(MARK)}to do: 2 checks</span>'
                        r'<span class="num">0 / 3</span></div><p class="note">The functions .*</p></div>', page)


def test_written_answers_escape_every_text_a_student_or_staff_wrote() -> None:
    question = WrittenQuestion(id="q1", exercise="e", points=2.0, title=HOSTILE,
                               rubric=(RubricItem(id="r1", text=HOSTILE, points=1.0),))
    sheet = load_config(TOY / "course_config.py").sheet("toy").model_copy(update={"written": (question,)})
    answer = WrittenAnswer(question="q1", exercise=HOSTILE, max_points=2.0, text=HOSTILE,
                           mark=WrittenMark(points=1.0, rubric=("r1", HOSTILE), comment=HOSTILE,
                                            staff_note="STAFF-ONLY"))
    page = written_html(SubmissionResult(student_id="s", sheet="s", submission="s.ipynb", written=(answer,)), sheet)
    _assert_escaped(page, 6)  # exercise, title, text, ticked item, unknown rubric id, comment
    assert f"<li>{ESCAPED} (1)</li><li>{ESCAPED}</li>" in page and f"<pre>{ESCAPED}</pre>" in page
    assert "STAFF-ONLY" not in page and page.startswith('<h2>Written answers (graded by staff)</h2><section class')


def test_the_regrade_diff_escapes_ids_tests_reasons_and_the_title() -> None:
    diff = RegradeDiff(changes=[CaseChange(HOSTILE, HOSTILE, HOSTILE, None, 1.0, HOSTILE, "passed", (HOSTILE, "x"),
                                           kept=HOSTILE)],
                       totals=[StudentTotal(HOSTILE, 1.0, 2.0, adjustments=(HOSTILE,)),
                               StudentTotal("bob", 1.0, 1.0, note=HOSTILE)])
    page = diff_html(diff, title=HOSTILE, applied=False)
    _assert_escaped(page, 11)  # title twice, 5 cells + reason of the change, 2 cells of a total, a note
    assert f"<td class=num> &rarr; 1</td><td>{ESCAPED} &rarr; passed</td><td>{ESCAPED}; x</td>" in page
    assert f'<tr class="up"><td>{ESCAPED}</td><td class=num>1 &rarr; 2</td><td>up</td><td>{ESCAPED}</td></tr>' in page
