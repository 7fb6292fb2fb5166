"""Grade many submissions: on a pool of warm workers (:mod:`autograder.grading.pool`), a resumable job store, results saved as they finish."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import UsageError
from autograder.core.extra_data import GradingFingerprints
from autograder.core.results import (
    SubmissionResult,
    grades_table,
    read_result,
    write_result,
    write_text_atomic,
)
from autograder.grades.grade import StaffLedger
from autograder.grades.provenance import grading_fingerprints, with_provenance
from autograder.grading.collect import Found, SubmissionTimes, collect
from autograder.grading.dedup import content_key, mark_shared, shared_copy, split_twins
from autograder.grading.events import (
    BatchStarted,
    GradingDone,
    GradingStarted,
    OnEvent,
    WorkersReady,
)
from autograder.grading.jobstore import JobStore
from autograder.grading.lookalike import look_alike_warnings
from autograder.grading.pool import Grader
from autograder.outputs.exports import finalize_result
from autograder.outputs.feedback import context_for

# ------------------------------------------------------------------ batches


_ONCE = threading.RLock()  # what a batch builds once, however many of its threads ask


@dataclass(frozen=True)
class BatchItem:
    student_id: str
    path: Path | None
    sha256: str
    found: Found | None = None

    @property
    def file(self) -> Path:
        """The file to grade (every item in a batch's ``todo`` has one)."""
        if self.path is None:
            raise ValueError(f"{self.student_id}: no file to grade")
        return self.path

    @property
    def folder(self) -> Path | None:
        """nbgrader's ``submitted/<student>/<assignment>/`` of this submission, if it came from one."""
        return self.found.folder if self.found else None


@dataclass
class BatchSummary:
    results: list[SubmissionResult]
    skipped: int
    graded: int
    missing: list[str]
    reused: int = 0  # results kept from an earlier run (same submission, suite and engine)
    refused: list[str] = field(default_factory=list)  # why some submissions were not graded
    notes: list[str] = field(default_factory=list)  # files seen but not graded, per student
    warnings: list[str] = field(default_factory=list)  # ids that look alike (case, confusable letters)
    shared: int = 0  # recorded from the grading of an identical submission (graded once for all)


def plan(paths: Sequence[Path], *, sheet: SheetConfig,
         times: SubmissionTimes | None = None) -> tuple[list[BatchItem], list[str]]:
    """Every submission in ``paths`` (see :mod:`autograder.grading.collect`), and one message per refused
    group of colliding ids."""
    found = collect(paths, sheet=sheet.name, notebook=sheet.notebook, times=times)
    if not found.found and not found.refused:
        raise UsageError("no submissions found (give .ipynb or .py files, or nbgrader's submitted/ folder)")
    return [BatchItem(entry.student_id, entry.path, _digest(entry), entry) for entry in found.found], found.refused


def _digest(entry: Found) -> str:
    """The file's SHA-256 (read in blocks); for a folder without one, a hash of what it says instead."""
    digest = hashlib.sha256()
    if entry.path is None:
        digest.update(entry.problem.encode("utf-8", "replace"))
        return "none:" + digest.hexdigest()
    try:
        with entry.path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as exc:  # graded anyway: the worker records it as not gradable, with the reason
        return f"unreadable:{exc.errno}"
    return digest.hexdigest()


def protected_roots(items: Sequence[BatchItem]) -> tuple[str, ...]:
    """Folders a sandbox must not see: every submission's folder (and its file's), and nbgrader's submitted/."""
    roots = set()
    for item in items:
        base = item.found.base if item.found else None
        for folder in (base, item.path.parent if item.path else None):
            if folder is not None:
                roots.add(str(folder.resolve()))
        if item.folder is not None:
            roots.add(str(item.folder.resolve().parent.parent))
    return tuple(sorted(roots))


def grade_batch(
    *, config: CourseConfig, sheet: str, paths: Sequence[Path], out_dir: Path, jobs: int = 1,
    device: str = "auto", regrade: bool = False, on_event: OnEvent | None = None,
    config_file: Path | None = None, grader: Grader | None = None, times: SubmissionTimes | None = None,
    skip_tests: Mapping[str, Sequence[str]] | None = None,
) -> BatchSummary:
    """Grade ``paths`` into ``out_dir``; finished results are kept across interrupted runs.

    ``grader``: a warm pool to use (and leave open), e.g. for several batches in a row; by default
    one is started for this batch (``jobs`` workers) and closed after it. ``times``: where submission
    times come from (default: nbgrader's ``timestamp.txt`` only, never the file's modification time).
    ``skip_tests``: per student id, hidden tests (node ids) not to run for that submission (the release
    gate's reuse of the reference's outcome); such a result is kept apart from a full one in the job store.
    """
    batch = open_batch(config=config, sheet=sheet, paths=paths, out_dir=out_dir, regrade=regrade, times=times,
                       skip_tests=skip_tests)
    emit: OnEvent = on_event or (lambda event: None)
    emit(BatchStarted(total=len(batch.items), todo=len(batch.todo), skipped=batch.skipped,
                      reused=batch.reused, shared=batch.shared))
    if not batch.todo:
        return batch.finish()
    if grader is not None:
        _grade_all(grader, batch, emit)
        return batch.finish()
    with Grader(config, jobs=min(jobs, len(batch.todo)), device=device, config_file=config_file) as own:
        _grade_all(own, batch, emit)
    return batch.finish()


def _grade_all(grader: Grader, batch: OpenBatch, emit: OnEvent) -> None:
    emit(WorkersReady(jobs=grader.jobs, device=grader.device))
    pool = ThreadPoolExecutor(grader.jobs)
    try:
        futures = [pool.submit(_grade_one, grader, batch, item, emit) for item in batch.todo]
        for future in as_completed(futures):
            for result in future.result():
                emit(GradingDone(result=result))
    finally:
        # Ctrl-C: grade nothing more; the workers, closed next, abandon what they grade.
        pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class OpenBatch:
    """A batch with its plan, job store and the items still to grade; shared by the cluster path."""

    config: CourseConfig
    sheet: str
    out_dir: Path
    items: list[BatchItem]
    todo: list[BatchItem]
    suite: str
    store: JobStore
    protected: tuple[str, ...]
    reused: int = 0
    refused: list[str] = field(default_factory=list)
    twins: dict[str, list[BatchItem]] = field(default_factory=dict)  # same content: graded by the key's id
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per student id: tests not to run

    def feedback_context(self) -> Any:
        """What the student-facing summary needs (public checks, deadline); built once per batch."""
        with _ONCE:  # the batch's threads finish results side by side: one of them builds it
            if "_feedback" not in self.__dict__:
                self.__dict__["_feedback"] = context_for(self.config, self.config.sheet(self.sheet))
        return self.__dict__["_feedback"]

    def fingerprints(self) -> GradingFingerprints:
        """What a regrade diff compares (test code, config, engine: :mod:`autograder.grades.provenance`); once per batch."""
        with _ONCE:
            if "_fingerprints" not in self.__dict__:
                self.__dict__["_fingerprints"] = grading_fingerprints(self.config, self.config.sheet(self.sheet),
                                                                      self.suite)
        found: GradingFingerprints = self.__dict__["_fingerprints"]
        return found

    @property
    def skipped(self) -> int:
        return len(self.items) - len(self.todo) - self.shared

    def suite_for(self, item: BatchItem | str) -> str:
        """The job store's suite key of a submission: the suite's hash, and which tests it skips."""
        skip = self.skip.get(item if isinstance(item, str) else item.student_id)
        if not skip:
            return self.suite
        return self.suite + ":skip:" + hashlib.sha256("\n".join(sorted(skip)).encode()).hexdigest()[:16]

    def started(self, item: BatchItem) -> None:
        self.store.mark(item.student_id, item.sha256, self.suite_for(item), "running")

    def record(self, item: BatchItem, result: SubmissionResult) -> SubmissionResult:
        """Save one result (atomically), then mark it in the job store: a crash never loses it.

        The late policy and the student's summary are applied here, by the one function ``export``
        uses too (:func:`autograder.outputs.exports.finalize_result`). A result whose grading itself failed
        (``grader_error``) is kept but marked ``error``, so a rerun grades it again; a student's
        crash or hang is a finished result like any other.
        """
        if item.found is not None and item.found.ignored:
            result = result.with_extra(not_graded_files=list(item.found.ignored))
        if item.found is not None:  # where the time that decides lateness came from
            result = result.with_extra(submitted_at_source=item.found.submission_time()[1])
        result = with_provenance(result, results_dir=self.out_dir, path=item.path, sha256=item.sha256,
                                 fingerprints=self.fingerprints())
        result = finalize_result(result, self.feedback_context(), ledger=StaffLedger.for_results(self.out_dir))
        write_result(self.out_dir, result)
        self.store.mark(item.student_id, item.sha256, self.suite_for(item), "error" if result.grader_error else "done")
        return result

    def record_all(self, item: BatchItem, result: SubmissionResult) -> list[SubmissionResult]:
        """Record ``item``'s result and, as copies of it, those of its twins (same content, graded once)."""
        twins = self.twins.get(item.student_id, [])
        group = [item.student_id, *(twin.student_id for twin in twins)]
        recorded = [self.record(item, mark_shared(result, [sid for sid in group if sid != item.student_id]))]
        for twin in twins:
            copy = shared_copy(result, student_id=twin.student_id, submission=twin.file.name,
                               submitted_at=submitted_at(twin), others=group)
            recorded.append(self.record(twin, copy))
        return recorded

    @property
    def shared(self) -> int:
        """Submissions recorded from another's grading (identical content)."""
        return sum(len(twins) for twins in self.twins.values())

    def finish(self) -> BatchSummary:
        """Read every result back (under the late policy in force now) and write grades.csv (atomically)."""
        results, missing = [], []
        for item in self.items:
            try:
                stored = read_result(self.out_dir / f"{item.student_id}.json")
            except (OSError, ValueError):
                missing.append(item.student_id)
                continue
            result = finalize_result(stored, self.feedback_context(), ledger=StaffLedger.for_results(self.out_dir))
            if ((result.late_penalty, result.submitted_at, result.adjustments, result.written)
                    != (stored.late_penalty, stored.submitted_at, stored.adjustments, stored.written)):
                write_result(self.out_dir, result)  # a reused result, after the deadline or staff's parts changed
            results.append(result)
        table = grades_table(results, self.config.sheet(self.sheet).points,
                             id_column=self.config.student_id_column)
        write_text_atomic(self.out_dir / "grades.csv", table)
        notes = [f"{item.student_id}: graded {item.path.name if item.path else 'nothing'}; not graded: "
                 + ", ".join(item.found.ignored) for item in self.items if item.found and item.found.ignored]
        return BatchSummary(results=results, skipped=self.skipped, graded=len(self.todo), missing=missing,
                            reused=self.reused, refused=list(self.refused), notes=notes, shared=self.shared,
                            warnings=look_alike_warnings([item.student_id for item in self.items]))


def open_batch(*, config: CourseConfig, sheet: str, paths: Sequence[Path], out_dir: Path,
               regrade: bool, times: SubmissionTimes | None = None,
               skip_tests: Mapping[str, Sequence[str]] | None = None) -> OpenBatch:
    """Plan a batch: ids, hashes, the job store, and what a previous run already finished.

    A submission folder with nothing to grade gets its "not gradable" result here, without a worker.
    """
    from autograder.judge.fingerprint import suite_hash

    sheet_config = config.sheet(sheet)
    items, refused = plan(paths, sheet=sheet_config, times=times)
    suite = suite_hash(config, sheet_config)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):  # left by a run killed while writing
        stale.unlink(missing_ok=True)
    store = JobStore(out_dir / ".jobs.sqlite")
    protected = (*protected_roots(items), str(out_dir.resolve()))
    batch = OpenBatch(config, sheet, out_dir, items, [], suite, store, protected, refused=refused,
                      skip={sid: tuple(tests) for sid, tests in (skip_tests or {}).items() if tests})
    done = {item.student_id for item in items if not regrade and _done(store, item, batch.suite_for(item), out_dir)}
    batch.reused = len(done)
    todo, twins = split_twins([item for item in items if item.student_id not in done and item.path is not None],
                              graded=[item for item in items if item.student_id in done],
                              key=lambda item: (content_key(item), batch.skip.get(item.student_id, ())))
    batch.todo, batch.twins = todo, twins
    for item in items:
        if item.student_id not in done and item.path is None:
            batch.record(item, SubmissionResult.not_gradable(
                student_id=item.student_id, sheet=sheet, submission="", max_score=sheet_config.total_points,
                message=item.found.problem if item.found else "no file", points=sheet_config.points))
    for sid in [sid for sid in twins if sid in done]:  # twins of a grading an earlier run finished
        stored = read_result(out_dir / f"{sid}.json")
        for twin in twins.pop(sid):
            batch.record(twin, shared_copy(stored, student_id=twin.student_id, submission=twin.file.name,
                                           submitted_at=submitted_at(twin), others=[sid]))
            batch.reused += 1
    return batch


def submitted_at(item: BatchItem) -> dt.datetime | None:
    """When the submission came in, by the batch's :class:`autograder.grading.collect.SubmissionTimes`."""
    return item.found.submitted_at() if item.found else None


def _done(store: JobStore, item: BatchItem, suite: str, out_dir: Path) -> bool:
    if not store.finished(item.student_id, item.sha256, suite):
        return False
    try:
        read_result(out_dir / f"{item.student_id}.json")
        return True
    except (OSError, ValueError):
        return False


def _grade_one(grader: Grader, batch: OpenBatch, item: BatchItem,
               emit: OnEvent) -> list[SubmissionResult]:
    """The item's result and its twins' (identical content, recorded from the same grading)."""
    batch.started(item)
    emit(GradingStarted(student_id=item.student_id))  # from this worker thread, once a worker is free
    result = grader.grade_file(sheet=batch.sheet, path=item.file, student_id=item.student_id,
                               submitted_at=submitted_at(item), protected=batch.protected,
                               skip_tests=batch.skip.get(item.student_id, ()))
    if result.grader_error and grader.closing:
        return [result]  # interrupted (Ctrl-C): not a result; the next run grades it
    return batch.record_all(item, result)
