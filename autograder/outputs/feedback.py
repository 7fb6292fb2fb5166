"""Feedback a student reads at a glance: a markdown summary (results.json's ``output``) and an HTML page
(templates ``feedback/*.html`` of :mod:`autograder.pages`: this module gathers the view, they write the markup).

Both are built from one view of the result (:func:`build_views`): per exercise its points, a status
("complete", "partly right", "to do", ...) and, for every check that lost points, the message its
author wrote. Work not attempted yet (a stub that still raises ``NotImplementedError``, a name not
defined, a constant still ``None``) is "to do", the word ``check()`` in the notebook uses: it is
listed once per exercise, not once per check, and never as a failure. The visibility policy lives here, in the renderer: a ``hidden`` check shows
only its points; ``after_due_date`` and ``after_published`` checks show their messages once that
moment has come. Test source is never shown; reference values only where a test put them in its
message or attached them as a chart (:mod:`autograder.outputs.plots`). What the student's own code printed is
shown escaped, and the staff traceback never.

Hook: :func:`with_summary` puts the summary at the top of ``output`` (between markers, so applying
it again replaces it); call it after the late policy (:func:`autograder.outputs.exports.finalize_result`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from autograder.core import visibility
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.mdtext import md_block, md_text
from autograder.core.results import TODO_PREFIX, CaseResult, SubmissionResult
from autograder.grades.grade import adjustment_on_exercise, adjustment_on_test
from autograder.grades.late import format_time, lateness
from autograder.grades.written import provisional_sentence, written_markdown
from autograder.outputs.plots import RenderedChart, charts_for, render_chart
from autograder.outputs.staff_view import adjusted_text, adjustment_lines, adjustments_markdown
from autograder.outputs.todo_view import todo_cases_html, todo_exercise_html
from autograder.outputs.written_view import written_html
from autograder.pages import Markup, render
from autograder.student import checks

SUMMARY_START = "<!-- autograder:summary -->"
SUMMARY_END = "<!-- /autograder:summary -->"
_SUMMARY_BLOCK = re.compile(re.escape(SUMMARY_START) + r".*?" + re.escape(SUMMARY_END) + r"\n*", re.DOTALL)
_NOT_ATTEMPTED = re.compile(
    r"^(Your code raised (NotImplementedError\b|NameError: name '[^']*' is not defined in your notebook)|"
    + re.escape(TODO_PREFIX) + ")")

STATUS_TEXT = {
    "complete": "complete",
    "partial": "partly right",
    "missing": "to do",
    "wrong": "no points yet",
    "review": "checker problem: staff will review",
    "ungraded": "not graded",
}
STATUS_ICON = {"complete": "✅", "partial": "🟡", "missing": "⬜", "wrong": "❌", "review": "⚠️",
               "ungraded": "⬜"}


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class CaseView:
    title: str
    score: float
    max_score: float
    status: str
    shown: bool
    message: str = ""
    printed: str = ""
    not_attempted: bool = False
    charts: tuple[dict[str, Any], ...] = ()
    adjusted: str = ""  # "adjusted by staff: <reason> (...)" (autograder.outputs.staff_view)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class ExerciseView:
    exercise: str
    score: float
    max_score: float
    status: str
    cases: tuple[CaseView, ...] = ()
    public_checks: tuple[str, ...] = ()
    adjusted: str = ""

    @property
    def hidden_count(self) -> int:
        return sum(not case.shown for case in self.cases)


@dataclass(frozen=True)
class FeedbackContext:
    """What the renderers need besides the result: the sheet, its public checks, the moment."""

    sheet: SheetConfig
    public_checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    now: dt.datetime | None = None
    published: bool | None = None  # None: the sheet's own ``published``


def case_title(case: CaseResult) -> str:
    """``test_cosine_lr_matches_closed_form[3]`` -> ``cosine lr matches closed form [3]``."""
    name, _, param = case.name.partition("[")
    title = name.removeprefix("test_").replace("_", " ").strip() or case.name
    return f"{title} [{param}" if param else title


def is_shown(case: CaseResult, context: FeedbackContext) -> bool:
    """The one visibility rule (:func:`autograder.core.visibility.shown`) at this context's moment."""
    return visibility.shown(case.visibility, context.sheet, now=context.now, published=context.published)


def _case_view(case: CaseResult, context: FeedbackContext, result: SubmissionResult) -> CaseView:
    shown = is_shown(case, context)
    message = case.output.strip() if shown and case.status != "passed" else ""
    if message.startswith("Your code raised NotImplementedError"):
        message = f"{TODO_PREFIX}the function still raises NotImplementedError."
    charts = tuple(charts_for(result.extra_data, nodeid=case.nodeid, name=case.name)) if shown else ()
    return CaseView(
        title=case_title(case) if shown else "hidden check", score=case.score, max_score=case.max_score,
        status=case.status, shown=shown, message=message,
        printed=case.student_output.strip() if shown else "",
        not_attempted=bool(_NOT_ATTEMPTED.match(case.output or "")), charts=charts,
        adjusted=adjusted_text(a) if (a := adjustment_on_test(result, case.nodeid, case.name)) else "",
    )


