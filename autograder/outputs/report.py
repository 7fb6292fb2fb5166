"""The TA report for a graded batch: one self-contained HTML page with charts as inline PNG images.

What the class got wrong at a glance: the score distribution, per-exercise means, the hidden tests
sorted by pass rate (a table with inline bars), the failure messages grouped by message (with who
got them), apart from the work not attempted yet, a roster (student, points per exercise, final,
a link to the student's feedback page), grading time per submission, the submissions staff must
look at (not gradable, grader errors, restarts, late), and, when
``autograder similarity`` wrote its results to ``RESULTS_DIR/similarity``, the pairs that share most code.
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autograder.core.config import SheetConfig
from autograder.core.results import CaseResult, SubmissionResult
from autograder.outputs.feedback import (
    _NOT_ATTEMPTED as NOT_ATTEMPTED,  # the feedback pages' rule, one for both
)
from autograder.outputs.plots import RenderedChart, bars, histogram

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1100px;margin:0 auto;padding:24px} h1{font-size:1.5em} h2{font-size:1.15em;margin-top:28px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px;margin:12px 0}
table{border-collapse:collapse;width:100%} td,th{padding:5px 8px;border-bottom:1px solid #eceff3;text-align:left;
vertical-align:top;font-size:.9em} td.num{text-align:right;white-space:nowrap}
img{max-width:100%} .grid{display:flex;flex-wrap:wrap;gap:12px} .stat{font-size:1.6em;font-weight:700}
.muted{color:#5b6372} pre{white-space:pre-wrap;margin:0;font-size:.85em} main{overflow-wrap:anywhere}
.bar{display:inline-block;height:.8em;background:#3b6fd8;vertical-align:middle}
.track{display:inline-block;width:120px;background:#e6e9ef;margin-right:6px;line-height:0}
.scroll{overflow-x:auto} td.low{color:#a3001b;font-weight:700}
"""


@dataclass(frozen=True)
class CaseStats:
    nodeid: str
    name: str
    exercise: str
    runs: int
    passed: int
    mean_duration_s: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0


def case_stats(results: Sequence[SubmissionResult]) -> list[CaseStats]:
    """Per hidden test over gradable submissions, lowest pass rate first."""
    runs: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for result in results:
        if not result.gradable:
            continue
        for case in result.tests:
            key = case.nodeid or case.name
            runs[key].append((case.status == "passed", case.duration_s))
            meta[key] = (case.name, case.number)
    stats = [CaseStats(key, meta[key][0], meta[key][1], len(items), sum(ok for ok, _ in items),
                       statistics.fmean(d for _, d in items)) for key, items in runs.items()]
    return sorted(stats, key=lambda s: (s.pass_rate, s.exercise, s.name))


def exercise_stats(results: Sequence[SubmissionResult], sheet: SheetConfig) -> list[tuple[str, float, float, float]]:
    """``(exercise, mean points, max points, share with full marks)`` over gradable submissions."""
    gradable = [r for r in results if r.gradable]
    rows = []
    for exercise, possible in sheet.points.items():
        scores = [r.exercise_scores().get(exercise, (0.0, possible))[0] for r in gradable]
        mean = statistics.fmean(scores) if scores else 0.0
        full = sum(s >= possible - 1e-9 for s in scores) / len(scores) if scores else 0.0
        rows.append((exercise, mean, float(possible), full))
    return rows


def not_attempted(case: CaseResult) -> bool:
    """The test failed only because the work is not written yet (a stub, an undefined name)."""
    return case.status != "passed" and bool(NOT_ATTEMPTED.match(case.output or ""))


@dataclass(frozen=True)
class FailureGroup:
    """One failure message, the tests that gave it, and the students who got it (attempted work only)."""

    message: str
    tests: tuple[str, ...]
    students: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.students)


def common_failures(results: Sequence[SubmissionResult]) -> list[FailureGroup]:
    """Failures of attempted work grouped by the message's first line, most students first.

    "Not attempted yet" is not a failure message: :func:`not_attempted_by_exercise` counts it apart,
    so one student's real bug is not buried under the class's untouched stubs.
    """
    tests: dict[str, dict[str, None]] = defaultdict(dict)
    who: dict[str, dict[str, None]] = defaultdict(dict)
    for result in results:
        for case in result.tests:
            if case.status == "passed" or not_attempted(case):
                continue
            line = next((ln.strip() for ln in case.output.splitlines() if ln.strip()), "(no message)")[:200]
            tests[line][f"{case.number} · {case.name}"] = None
            who[line][result.student_id] = None
    groups = [FailureGroup(line, tuple(tests[line]), tuple(who[line])) for line in who]
    return sorted(groups, key=lambda g: (-g.count, g.message))


