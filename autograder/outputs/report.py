"""The TA report for a graded batch: one self-contained HTML page with charts as inline PNG images
(templates ``report/*.html`` of :mod:`autograder.pages`, with its one stylesheet).

What the class got wrong at a glance: the score distribution, per-exercise means, the hidden tests
sorted by pass rate (a table with inline bars), the failure messages grouped by message (with who
got them), apart from the work not attempted yet, a roster (student, points per exercise, final,
a link to the student's feedback page), grading time per submission, the submissions staff must
look at (not gradable, grader errors, restarts, late), and, when
``autograder similarity`` wrote its results to ``RESULTS_DIR/similarity``, the pairs that share most code.
"""

from __future__ import annotations

import json
import os
import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from autograder.core.config import SheetConfig
from autograder.core.results import CaseResult, SubmissionResult
from autograder.outputs.feedback import (
    _NOT_ATTEMPTED as NOT_ATTEMPTED,  # the feedback pages' rule, one for both
)
from autograder.outputs.plots import RenderedChart, bars, histogram
from autograder.pages import Markup, render


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


def _seconds(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, (int, float)) else "–"


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


def _overview(results: Sequence[SubmissionResult], sheet: SheetConfig) -> list[tuple[str, str]]:
    gradable = [r for r in results if r.gradable]
    finals = [r.final_score for r in gradable]
    return [
        ("submissions", f"{len(results)}"),
        ("gradable", f"{len(gradable)}"),
        ("mean", f"{statistics.fmean(finals):.1f} / {sheet.total_points:g}" if finals else "–"),
        ("median", f"{statistics.median(finals):g}" if finals else "–"),
        ("full marks", f"{sum(f >= sheet.total_points - 1e-9 for f in finals)}"),
        ("late", f"{sum(r.late_penalty > 0 or bool(r.extra_data.late and r.extra_data.late.late) for r in results)}"),
        ("mean grading time", f"{statistics.fmean(r.execution_time for r in results):.1f} s" if results else "–"),
    ]


def _attention(results: Sequence[SubmissionResult]) -> list[tuple[str, str]]:
    """``(student, what)`` for every submission staff must look at."""
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
            rows.append((r.student_id, "; ".join(notes)))
    return rows


def _similarity(folder: Path | None, page: Path) -> str:
    """The top pairs of ``autograder similarity`` (written to ``folder``), linked to its full page; "" if none."""
    summary_file = folder / "similarity.json" if folder else None
    if summary_file is None or not summary_file.is_file():
        return ""
    try:
        data = json.loads(summary_file.read_text(encoding="utf-8"))
        top = [{"rank": int(p["rank"]), "a": p["a"], "b": p["b"], "a_in_b": float(p["a_in_b"]),
                "b_in_a": float(p["b_in_a"]), "longest_run": int(p["longest_run"]), "flagged": p["flagged"] is True,
                "href": _href(folder, page, str(p["page"]))}
               for p in [p for p in data["top_pairs"] if isinstance(p, dict)][:10]]
        counts = f"{int(data['compared'])} compared, {int(data['flagged'])} pair(s) flagged"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return render("report/similarity.html", error=exc, file=summary_file)
    return render("report/similarity.html", error=None, counts=counts, top=top,
                  index=_href(folder, page, "index.html"))


def _href(folder: Path | None, page: Path, target: str) -> str:
    """The relative link from ``page`` to one of the similarity report's pages; "" for anything else."""
    if folder is None or not re.fullmatch(r"index\.html|pairs/\d{4}\.html", target):
        return ""
    return Path(os.path.relpath(folder.resolve() / target, page.resolve().parent)).as_posix()


def _roster(results: Sequence[SubmissionResult], sheet: SheetConfig, *, page: Path | None,
            feedback_dir: Path | None, links: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        per = r.exercise_scores()
        rows.append({
            "result": r,
            "cells": [(per.get(ex, (0.0, possible))[0], per.get(ex, (0.0, 0.0))[0] < possible - 1e-9)
                      for ex, possible in sheet.points.items()],
            "parts": (r.score, r.written_score, r.adjustment_total, r.late_penalty),
            "link": (links.get(r.student_id, "") if links is not None
                     else _feedback_href(r.student_id, page, feedback_dir)),
        })
    return rows


def _feedback_href(student_id: str, page: Path | None, feedback_dir: Path | None) -> str:
    target = feedback_dir / f"{student_id}.html" if feedback_dir is not None else None
    if page is None or target is None or not target.is_file():
        return ""
    return quote(Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix())


def report_html(results: Sequence[SubmissionResult], sheet: SheetConfig, *, similarity: str = "",
                page: Path | None = None, feedback_dir: Path | None = None,
                feedback_links: Mapping[str, str] | None = None) -> str:
    """The whole report as one self-contained page (``similarity``: its section, already rendered by
    :func:`_similarity`; template ``report/page.html``).

    ``page``: where it will be written, for the roster's relative links into ``feedback_dir``
    (``autograder export``'s ``feedback/`` folder); ``feedback_links`` (student id -> URL) instead
    gives the links outright (the grading service's submission pages)."""
    missing = not_attempted_by_exercise(results)
    times = [{"student": r.student_id, "total": r.execution_time, "device": r.extra_data.device,
              "load": _seconds(r.extra_data.timings.load_s if r.extra_data.timings else None),
              "tests": _seconds(r.extra_data.timings.tests_s if r.extra_data.timings else None)}
             for r in sorted(results, key=lambda r: r.execution_time, reverse=True)]
    return render(
        "report/page.html", sheet=sheet, overview=_overview(results, sheet), charts=report_charts(results, sheet),
        exercises=exercise_stats(results, sheet), cases=case_stats(results), failures=common_failures(results),
        missing=[(exercise, missing[exercise]) for exercise in sheet.points if missing.get(exercise)],
        gradable=sum(r.gradable for r in results) or 1, times=times, attention=_attention(results),
        roster=_roster(results, sheet, page=page, feedback_dir=feedback_dir, links=feedback_links),
        roster_note=not (feedback_links is not None or (feedback_dir is not None and feedback_dir.is_dir())),
        similarity=Markup(similarity))


def write_report(results: Sequence[SubmissionResult], sheet: SheetConfig, out: Path, *,
                 similarity_dir: Path | None = None, feedback_dir: Path | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(results, sheet, similarity=_similarity(similarity_dir, out), page=out,
                               feedback_dir=feedback_dir), encoding="utf-8")
    return out