def _exercise_status(cases: list[CaseView], score: float, possible: float) -> str:
    if not cases:
        return "ungraded"
    if any(case.status == "error" for case in cases):
        return "review"
    if possible and score >= possible - 1e-9:
        return "complete"
    if score > 0:
        return "partial"
    failed = [case for case in cases if not case.passed]
    return "missing" if failed and all(case.not_attempted for case in failed) else "wrong"


def build_views(result: SubmissionResult, context: FeedbackContext) -> list[ExerciseView]:
    """One view per exercise, in the course config's order (exercises the suite did not reach last)."""
    grouped: dict[str, list[CaseView]] = {number: [] for number in context.sheet.points}
    for case in result.tests:
        grouped.setdefault(case.number, []).append(_case_view(case, context, result))
    views = []
    for number, cases in grouped.items():
        score = sum(case.score for case in cases)
        possible = sum(case.max_score for case in cases) or float(context.sheet.points.get(number, 0.0))
        views.append(ExerciseView(
            exercise=number, score=round(score, 4), max_score=round(possible, 4),
            status=_exercise_status(cases, score, possible) if result.gradable else "ungraded",
            cases=tuple(cases), public_checks=tuple(context.public_checks.get(number, ())),
            adjusted=adjusted_text(a) if (a := adjustment_on_exercise(result, number)) else "",
        ))
    return views


# --------------------------------------------------------------------------- what is final


def score_lines(result: SubmissionResult, context: FeedbackContext) -> tuple[str, str, str]:
    """``(headline, finality, lateness)`` sentences shared by the markdown and the HTML."""
    late = lateness(context.sheet, result.submitted_at)
    late_text = late.describe()
    if not result.gradable:
        return (f"Score: 0 / {result.max_score:g}",
                f"This file could not be graded: {result.format_errors} Fix it and submit again.", late_text)
    headline = f"Score: {result.final_score:g} / {result.max_score:g}"
    if result.late_penalty:
        headline += f" ({result.total_before_penalty:g} for your answers, minus {result.late_penalty:g} late penalty)"
    pending = [case for case in result.tests if case.status == "error"]
    if result.grader_error or pending:
        at_stake = sum(case.max_score for case in pending)
        finality = ("Provisional: part of the grading failed on our side (not because of your code); "
                    "course staff have been told and will review it.")
        if at_stake:
            finality += (f" The other {result.score:g} points are final; up to {at_stake:g} more "
                         "may be added after the review.")
    elif result.provisional:
        finality = provisional_sentence(result) + " The points of the hidden checks listed below are final."
    else:
        finality = ("Final for this submission: the score comes from the hidden checks listed below. "
                    "The public checks in your notebook only test the form of your answers and are not "
                    "part of the grade.")
    hidden = sum(not is_shown(case, context) for case in result.tests)
    if hidden:
        finality += (f" {hidden} check(s) are not shown yet; their points are already counted.")
    return headline, finality, late_text


# --------------------------------------------------------------------------- markdown


def _first_line(text: str, limit: int = 220) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summary_markdown(result: SubmissionResult, context: FeedbackContext, *, max_items: int = 12) -> str:
    """The at-a-glance summary: score and what is final, a table per exercise, what to look at."""
    headline, finality, late_text = score_lines(result, context)
    lines = [f"**{md_text(headline)}**", "", md_text(finality)]
    if late_text:
        lines += ["", md_text(late_text)]
    if not result.gradable:
        return "\n".join(lines)
    views = build_views(result, context)
    lines += ["", "| exercise | points | status |", "|---|---:|---|"]
    for view in views:
        lines.append(f"| {md_text(view.exercise)} | {view.score:g} / {view.max_score:g} | "
                     f"{STATUS_ICON[view.status]} {STATUS_TEXT[view.status]} |")
    lines += adjustments_markdown(result, {c.nodeid or c.name for c in result.tests if is_shown(c, context)})
    lines += written_markdown(result, context.sheet)
    todo = [(view, case) for view in views for case in view.cases
            if not case.passed and case.shown and not case.not_attempted]
    if todo:
        lines += ["", "**What to look at**", ""]
        for view, case in todo[:max_items]:
            message = _first_line(case.message) or "this check did not pass"
            lines.append(f"- {md_text(view.exercise)}, *{md_text(case.title)}* (0 / {case.max_score:g}): "
                         f"{md_text(message)}")
        if len(todo) > max_items:
            lines.append(f"- … and {len(todo) - max_items} more (see the checks below).")
    missing = [view.exercise for view in views if view.status == "missing"]
    if missing:
        lines += ["", (f"{TODO_PREFIX}{md_text(', '.join(missing))} (the functions still raise "
                       "NotImplementedError, are not defined, or a value is still None).")]
    return "\n".join(lines)