def not_attempted_by_exercise(results: Sequence[SubmissionResult]) -> dict[str, list[str]]:
    """Exercise id -> the students (gradable) whose every lost point there is work not attempted yet."""
    missing: dict[str, list[str]] = defaultdict(list)
    for result in results:
        if not result.gradable:
            continue
        lost: dict[str, list[CaseResult]] = defaultdict(list)
        for case in result.tests:
            if case.status != "passed":
                lost[case.number].append(case)
        for exercise, cases in lost.items():
            if all(not_attempted(case) for case in cases):
                missing[exercise].append(result.student_id)
    return dict(missing)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _seconds(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, (int, float)) else "–"


def _img(chart: RenderedChart) -> str:
    return f'<img src="{chart.data_uri()}" alt="{_e(chart.title)}" data-series="{chart.series}">'


def report_charts(results: Sequence[SubmissionResult], sheet: SheetConfig) -> dict[str, RenderedChart]:
    """The report's charts by name (also used by tests and for review)."""
    finals = [r.final_score for r in results if r.gradable]
    exercises = exercise_stats(results, sheet)
    timed = sorted(results, key=lambda r: r.execution_time, reverse=True)
    return {
        "scores": histogram(finals or [0.0], title="Final scores", x_label="points",
                            x_range=(0.0, max(sheet.total_points, 1.0))),
        "exercises": bars([e for e, *_ in exercises], [100 * m / p if p else 0 for _, m, p, _ in exercises],
                          title="Mean score per exercise", value_label="% of points", limit=100),
        "times": bars([r.student_id for r in timed[:40]], [r.execution_time for r in timed[:40]],
                      title="Grading time per submission (slowest 40)", value_label="seconds", horizontal=True),
    }


def _overview(results: Sequence[SubmissionResult], sheet: SheetConfig) -> str:
    gradable = [r for r in results if r.gradable]
    finals = [r.final_score for r in gradable]
    cells = [
        ("submissions", f"{len(results)}"),
        ("gradable", f"{len(gradable)}"),
        ("mean", f"{statistics.fmean(finals):.1f} / {sheet.total_points:g}" if finals else "–"),
        ("median", f"{statistics.median(finals):g}" if finals else "–"),
        ("full marks", f"{sum(f >= sheet.total_points - 1e-9 for f in finals)}"),
        ("late", f"{sum(r.late_penalty > 0 or bool(r.extra_data.late and r.extra_data.late.late) for r in results)}"),
        ("mean grading time", f"{statistics.fmean(r.execution_time for r in results):.1f} s" if results else "–"),
    ]
    return '<div class="grid">' + "".join(
        f'<div class="card"><div class="muted">{_e(k)}</div><div class="stat">{_e(v)}</div></div>' for k, v in cells
    ) + "</div>"


def _attention(results: Sequence[SubmissionResult]) -> str:
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        notes = []
        if not r.gradable:
            notes.append(f"not gradable: {r.format_errors}")
        if r.grader_error:
            notes.append(f"grader error: {r.grader_error.strip().splitlines()[-1][:300] if r.grader_error.strip() else ''}")
        errors = [c.name for c in r.tests if c.status == "error"]
        if errors:
            notes.append(f"checker errors in {', '.join(errors)}")
        restarts = r.extra_data.restarts
        if restarts:
            notes.append(f"sandbox restarted {restarts} time(s)")
        if r.late_penalty:
            notes.append(f"late penalty {r.late_penalty:g}")
        if notes:
            rows.append(f"<tr><td>{_e(r.student_id)}</td><td>{_e('; '.join(notes))}</td></tr>")
    if not rows:
        return '<p class="muted">Nothing needs attention.</p>'
    return f"<table><tr><th>student</th><th>what</th></tr>{''.join(rows)}</table>"


