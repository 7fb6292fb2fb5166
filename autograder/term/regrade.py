"""Regrade a results folder under the current suite, config and engine, with a diff; apply it keeping history.

``regrade_results`` grades every recorded submission again (its kept copy, or its recorded path when
the SHA-256 still matches: :func:`autograder.grades.provenance.find_submission`) with the same warm workers
as a batch, into ``RESULTS_DIR/regrades/<time>/results/``, and writes ``diff.csv`` and ``diff.html``
there. Nothing else in ``RESULTS_DIR`` changes, unless ``apply``: then each old result is first
copied to ``RESULTS_DIR/history/<time>/`` (with grades.csv and a ``manifest.json``), the new one
replaces it, and grades.csv is rewritten. A student whose file cannot be found, or whose regrade
itself failed, keeps the old result, and the diff says so. Staff's adjustments and written marks
live in the ledger (:mod:`autograder.grades.grade`), not in a result, so they survive every regrade.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.config import CourseConfig
from autograder.core.extra_data import GradingFingerprints, SubmissionFile
from autograder.core.results import (
    SubmissionResult,
    grades_table,
    read_result,
    to_gradescope,
    write_json_atomic,
    write_text_atomic,
)
from autograder.grades.grade import StaffLedger
from autograder.grades.late import counted_per_student
from autograder.grades.provenance import (
    find_submission,
    grading_fingerprints,
    keep_copy,
)
from autograder.outputs.exports import finalize_result, load_results
from autograder.outputs.feedback import context_for
from autograder.term.regrade_diff import RegradeDiff, StudentTotal, case_changes, write_diff

REGRADES = "regrades"
HISTORY = "history"
CARRIED = ("submitted_at_source", "not_graded_files", "submission_file")  # ExtraData fields a regrade keeps


@dataclass
class RegradeRun:
    """What a regrade did: its folder, the diff, and who could not be regraded (and why)."""

    stamp: str
    folder: Path
    diff: RegradeDiff
    not_regraded: dict[str, str] = field(default_factory=dict)
    applied: bool = False
    history: Path | None = None

    @property
    def summary(self) -> str:
        return self.diff.summary


def result_files(results_dir: Path, sheet: str) -> list[tuple[Path, SubmissionResult]]:
    """``(file, result)`` for every result of ``sheet`` directly in ``results_dir``."""
    found = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or "student_id" not in data or "tests" not in data:
                continue
            result = read_result(path)
        except (OSError, ValueError):
            continue
        if result.sheet == sheet:
            found.append((path, result))
    return found


def _stamp(results_dir: Path, now: dt.datetime | None) -> str:
    base = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    stamp, n = base, 1
    while (results_dir / REGRADES / stamp).exists() or (results_dir / HISTORY / stamp).exists():
        n += 1
        stamp = f"{base}-{n}"
    return stamp


def _graded_anew(old: SubmissionResult, new: SubmissionResult, fingerprints: GradingFingerprints) -> SubmissionResult:
    """The regrade's result under the old one's identity: student, file name, submission time, provenance."""
    extra = new.extra_data.updated(grading=fingerprints, **old.extra_data.carried(CARRIED))
    return new.model_copy(update={"student_id": old.student_id, "submission": old.submission,
                                  "submitted_at": old.submitted_at, "extra_data": extra})


def regrade_results(
    *, config: CourseConfig, sheet: str, results_dir: Path, jobs: int = 1, device: str = "auto",
    apply: bool = False, config_file: Path | None = None, grader: Any = None, now: dt.datetime | None = None,
) -> RegradeRun:
    """Regrade every result of ``sheet`` in ``results_dir``; ``apply`` replaces them (history kept)."""
    from autograder.grading.pool import Grader
    from autograder.judge.fingerprint import suite_hash

    sheet_config = config.sheet(sheet)
    ledger = StaffLedger.for_results(results_dir)
    context = context_for(config, sheet_config)
    stamp = _stamp(results_dir, now)
    folder = results_dir / REGRADES / stamp
    staging = folder / "results"
    staging.mkdir(parents=True)
    fingerprints = grading_fingerprints(config, sheet_config, suite_hash(config, sheet_config))
    olds = result_files(results_dir, sheet)
    files: dict[Path, Path] = {}
    run = RegradeRun(stamp=stamp, folder=folder, diff=RegradeDiff())
    for path, old in olds:
        found, why = find_submission(results_dir, old)
        if found is None:
            run.not_regraded[path.name] = why
        else:
            files[path] = found
    news: dict[Path, SubmissionResult] = {}
    if files:
        own = grader or Grader(config, jobs=min(jobs, len(files)), device=device, config_file=config_file)
        protected = tuple(sorted({str(results_dir.resolve()), *(str(f.resolve().parent) for f in files.values())}))
        by_path = dict(olds)
        try:
            with ThreadPoolExecutor(max(1, own.jobs)) as pool:
                futures = {path: pool.submit(own.grade_file, sheet=sheet, path=file, student_id=by_path[path].student_id,
                                             submitted_at=by_path[path].submitted_at, protected=protected)
                           for path, file in _distinct(files).items()}
                graded = {path: future.result() for path, future in futures.items()}
        finally:
            if grader is None:
                own.close()
        for path, file in files.items():
            first = next(p for p, f in _distinct(files).items() if _same(f, file))
            new = _graded_anew(by_path[path], graded[first], fingerprints)
            if new.grader_error:
                run.not_regraded[path.name] = f"regrade failed: {new.grader_error.splitlines()[0][:200]}"
                continue
            news[path] = finalize_result(new, context, ledger=ledger)
            write_json_atomic(staging / path.name, to_gradescope(news[path], include_staff=True))
    for path, old in olds:
        before = finalize_result(old, context, ledger=ledger)
        regraded = news.get(path)
        adjustments = tuple(f"{a.test or 'exercise ' + a.exercise}: {a.points:g} ({a.reason})"
                            for a in (regraded or before).adjustments)
        if regraded is None:
            run.diff.totals.append(StudentTotal(old.student_id, before.final_score, before.final_score,
                                                note=run.not_regraded.get(path.name, ""), adjustments=adjustments))
            continue
        run.diff.changes.extend(case_changes(old, regraded))
        run.diff.totals.append(StudentTotal(old.student_id, before.final_score, regraded.final_score,
                                            adjustments=adjustments))
    if apply:
        run.history = _apply(results_dir, run, news, files, fingerprints)
        write_grades(config, sheet, results_dir)
        run.applied = True
    write_diff(folder, run.diff, title=f"Regrade of {sheet_config.title or sheet} ({stamp})", applied=apply)
    write_json_atomic(folder / "summary.json", {"stamp": stamp, "summary": run.summary, "applied": apply,
                                                "not_regraded": run.not_regraded})
    return run


def _same(a: Path, b: Path) -> bool:
    return a == b or (a.name == b.name and a.parent.name == b.parent.name == "submissions")


def _distinct(files: dict[Path, Path]) -> dict[Path, Path]:
    """One result path per distinct file: identical kept copies are graded once."""
    seen: dict[Path, Path] = {}
    for path, file in files.items():
        if not any(_same(other, file) for other in seen.values()):
            seen[path] = file
    return seen


def _apply(results_dir: Path, run: RegradeRun, news: dict[Path, SubmissionResult], files: dict[Path, Path],
           fingerprints: GradingFingerprints) -> Path:
    """Old results to ``history/<stamp>/`` (copied first), then the new ones in their place."""
    from autograder.grading.jobstore import JobStore

    history = results_dir / HISTORY / run.stamp
    history.mkdir(parents=True)
    if (results_dir / "grades.csv").exists():
        shutil.copy2(results_dir / "grades.csv", history / "grades.csv")
    for path in news:
        shutil.copy2(path, history / path.name)
    store = JobStore(results_dir / ".jobs.sqlite") if (results_dir / ".jobs.sqlite").exists() else None
    for path, new in news.items():
        record = new.extra_data.submission_file or SubmissionFile()
        if not record.kept_copy or not (results_dir / record.kept_copy).is_file():
            sha = record.sha256 or new.submission_sha256
            record = record.updated(sha256=sha, kept_copy=keep_copy(results_dir, files[path], sha))
            new = new.with_extra(submission_file=record)
        write_json_atomic(run.folder / "results" / path.name, to_gradescope(new, include_staff=True))
        os.replace(run.folder / "results" / path.name, path)
        if store is not None and record.sha256:
            store.mark(new.student_id, record.sha256, fingerprints.suite, "done")
    write_json_atomic(history / "manifest.json", {
        "stamp": run.stamp, "at": dt.datetime.now(dt.UTC).isoformat(), "summary": run.summary,
        "replaced": sorted(path.name for path in news), "not_regraded": run.not_regraded,
        "diff": str((run.folder / "diff.html").relative_to(results_dir))})
    return history


def write_grades(config: CourseConfig, sheet: str, results_dir: Path) -> Path:
    """``RESULTS_DIR/grades.csv`` anew: every result with the staff ledger and the late policy."""
    sheet_config = config.sheet(sheet)
    context = context_for(config, sheet_config)
    ledger = StaffLedger.for_results(results_dir)
    results = [finalize_result(r, context, ledger=ledger) for r in load_results(results_dir, sheet=sheet)]
    path = results_dir / "grades.csv"
    write_text_atomic(path, grades_table(counted_per_student(results, sheet_config), sheet_config.points,
                                         id_column=config.student_id_column))
    return path


def history(results_dir: Path) -> list[dict[str, Any]]:
    """Every applied regrade, oldest first: its stamp, when, its summary and the results it replaced."""
    entries = []
    for manifest in sorted((results_dir / HISTORY).glob("*/manifest.json")):
        try:
            entries.append(json.loads(manifest.read_text(encoding="utf-8")) | {"folder": str(manifest.parent)})
        except (OSError, ValueError):
            entries.append({"stamp": manifest.parent.name, "folder": str(manifest.parent), "summary": "unreadable"})
    return entries
