"""Deadlines and the database queue without HTTP: lateness, claims, recovery, poison jobs."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from svc_support import make_config

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.service.late import apply_late_policy, lateness
from autograder.service.models import Database, Job, Result, Submission, database_url, utcnow
from autograder.service.queue import MAX_ATTEMPTS, GradingWorkers, JobQueue

UTC = dt.UTC
DEADLINE = dt.datetime(2026, 12, 18, 23, 59)


def sheet(**kwargs) -> SheetConfig:
    return SheetConfig(name="s", assignment_dir="a", notebook="n.ipynb", reference_module="r",
                       hidden_dir="h", points={"a": 50, "b": 50}, deadline=DEADLINE,
                       timezone="Europe/Berlin", **kwargs)


def berlin(minutes_after: float) -> dt.datetime:
    deadline = sheet().aware_deadline()
    assert deadline is not None
    return (deadline + dt.timedelta(minutes=minutes_after)).astimezone(UTC)


def test_lateness_counts_days_from_the_end_of_the_grace_period() -> None:
    # the service uses the course-wide rule of autograder.grades.late (grace forgiven, then ceil of days)
    config = sheet(grace_minutes=15, late_penalty="per_day", late_penalty_per_day=0.25)
    assert not lateness(config, berlin(0)).late
    assert not lateness(config, berlin(15)).late
    one = lateness(config, berlin(15.01))
    assert one.late and one.days == 1 and one.fraction == 0.25
    assert "1 day late" in one.describe() and "15 minutes grace" in one.describe()
    assert lateness(config, berlin(24 * 60 + 15)).days == 1
    assert lateness(config, berlin(24 * 60 + 16)).days == 2
    assert lateness(config, berlin(10 * 24 * 60)).fraction == 1.0
    unpenalised = lateness(sheet(), berlin(60))
    assert unpenalised.late and unpenalised.fraction == 0.0 and "penalty" not in unpenalised.describe()
    no_deadline = SheetConfig(name="s", assignment_dir="a", notebook="n", reference_module="r",
                              hidden_dir="h", points={"a": 1})
    assert not lateness(no_deadline, berlin(1e6)).late


def test_late_policy_replaces_rather_than_adds_the_penalty() -> None:
    config = sheet(late_penalty="per_day", late_penalty_per_day=0.1)
    result = SubmissionResult(student_id="x", sheet="s", submission="n.ipynb", score=80)
    once = apply_late_policy(result, config, berlin(60))
    twice = apply_late_policy(once, config, berlin(60))
    assert once.late_penalty == twice.late_penalty == 8.0 and twice.final_score == 72.0
    assert twice.submitted_at == berlin(60)


def test_database_url_resolves_relative_sqlite_paths(tmp_path: Path) -> None:
    url = database_url("sqlite:///build/service/x.db", tmp_path)
    assert url == f"sqlite:///{tmp_path / 'build/service/x.db'}"
    assert (tmp_path / "build/service").is_dir()
    assert database_url("postgresql://u:p@h:5/db", tmp_path) == "postgresql+psycopg://u:p@h:5/db"


def _queue(tmp_path: Path, url: str) -> JobQueue:
    config = make_config(tmp_path, database_url=url)
    db = Database(database_url(url, tmp_path))
    db.create_all()
    return JobQueue(db, config, tmp_path / "service")


def _submission(queue: JobQueue, tmp_path: Path, student: str = "alice") -> int:
    import hashlib

    path = tmp_path / "service" / "submissions" / f"{student}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{}")
    with queue.db.session.begin() as session:
        sub = Submission(student=student, sheet="sheet_3_2", filename="nb.ipynb",
                         sha256=hashlib.sha256(b"{}").hexdigest(), size=2,
                         path=path.relative_to(tmp_path / "service").as_posix(),
                         submitted_at=utcnow())
        session.add(sub)
        session.flush()
        return sub.id


def test_times_come_back_timezone_aware(tmp_path: Path, db_url: str) -> None:
    queue = _queue(tmp_path, db_url)
    sub_id = _submission(queue, tmp_path)
    with queue.db.session() as session:
        stamped = session.get_one(Submission, sub_id).submitted_at
    assert stamped.tzinfo is not None and abs(utcnow() - stamped) < dt.timedelta(minutes=1)
    with pytest.raises(Exception, match="naive"), queue.db.session.begin() as session:
        session.add(Submission(student="x", sheet="s", filename="f", sha256="", size=0, path="",
                               submitted_at=dt.datetime(2026, 1, 1)))


def test_each_job_is_claimed_once_by_concurrent_workers(tmp_path: Path, db_url: str) -> None:
    queue = _queue(tmp_path, db_url)
    for k in range(30):
        queue.enqueue(_submission(queue, tmp_path, f"s{k}"), reason="submission", requested_by="t")
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (job := queue.claim(name)) is not None:
            with lock:
                claimed.append(job.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == list(range(1, 31))


def test_recover_requeues_and_a_stale_claim_cannot_finish(tmp_path: Path, db_url: str) -> None:
    queue = _queue(tmp_path, db_url)
    queue.enqueue(_submission(queue, tmp_path), reason="submission", requested_by="alice")
    stale = queue.claim("dead-worker")
    assert stale is not None and stale.attempts == 1
    assert queue.recover() == 1
    fresh = queue.claim("new-worker")
    assert fresh is not None and fresh.job_id == stale.job_id and fresh.attempts == 2
    result = SubmissionResult(student_id="alice", sheet="sheet_3_2", submission="nb.ipynb")
    assert queue.finish(stale, result) is False
    assert queue.finish(fresh, result) is True
    with queue.db.session() as session:
        assert session.query(Result).count() == 1
        assert session.get_one(Job, fresh.job_id).state == "done"


def test_a_job_that_keeps_killing_the_service_is_failed(tmp_path: Path) -> None:
    queue = _queue(tmp_path, f"sqlite:///{tmp_path / 'q.db'}")
    job_id = queue.enqueue(_submission(queue, tmp_path), reason="submission", requested_by="a")
    with queue.db.session.begin() as session:
        session.get_one(Job, job_id).attempts = MAX_ATTEMPTS

    class NeverCalled:
        def grade_file(self, **kwargs):
            raise AssertionError("a poisoned job must not reach the grader")

        def close(self) -> None:
            pass

    workers = GradingWorkers(queue, lambda config: NeverCalled(), threads=1)
    workers.grader = NeverCalled()
    job = queue.claim("w")
    assert job is not None
    workers._run(job)
    with queue.db.session() as session:
        assert session.get_one(Job, job_id).state == "failed"
        data = session.query(Result).one().data
    assert f"interrupted {MAX_ATTEMPTS} times" in data["grader_error"]


def test_a_tampered_file_is_not_graded(tmp_path: Path) -> None:
    queue = _queue(tmp_path, f"sqlite:///{tmp_path / 'q.db'}")
    sub_id = _submission(queue, tmp_path)
    queue.enqueue(sub_id, reason="submission", requested_by="a")
    (tmp_path / "service" / "submissions" / "alice.ipynb").write_bytes(b"{changed}")
    workers = GradingWorkers(queue, lambda config: None, threads=1)  # type: ignore[arg-type]
    job = queue.claim("w")
    assert job is not None
    workers._run(job)
    with queue.db.session() as session:
        assert "checksum" in session.query(Result).one().data["grader_error"]