def _similarity(folder: Path | None, page: Path) -> str:
    """The top pairs of ``autograder similarity`` (written to ``folder``), linked to its full page; "" if none."""
    summary_file = folder / "similarity.json" if folder else None
    if summary_file is None or not summary_file.is_file():
        return ""
    try:
        data = json.loads(summary_file.read_text(encoding="utf-8"))
        top = [p for p in data["top_pairs"] if isinstance(p, dict)][:10]
        rows = "".join(
            f"<tr><td class=num>{int(p['rank'])}</td><td>{_e(p['a'])}</td><td>{_e(p['b'])}</td>"
            f"<td class=num>{100 * float(p['a_in_b']):.0f}%</td><td class=num>{100 * float(p['b_in_a']):.0f}%</td>"
            f"<td class=num>{int(p['longest_run'])}</td><td>{'flagged' if p['flagged'] is True else ''}</td>"
            f"<td>{_link(folder, page, str(p['page']), 'side by side')}</td></tr>" for p in top)
        counts = f"{int(data['compared'])} compared, {int(data['flagged'])} pair(s) flagged"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f'<h2>Similarity</h2><div class="card">{_e(summary_file)} could not be read: {_e(exc)}</div>'
    return (f'<h2>Similarity</h2><div class="card"><p>{_e(counts)}; {_link(folder, page, "index.html", "all pairs")}. '
            "Evidence for a person to weigh, not a verdict (docs/similarity.md).</p><table><tr><th>#</th><th>A</th>"
            f"<th>B</th><th>A in B</th><th>B in A</th><th>longest run</th><th></th><th></th></tr>{rows}</table></div>")


def _link(folder: Path | None, page: Path, target: str, text: str) -> str:
    if folder is None or not re.fullmatch(r"index\.html|pairs/\d{4}\.html", target):
        return ""
    href = Path(os.path.relpath(folder.resolve() / target, page.resolve().parent)).as_posix()
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _bar(share: float) -> str:
    """An inline bar for a share in [0, 1]: readable for any number of rows, no image."""
    return f'<span class="track"><span class="bar" style="width:{100 * max(0.0, min(share, 1.0)):.0f}%"></span></span>'


def _students(names: Sequence[str], shown: int = 12) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return _e(", ".join(names[:shown])) + more


def _failures(results: Sequence[SubmissionResult], top: int = 30) -> str:
    groups = common_failures(results)
    rows = "".join(
        f"<tr><td class=num>{g.count}</td><td><pre>{_e(g.message)}</pre></td><td>{_e(', '.join(g.tests))}</td>"
        f"<td>{_students(g.students)}</td></tr>" for g in groups[:top])
    more = f'<p class="muted">{len(groups) - top} rarer message(s) not shown.</p>' if len(groups) > top else ""
    if not rows:
        return '<h2>Most common failure messages</h2><div class="card"><p class="muted">No attempted work fails.</p></div>'
    return ('<h2>Most common failure messages</h2><div class="card"><p class="muted">Failures of work the student '
            "attempted, grouped by message; work not attempted yet is counted below.</p><table><tr>"
            f"<th>students</th><th>message</th><th>tests</th><th>who</th></tr>{rows}</table>{more}</div>")


def _not_attempted(results: Sequence[SubmissionResult], sheet: SheetConfig) -> str:
    missing = not_attempted_by_exercise(results)
    gradable = sum(r.gradable for r in results) or 1
    rows = "".join(
        f"<tr><td>{_e(exercise)}</td><td class=num>{_bar(len(missing[exercise]) / gradable)}"
        f"{len(missing[exercise])}</td><td>{_students(missing[exercise])}</td></tr>"
        for exercise in sheet.points if missing.get(exercise))
    body = (f"<table><tr><th>exercise</th><th>students</th><th>who</th></tr>{rows}</table>" if rows
            else '<p class="muted">Every student attempted every exercise.</p>')
    return (f'<h2>Not attempted yet</h2><div class="card"><p class="muted">Exercises whose every lost point is a '
            f"stub still raising NotImplementedError or a name not defined.</p>{body}</div>")


def _roster(results: Sequence[SubmissionResult], sheet: SheetConfig, *, page: Path | None,
            feedback_dir: Path | None, links: Mapping[str, str] | None = None) -> str:
    head = "".join(f"<th>{_e(exercise)}</th>" for exercise in sheet.points)
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        per = r.exercise_scores()
        cells = "".join(
            f"<td class=\"num{' low' if per.get(ex, (0.0, 0.0))[0] < possible - 1e-9 else ''}\">"
            f"{per.get(ex, (0.0, possible))[0]:g}</td>" for ex, possible in sheet.points.items()) if r.gradable else (
            f'<td colspan="{len(sheet.points)}">not gradable</td>')
        grade_parts = "".join(f"<td class=num>{value:g}</td>" for value in (
            r.score, r.written_score, r.adjustment_total, r.late_penalty))
        link = (_given_link(links, r.student_id) if links is not None
                else _feedback_link(r.student_id, page, feedback_dir))
        rows.append(f"<tr><td>{_e(r.student_id)}</td>{cells}{grade_parts}<td class=num><b>{r.final_score:g}</b> / "
                    f"{r.max_score:g}{' (provisional)' if r.provisional else ''}</td><td>{link}</td></tr>")
    note = ("" if links is not None or (feedback_dir is not None and feedback_dir.is_dir()) else
            '<p class="muted">Feedback pages appear here once `autograder export` has written them.</p>')
    return (f'<h2>Roster</h2><div class="card scroll">{note}<table><tr><th>student</th>{head}<th>autograded</th>'
            "<th>written</th><th>adjustments</th><th>late penalty</th><th>final</th>"
            f"<th>feedback</th></tr>{''.join(rows)}</table></div>")


