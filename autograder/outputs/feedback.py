"""Feedback a student reads at a glance: a markdown summary (results.json's ``output``) and an HTML page.

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
import html
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
from autograder.grades.written import provisional_sentence, written_html, written_markdown
from autograder.outputs.plots import charts_for, render_chart
from autograder.outputs.staff_view import adjusted_text, adjustment_lines, adjustments_markdown
from autograder.outputs.todo_view import todo_cases_html, todo_exercise_html
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


# --------------------------------------------------------------------------- HTML

PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:1.5em;margin:0 0 4px} .meta{color:#5b6372;font-size:.9em;margin:0}
"""
_FEEDBACK_RULES = """
h2{font-size:1.15em;margin:28px 0 8px}
.meta{color:#5b6372;font-size:.9em;margin:0}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px;margin:12px 0}
.score{font-size:2em;font-weight:700} .final{border-left:6px solid #2e7d32}
.provisional{border-left:6px solid #ef6c00} .ungradable{border-left:6px solid #c62828}
table{border-collapse:collapse;width:100%} td,th{padding:6px 8px;border-bottom:1px solid #eceff3;
text-align:left} .num{text-align:right;white-space:nowrap}
.bar{background:#eceff3;border-radius:4px;height:10px;width:140px}
.bar span{display:block;height:10px;border-radius:4px;background:#2e7d32}
.case{border-top:1px solid #eceff3;padding:8px 0} .case:first-of-type{border-top:none}
.case .head{display:flex;justify-content:space-between;gap:12px}
pre{background:#f3f4f7;border-radius:6px;padding:8px 10px;white-space:pre-wrap;word-break:break-word;
font-size:.85em;margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:8px} .charts img{max-width:100%;width:430px;border:1px solid #eceff3}
.mark{display:inline-block;width:1.3em;height:1.3em;line-height:1.3em;border-radius:50%;text-align:center;
color:#fff;font-weight:700;font-size:.8em;margin-right:6px;background:#9aa1ad}
.mark.complete,.mark.passed{background:#2e7d32} .mark.partial{background:#f9a825} .mark.wrong,.mark.failed{background:#c62828}
.mark.review,.mark.error{background:#ef6c00} .mark.missing,.mark.ungraded{background:#9aa1ad}
.tag{font-size:.75em;border-radius:10px;padding:2px 8px;background:#eceff3;color:#3b4350}
details summary{cursor:pointer;font-weight:600} .note{color:#5b6372;font-size:.9em}
"""


def _scoped(css: str, scope: str) -> str:
    """Every rule of ``css`` limited to elements inside ``scope`` (a notebook or a page shares styles)."""
    rules = []
    for rule in css.split("}"):
        if "{" in rule:
            selectors, body = rule.split("{", 1)
            rules.append(",".join(f"{scope} {sel.strip()}" for sel in selectors.split(",")) + "{" + body + "}")
    return "\n".join(rules)


FEEDBACK_CSS = _scoped(_FEEDBACK_RULES, ".ag-feedback")
"""The feedback fragment's styles, scoped to ``.ag-feedback`` (the fragment carries them along)."""
CSS = PAGE_CSS


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


@functools.lru_cache(maxsize=256)
def _chart_image(chart_json: str) -> str:
    rendered = render_chart(json.loads(chart_json))  # drawing is slow; pages redraw the same charts
    return (f'<img src="{rendered.data_uri()}" alt="{_e(rendered.title)}" '
            f'data-series="{rendered.series}" title="{_e(rendered.title)}">')


def _chart_images(charts: Iterable[Mapping[str, Any]]) -> str:
    images = [_chart_image(json.dumps(chart, sort_keys=True, default=str)) for chart in charts]
    return f'<div class="charts">{"".join(images)}</div>' if images else ""


MARK_TEXT = {"complete": "✓", "passed": "✓", "partial": "~", "wrong": "✗", "failed": "✗", "review": "!",
             "error": "!", "missing": "–", "ungraded": "–"}


def _mark(kind: str) -> str:
    return f'<span class="mark {kind}" aria-hidden="true">{MARK_TEXT[kind]}</span>'


def _case_html(case: CaseView) -> str:
    kind = "missing" if case.not_attempted and not case.passed else case.status
    body = f'<div class="case"><div class="head"><span>{_mark(kind)}{_e(case.title)}</span>' \
           f'<span class="num">{case.score:g} / {case.max_score:g}</span></div>'
    if case.adjusted:
        body += f'<p class="note adjusted">{_e(case.adjusted)}</p>'
    if case.message:
        body += f"<pre>{_e(case.message)}</pre>"
    if case.printed:
        body += f'<p class="note">Your code printed:</p><pre>{_e(case.printed[:4000])}</pre>'
    body += _chart_images(case.charts)
    return body + "</div>"


