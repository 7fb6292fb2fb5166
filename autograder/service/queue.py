"""The grading queue: jobs in the database, worker threads that grade them with the engine.

A job goes ``queued -> running -> done | failed``. Workers take queued jobs in fair order
(:func:`fair_order`: round-robin by student), and the queue position a student sees is that order. Workers claim a job with a conditional UPDATE
(``WHERE state = 'queued'``), so two workers never run one job, and finish it only if their claim
still stands, so a result from a worker that was presumed dead is dropped rather than doubled.
At start-up :meth:`JobQueue.recover` puts ``running`` jobs back in the queue: the process that ran
them is gone. A job that was started ``MAX_ATTEMPTS`` times without finishing (it keeps killing the
service) is failed with a result that tells staff to look.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from autograder.core.config import CourseConfig
from autograder.core.results import SubmissionResult
from autograder.service.late import apply_late_policy
from autograder.service.models import Database, Job, Result, Submission, utcnow

log = logging.getLogger("autograder.service")

MAX_ATTEMPTS = 3
POLL_SECONDS = 1.0


class GraderLike(Protocol):
    """What the service needs from :class:`autograder.grading.pool.Grader` (tests pass fakes)."""

    def grade_file(
        self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime
    ) -> SubmissionResult: ...

    def close(self) -> None: ...


GraderFactory = Callable[[CourseConfig], GraderLike]


def default_grader_factory(config: CourseConfig) -> GraderLike:
    """The real engine: warm worker processes, one per service worker thread."""
    from autograder.grading.pool import Grader

    return Grader(config, jobs=config.service.workers, device=config.device)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ClaimedJob:
    job_id: int
    claim: str
    attempts: int
    submission_id: int
    student: str
    sheet: str
    filename: str
    sha256: str
    path: Path
    submitted_at: dt.datetime


class JobQueue:
    """Queue operations on the database; no threads here."""

    def __init__(self, db: Database, config: CourseConfig, data_dir: Path) -> None:
        self.db = db
        self.config = config
        self.data_dir = data_dir

    def enqueue(self, submission_id: int, *, reason: str, requested_by: str) -> int:
        with self.db.session.begin() as session:
            job = Job(submission_id=submission_id, reason=reason, requested_by=requested_by)
            session.add(job)
            session.flush()
            return job.id

    def recover(self) -> int:
        """Requeue the jobs a previous process left running; returns how many."""
        with self.db.session.begin() as session:
            rows = session.execute(
                update(Job).where(Job.state == "running").values(state="queued", claim="")
            )
            count = int(rows.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("requeued %d job(s) left running by a previous service process", count)
        return count

    def release(self, claim: str) -> None:
        """Put a job this process is running back in the queue (used when shutting down)."""
        with self.db.session.begin() as session:
            session.execute(
                update(Job).where(Job.claim == claim, Job.state == "running")
                .values(state="queued", claim="")
            )

    def fair_order(self, session: Session) -> list[int]:
        """Ids of the queued jobs in the order workers take them (see :func:`fair_order`)."""
        queued = session.execute(
            select(Job.id, Submission.student, Job.reason).join(Submission)
            .where(Job.state == "queued")
        ).all()
        running = Counter(session.scalars(
            select(Submission.student).join(Job).where(Job.state == "running")))
        return fair_order([(job_id, student, reason) for job_id, student, reason in queued], running)

    def position(self, session: Session, submission_id: int) -> int:
        """1 for the job taken next, ...; 0 when the submission has no queued job."""
        newest = session.scalar(select(Job).where(Job.submission_id == submission_id)
                                .order_by(Job.id.desc()).limit(1))
        if newest is None or newest.state != "queued":
            return 0
        order = self.fair_order(session)  # a worker may have taken it since (read committed)
        return order.index(newest.id) + 1 if newest.id in order else 0

    def claim(self, worker: str) -> ClaimedJob | None:
        """Take the queued job that is next in fair order, or None when the queue is empty."""
        while True:
            with self.db.session.begin() as session:
                order = self.fair_order(session)
                if not order:
                    return None
                job_id = order[0]
                claim = f"{worker}:{uuid.uuid4().hex[:12]}"
                taken = session.execute(
                    update(Job).where(Job.id == job_id, Job.state == "queued").values(
                        state="running", claim=claim, started_at=utcnow(),
                        attempts=Job.attempts + 1,
                    )
                )
                if not taken.rowcount:  # type: ignore[attr-defined]
                    continue  # another worker won this one
                job = session.get_one(Job, job_id)
                sub = job.submission
                return ClaimedJob(
                    job_id=job.id, claim=claim, attempts=job.attempts, submission_id=sub.id,
                    student=sub.student, sheet=sub.sheet, filename=sub.filename,
                    sha256=sub.sha256, path=self.data_dir / sub.path,
                    submitted_at=sub.submitted_at,
                )

    def finish(self, job: ClaimedJob, result: SubmissionResult, *, failed: bool = False) -> bool:
        """Store the result and close the job if this worker still owns it."""
        sheet = self.config.sheet(job.sheet)
        result = apply_late_policy(result, sheet, job.submitted_at)
        with self.db.session.begin() as session:
            done = session.execute(
                update(Job).where(Job.id == job.job_id, Job.claim == job.claim,
                                  Job.state == "running").values(
                    state="failed" if failed or result.grader_error else "done",
                    finished_at=utcnow(), error=result.grader_error[:2000],
                )
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                log.warning("job %d was taken from this worker; its result is dropped", job.job_id)
                return False
            session.add(Result(
                submission_id=job.submission_id, job_id=job.job_id, score=result.score,
                late_penalty=result.late_penalty, final_score=result.final_score,
                max_score=result.max_score, gradable=result.gradable,
                data=result.model_dump(mode="json"),
            ))
        return True



def fair_order(queued: Iterable[tuple[int, str, str]], running: Mapping[str, int]) -> list[int]:
    """Round-robin by student: ``queued`` is ``(job id, student, reason)``; returns job ids in order.

    A student's k-th waiting job (counting their running ones first) goes after every other
    student's (k-1)-th, so 20 submissions of one student put another's first one second, not 21st.
    Students' own submissions go before staff regrades; ties go to the older job.
    """
    rank: Counter[str] = Counter()
    keyed = []
    for job_id, student, reason in sorted(queued):
        keyed.append((reason == "regrade", rank[student] + running.get(student, 0), job_id))
        rank[student] += 1
    return [job_id for _, _, job_id in sorted(keyed)]


def _file_problem(job: ClaimedJob) -> str:
    """Why the stored file cannot be graded, or '' when it is intact."""
    try:
        data = job.path.read_bytes()
    except OSError as exc:
        return f"the stored submission file is missing ({exc.strerror})"
    if hashlib.sha256(data).hexdigest() != job.sha256:
        return "the stored submission file does not match its checksum"
    return ""


class GradingWorkers:
    """Worker threads sharing one grader; the grader is built in the background at start."""

    def __init__(self, queue: JobQueue, grader_factory: GraderFactory, *, threads: int) -> None:
        self.queue = queue
        self.grader_factory = grader_factory
        self.threads = threads
        self.grader: GraderLike | None = None
        self.grader_failed = ""
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending = 0
        self._workers: list[threading.Thread] = []
        self._running: dict[str, ClaimedJob] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        # Not joined at stop: a grader still starting closes itself when it is ready.
        threading.Thread(target=self._boot, name="grader-boot", daemon=True).start()

    def _boot(self) -> None:
        try:
            self.grader = self.grader_factory(self.queue.config)
        except Exception as exc:
            self.grader_failed = f"{type(exc).__name__}: {exc}"
            log.exception("the grading engine failed to start; submissions stay queued")
            return
        if self._stop.is_set():
            self.grader.close()
            return
        for k in range(self.threads):
            thread = threading.Thread(target=self._work, args=(k,), name=f"grader-{k}", daemon=True)
            thread.start()
            self._workers.append(thread)

    def wake(self) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs, put running ones back in the queue, close the grader."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        with self._lock:
            running = list(self._running.values())
        for job in running:
            self.queue.release(job.claim)
        grader = self.grader
        if grader is not None:
            closer = threading.Thread(target=grader.close, name="grader-close", daemon=True)
            closer.start()
            closer.join(timeout)
        for thread in list(self._workers):
            thread.join(timeout=0.2 if running else timeout)

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    # ------------------------------------------------------------------ work

    def _work(self, index: int) -> None:
        worker = f"{os.uname().nodename}:{os.getpid()}:{index}"
        while not self._stop.is_set():
            try:
                job = self.queue.claim(worker)
            except Exception:
                log.exception("could not take a job from the queue")
                job = None
            if job is None:
                with self._wake:
                    if self._pending == 0:
                        self._wake.wait(POLL_SECONDS)
                    self._pending = 0
                continue
            if self._stop.is_set():
                self.queue.release(job.claim)
                break
            with self._lock:
                self._running[job.claim] = job
            try:
                self._run(job)
            except Exception:
                log.exception("could not record job %d", job.job_id)
            finally:
                with self._lock:
                    self._running.pop(job.claim, None)

    def _crashed(self, job: ClaimedJob, message: str) -> SubmissionResult:
        sheet = self.queue.config.sheet(job.sheet)
        return SubmissionResult.crashed(
            student_id=job.student, sheet=job.sheet, submission=job.filename, message=message,
            max_score=sheet.total_points, sha256=job.sha256, points=sheet.points,
        )

    def _run(self, job: ClaimedJob) -> None:
        if job.attempts > MAX_ATTEMPTS:
            message = f"grading was interrupted {MAX_ATTEMPTS} times"
            self.queue.finish(job, self._crashed(job, message), failed=True)
            return
        problem = _file_problem(job)
        if problem:
            self.queue.finish(job, self._crashed(job, problem), failed=True)
            return
        assert self.grader is not None
        log.info("grading job %d: %s's %s for %s", job.job_id, job.student, job.filename, job.sheet)
        try:
            result = self.grader.grade_file(
                sheet=job.sheet, path=job.path, student_id=job.student,
                submitted_at=job.submitted_at,
            )
        except Exception as exc:  # the engine promises not to raise; be safe anyway
            if self._stop.is_set():
                return  # the grader was closed under us; the job is back in the queue
            log.exception("the grader raised on job %d", job.job_id)
            result = self._crashed(job, f"{type(exc).__name__}: {exc}")
        if self._stop.is_set():
            return  # shutting down: the result may come from a grader being torn down
        self.queue.finish(job, result)