def _given_link(links: Mapping[str, str], student_id: str) -> str:
    return f'<a href="{_e(links[student_id])}">feedback</a>' if student_id in links else ""


def _feedback_link(student_id: str, page: Path | None, feedback_dir: Path | None) -> str:
    target = feedback_dir / f"{student_id}.html" if feedback_dir is not None else None
    if page is None or target is None or not target.is_file():
        return ""
    href = Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix()
    return f'<a href="{_e(quote(href))}">feedback</a>'


def report_html(results: Sequence[SubmissionResult], sheet: SheetConfig, *, similarity: str = "",
                page: Path | None = None, feedback_dir: Path | None = None,
                feedback_links: Mapping[str, str] | None = None) -> str:
    """The whole report as one self-contained page (``similarity``: its section, already rendered).

    ``page``: where it will be written, for the roster's relative links into ``feedback_dir``
    (``autograder export``'s ``feedback/`` folder); ``feedback_links`` (student id -> URL) instead
    gives the links outright (the grading service's submission pages)."""
    charts = report_charts(results, sheet)
    exercise_rows = "".join(
        f"<tr><td>{_e(e)}</td><td class=num>{m:.2f} / {p:g}</td><td class=num>{100 * f:.0f}%</td></tr>"
        for e, m, p, f in exercise_stats(results, sheet))
    test_rows = "".join(
        f"<tr><td>{_e(s.exercise)}</td><td>{_e(s.name)}</td><td class=num>{s.passed} / {s.runs}</td>"
        f"<td class=num>{_bar(s.pass_rate)}{100 * s.pass_rate:.0f}%</td>"
        f"<td class=num>{s.mean_duration_s:.2f} s</td></tr>"
        for s in case_stats(results))
    time_rows = "".join(
        f"<tr><td>{_e(r.student_id)}</td><td class=num>{r.execution_time:.1f} s</td>"
        f"<td class=num>{_seconds(r.extra_data.timings.load_s if r.extra_data.timings else None)}</td>"
        f"<td class=num>{_seconds(r.extra_data.timings.tests_s if r.extra_data.timings else None)}</td>"
        f"<td>{_e(r.extra_data.device)}</td></tr>"
        for r in sorted(results, key=lambda r: r.execution_time, reverse=True))
    return "\n".join([
        (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TA report: {_e(sheet.name)}'
         f"</title><style>{CSS}</style></head><body><main>"),
        f"<h1>TA report: {_e(sheet.title or sheet.name)}</h1>",
        _overview(results, sheet),
        f'<h2>Score distribution</h2><div class="card">{_img(charts["scores"])}</div>',
        (f'<h2>Exercises</h2><div class="card grid"><div>{_img(charts["exercises"])}</div>'
         f'<div style="flex:1"><table><tr><th>exercise</th><th>mean</th><th>full marks</th></tr>'
         f"{exercise_rows}</table></div></div>"),
        (f'<h2>Hidden tests, hardest first</h2><div class="card"><table><tr><th>exercise</th>'
         f"<th>test</th><th>passed</th><th>pass rate</th><th>mean time</th></tr>{test_rows}</table></div>"),
        _failures(results),
        _not_attempted(results, sheet),
        _roster(results, sheet, page=page, feedback_dir=feedback_dir, links=feedback_links),
        (f'<h2>Grading time</h2><div class="card">{_img(charts["times"])}<table><tr><th>student</th>'
         f"<th>total</th><th>notebook run</th><th>tests</th><th>device</th></tr>{time_rows}</table></div>"),
        f'<h2>Needs attention</h2><div class="card">{_attention(results)}</div>',
        similarity,
        "</main></body></html>",
    ])


def write_report(results: Sequence[SubmissionResult], sheet: SheetConfig, out: Path, *,
                 similarity_dir: Path | None = None, feedback_dir: Path | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(results, sheet, similarity=_similarity(similarity_dir, out), page=out,
                               feedback_dir=feedback_dir), encoding="utf-8")
    return out