def _exercise_html(view: ExerciseView) -> str:
    if view.status == "missing" and not view.adjusted:  # one line, not one identical row per check
        return todo_exercise_html(view, _mark(view.status), STATUS_TEXT[view.status])
    opened = " open" if view.status not in ("complete",) else ""
    shown = [case for case in view.cases if case.shown]
    todo = [case for case in shown if case.not_attempted and not case.passed]
    parts = [(f'<details class="card"{opened}><summary>{_mark(view.status)}{_e(view.exercise)}: '
              f"{view.score:g} / {view.max_score:g} points, {_e(STATUS_TEXT[view.status])}</summary>")]
    if view.adjusted:
        parts.append(f'<p class="note adjusted">{_e(view.adjusted)}</p>')
    if view.status == "missing":
        parts.append('<p class="note">The functions of this exercise still raise NotImplementedError '
                     "(or are not defined), so its checks could not run.</p>")
    parts.extend(_case_html(case) for case in shown if case not in todo)
    if todo:
        parts.append(todo_cases_html(todo, _mark("missing")))
    if view.hidden_count:
        parts.append(f'<p class="note">{view.hidden_count} hidden check(s): '
                     f"{sum(c.score for c in view.cases if not c.shown):g} / "
                     f"{sum(c.max_score for c in view.cases if not c.shown):g} points.</p>")
    if view.public_checks:
        parts.append(f'<p class="note">Public checks for this exercise (run <code>check("{_e(view.exercise)}")'
                     f"</code> in your notebook): {_e(', '.join(view.public_checks))}. They are not graded.</p>")
    return "".join(parts) + "</details>"


def feedback_fragment(result: SubmissionResult, context: FeedbackContext) -> str:
    """What a student sees of one graded submission, as HTML inside ``<div class="ag-feedback">``
    (its scoped styles included): the score and what is final, lateness, the exercises, every shown
    check (message, printed output, charts), hidden checks as points. The export's page, the
    service's pages and the notebook client (through the service's API) all show this fragment."""
    headline, finality, late_text = score_lines(result, context)
    klass = "ungradable" if not result.gradable else (
        "provisional" if result.grader_error or result.provisional or any(c.status == "error" for c in result.tests)
        else "final")
    parts = [
        f'<div class="ag-feedback"><style>{FEEDBACK_CSS}</style>',
        f'<section class="card {klass}"><div class="score">{_e(headline)}</div><p class="finality">'
        f"{_e(finality)}</p>" + (f'<p class="late-text">{_e(late_text)}</p>' if late_text else "")
        + "</section>",
    ]
    if result.gradable:
        views = build_views(result, context)
        rows = "".join(
            f'<tr class="exercise" data-exercise="{_e(v.exercise)}"><td>{_e(v.exercise)}</td>'
            f"<td class=num>{v.score:g} / {v.max_score:g}</td>"
            f'<td><div class="bar"><span style="width:{_percent(v.score, v.max_score):.0f}%"></span></div></td>'
            f"<td>{_mark(v.status)}{_e(STATUS_TEXT[v.status])}</td></tr>" for v in views)
        parts.append(f'<h2>At a glance</h2><section class="card"><table><tr><th>exercise</th><th class=num>points</th>'
                     f"<th></th><th>status</th></tr>{rows}</table></section>")
        shown = {c.nodeid or c.name for c in result.tests if is_shown(c, context)}
        if result.adjustments:
            parts.append('<h2>Adjusted by staff</h2><section class="card adjustments"><ul>' + "".join(
                f"<li>{_e(line)}</li>" for line in adjustment_lines(result, shown)) + "</ul></section>")
        parts.append("<h2>Graded checks</h2>")
        parts.extend(_exercise_html(view) for view in views)
        parts.append(written_html(result, context.sheet))
    ran = notebook_output(result)
    if ran:
        parts.append(f'<h2>While running your notebook</h2><section class="card"><pre>{_e(ran[:20000])}</pre>'
                     "</section>")
    parts.append(
        '<h2>About this feedback</h2><section class="card note"><p>The <b>graded checks</b> are the hidden '
        "tests: they decide the score, and their code and expected values are not shown (a check may show "
        "a chart or a value where that helps). The <b>public checks</b> are the ones in your notebook "
        "(<code>check()</code>); they only test the form of your answers and give no points.</p></section>")
    parts.append("</div>")
    return "\n".join(parts)


def feedback_html(result: SubmissionResult, context: FeedbackContext) -> str:
    """A self-contained page (inline CSS, charts as PNG data URIs) for one submission."""
    sheet = context.sheet
    graded = format_time(result.graded_at, ZoneInfo(sheet.timezone))
    return "\n".join([
        (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Feedback: '
         f"{_e(sheet.title or sheet.name)} ({_e(result.student_id)})</title><style>{CSS}</style></head>"
         "<body><main>"),
        f"<h1>{_e(sheet.title or sheet.name)}</h1>",
        f'<p class="meta">{_e(result.student_id)} · {_e(result.submission)} · graded {_e(graded)}</p>',
        feedback_fragment(result, context),
        "</main></body></html>",
    ])


def _percent(score: float, possible: float) -> float:
    return 0.0 if possible <= 0 else max(0.0, min(100.0, 100.0 * score / possible))


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