def notebook_output(result: SubmissionResult) -> str:
    """``output`` without the summary block: what happened while the notebook ran."""
    return _SUMMARY_BLOCK.sub("", result.output).strip()


def with_summary(result: SubmissionResult, context: FeedbackContext) -> SubmissionResult:
    """The result with the markdown summary at the top of ``output`` (any earlier summary replaced)."""
    rest = notebook_output(result)
    block = f"{SUMMARY_START}\n{summary_markdown(result, context)}\n{SUMMARY_END}"
    return result.model_copy(update={"output": block + ("\n\n" + rest if rest else "") + "\n"})


def student_markdown(result: SubmissionResult, context: FeedbackContext) -> str:
    """What a student reads as markdown: the summary, then what the notebook printed, escaped."""
    rest = notebook_output(result)
    ran = f"\n\n**While running your notebook**\n\n{md_block(rest[:20000])}" if rest else ""
    return summary_markdown(result, context) + ran + "\n"


# --------------------------------------------------------------------------- HTML (autograder/pages)

MARK_TEXT = {"complete": "✓", "passed": "✓", "partial": "~", "wrong": "✗", "failed": "✗", "review": "!",
             "error": "!", "missing": "–", "ungraded": "–"}


@functools.lru_cache(maxsize=256)
def _chart(chart_json: str) -> RenderedChart:
    return render_chart(json.loads(chart_json))  # drawing is slow; pages redraw the same charts


def _chart_images(charts: Iterable[Mapping[str, Any]]) -> list[RenderedChart]:
    return [_chart(json.dumps(chart, sort_keys=True, default=str)) for chart in charts]


def _percent(score: float, possible: float) -> float:
    return 0.0 if possible <= 0 else max(0.0, min(100.0, 100.0 * score / possible))


def _view_helpers() -> dict[str, Any]:
    """What the feedback templates call: the marks' words, charts, and the to-do lines of
    :mod:`autograder.outputs.todo_view` (templates of their own, passed on as markup)."""
    return {
        "mark_text": MARK_TEXT, "status_text": STATUS_TEXT, "chart_images": _chart_images, "bar_width": _percent,
        "todo_exercise": lambda view, mark, text: Markup(todo_exercise_html(view, mark, text)),
        "todo_cases": lambda cases, mark: Markup(todo_cases_html(cases, mark)),
    }


def feedback_fragment(result: SubmissionResult, context: FeedbackContext) -> str:
    """What a student sees of one graded submission, as HTML inside ``<div class="ag-feedback">``
    (the stylesheet's ``feedback`` section included): the score and what is final, lateness, the
    exercises, every shown check (message, printed output, charts), hidden checks as points. The
    export's page, the service's pages and the notebook client (through the service's API) all show
    this fragment (template ``feedback/fragment.html``)."""
    headline, finality, late_text = score_lines(result, context)
    klass = "ungradable" if not result.gradable else (
        "provisional" if result.grader_error or result.provisional or any(c.status == "error" for c in result.tests)
        else "final")
    views = build_views(result, context) if result.gradable else None
    shown = {c.nodeid or c.name for c in result.tests if is_shown(c, context)}
    return render(
        "feedback/fragment.html", **_view_helpers(), klass=klass, headline=headline, finality=finality,
        late_text=late_text, views=views,
        adjustments=adjustment_lines(result, shown) if result.gradable and result.adjustments else [],
        written=Markup(written_html(result, context.sheet)) if result.gradable else "",
        ran=notebook_output(result)[:20000])


def feedback_html(result: SubmissionResult, context: FeedbackContext) -> str:
    """A self-contained page (the one stylesheet inline, charts as PNG data URIs) for one submission."""
    sheet = context.sheet
    return render(
        "feedback/page.html", title=sheet.title or sheet.name, student_id=result.student_id,
        submission=result.submission, graded=format_time(result.graded_at, ZoneInfo(sheet.timezone)),
        fragment=Markup(feedback_fragment(result, context)))


def write_feedback_pages(results: Iterable[SubmissionResult], context: FeedbackContext, out_dir: Path) -> list[Path]:
    """``<out_dir>/<student id>.html`` for every result."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for result in results:
        path = out_dir / f"{result.student_id}.html"
        path.write_text(feedback_html(result, context), encoding="utf-8")
        written.append(path)
    return written


def context_for(config: CourseConfig, sheet: SheetConfig, **kwargs: Any) -> FeedbackContext:
    return FeedbackContext(sheet=sheet, public_checks=checks.public_check_names(config, sheet), **kwargs)
