"""What the routes and pages share: accepting an upload, finding submissions, and viewing results.

Every function takes the signed-in :class:`HubUser` and enforces the one rule of the service:
students see and submit only their own work; TAs (hub groups) see everything.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.results import SubmissionResult, to_gradescope
from autograder.outputs.feedback import FeedbackContext, feedback_fragment
from autograder.outputs.student_view import student_view
from autograder.service.late import lateness
from autograder.service.models import (
    Database,
    ExerciseScore,
    Job,
    Refusal,
    StaffResultView,
    StudentResultView,
    Submission,
    SubmissionView,
    utcnow,
)
from autograder.service.queue import GradingWorkers, JobQueue
from autograder.service.security import HubAuthentication, HubUser
from autograder.service.staff_ledger import staffed
from autograder.service.uploads import receive_upload
from autograder.student.checks import public_check_names

ALLOWED_SUFFIXES = (".ipynb", ".py")
HOUR = dt.timedelta(hours=1)


@dataclass
class ServiceState:
    """Everything a request needs, made once by :func:`autograder.service.app.create_app`."""

    config: CourseConfig
    db: Database
    queue: JobQueue
    workers: GradingWorkers
    auth: HubAuthentication
    data_dir: Path
    submit_lock: threading.Lock = field(default_factory=threading.Lock)
    public_checks: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    uploading: dict[str, int] = field(default_factory=dict)  # uploads being received, per student
    similarity_jobs: dict[str, Any] = field(default_factory=dict)  # sheet -> its latest similarity job
    similarity_lock: threading.Lock = field(default_factory=threading.Lock)
    regrade_previews: dict[str, Any] = field(default_factory=dict)  # sheet -> its latest regrade preview

    @property
    def prefix(self) -> str:
        return self.auth.env.service_prefix


def service_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


State = Annotated[ServiceState, Depends(service_state)]


def sheet_or_404(state: ServiceState, name: str | None) -> SheetConfig:
    """The named sheet (the first one when no name is given), or a 404 naming the known ones."""
    name = name or next(iter(state.config.sheets))
    if name not in state.config.sheets:
        known = ", ".join(sorted(state.config.sheets))
        raise HTTPException(status.HTTP_404_NOT_FOUND,  # the asked-for name is not repeated
                            f"There is no such sheet; this course has: {known}.")
    return state.config.sheet(name)


# --------------------------------------------------------------------------- accepting uploads


def _safe_filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:200] or "submission.ipynb"


def _xsrf_in_header(request: Request, user: HubUser) -> bool:
    supplied = request.headers.get("x-xsrftoken", "")
    return bool(user.xsrf and supplied and hmac.compare_digest(user.xsrf, supplied))


def _check_file(state: ServiceState, user: HubUser, fields: dict[str, str], filename: str, *,
                need_xsrf: bool) -> str:
    """Everything known before the file's first byte: XSRF, the sheet (and that it is open), the type.

    A browser's form sends ``_xsrf`` and ``sheet`` before the file (the page's field order).
    """
    if need_xsrf:
        supplied = fields.get("_xsrf", "")
        if not (user.xsrf and supplied and hmac.compare_digest(user.xsrf, supplied)):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "This form has expired (XSRF check failed); reload the page and retry.")
    if not fields.get("sheet"):  # before the file, or not at all: never a default sheet
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "Say which sheet this is for: send the field 'sheet' before the file.")
    sheet = sheet_or_404(state, fields["sheet"])
    now = utcnow()
    if not sheet.is_open(now) and not user.is_ta:  # staff try a sheet out before its release
        opens = sheet.aware_opens()
        assert opens is not None
        when = opens.astimezone(ZoneInfo(sheet.timezone)).strftime("%Y-%m-%d %H:%M %Z")
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{sheet.name} is not open yet; submissions are accepted from {when}.")
    stored = _safe_filename(filename)
    if not stored.lower().endswith(ALLOWED_SUFFIXES):
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "Submit your notebook (.ipynb) or a Python file (.py).")
    return stored


def _attempts_in_last_hour(session: Session, student: str, now: dt.datetime,
                           until: dt.datetime | None = None) -> list[dt.datetime]:
    until = until or now
    accepted = session.scalars(select(Submission.submitted_at).where(
        Submission.student == student, Submission.submitted_at > now - HOUR, Submission.submitted_at <= until))
    refused = session.scalars(select(Refusal.at).where(Refusal.student == student, Refusal.at > now - HOUR,
                                                       Refusal.at <= until))
    return sorted([*accepted, *refused])


def check_rate(session: Session, state: ServiceState, user: HubUser, now: dt.datetime, *,
               others_in_progress: int = 0, until: dt.datetime | None = None) -> None:
    """429 when the student's accepted and refused uploads of the last hour (made up to ``until``),
    and those still being received (``others_in_progress``), reach the limit."""
    if user.is_ta:
        return
    limit = state.config.service.submissions_per_hour
    recent = _attempts_in_last_hour(session, user.name, now, until)
    if len(recent) + others_in_progress < limit:
        return
    if len(recent) < limit:  # the uploads in progress fill the hour: one of them may be refused yet
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"Your other uploads still in progress would reach the limit of {limit} per "
                            "hour; wait for them to finish.", headers={"Retry-After": "10"})
    retry = recent[len(recent) - limit] + HOUR - now
    minutes = max(1, int(retry.total_seconds() // 60) + 1)
    raise HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"You have uploaded {len(recent)} times in the last hour (refused uploads count too); the "
        f"limit is {limit} per hour. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        headers={"Retry-After": str(int(retry.total_seconds()) + 1)},
    )


class TooManyInProgress(HTTPException):
    """429 for an upload beyond the per-student limit on uploads in progress (recorded as a refusal)."""


@contextmanager
def upload_slot(state: ServiceState, user: HubUser) -> Iterator[int]:
    """Hold one of the student's ``uploads_in_progress`` slots while the body streams in; yields how
    many of their other uploads are in progress. Staff are not limited."""
    limit = state.config.service.uploads_in_progress
    with state.submit_lock:
        others = state.uploading.get(user.name, 0)
        if others >= limit and not user.is_ta:
            raise TooManyInProgress(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"You have {others} upload{'s' if others != 1 else ''} in progress (the limit is {limit} at "
                "once); wait for them to finish and submit again.", headers={"Retry-After": "10"})
        state.uploading[user.name] = others + 1
    try:
        yield others
    finally:
        with state.submit_lock:
            left = state.uploading.get(user.name, 1) - 1
            if left > 0:
                state.uploading[user.name] = left
            else:
                state.uploading.pop(user.name, None)


def _record_refusal(state: ServiceState, user: HubUser, exc: HTTPException) -> None:
    if exc.status_code == status.HTTP_429_TOO_MANY_REQUESTS and not isinstance(exc, TooManyInProgress):
        return  # the rate limit's own answers: recording them would extend the wait forever
    with state.db.session.begin() as session:
        session.add(Refusal(student=user.name, at=utcnow(), status=exc.status_code,
                            reason=str(exc.detail)[:300]))


async def receive_submission(request: Request, state: ServiceState, user: HubUser) -> tuple[Submission, Job]:
    """Take an upload from ``request`` (the user is already known), store it, queue its grading job.

    The number of the student's uploads in progress and the rate limit (counting those in progress)
    are checked before the body is read, and the rate limit again, atomically, before the insert.
    Raises HTTPException on refusal; a refused upload leaves nothing on disk and is recorded.
    """
    try:
        with upload_slot(state, user) as others:
            with state.db.session() as session:
                check_rate(session, state, user, utcnow(), others_in_progress=others)
            return await _receive(request, state, user)
    except TooManyInProgress as exc:
        _record_refusal(state, user, exc)
        raise


async def _receive(request: Request, state: ServiceState, user: HubUser) -> tuple[Submission, Job]:
    started = utcnow()
    limit = state.config.service.max_upload_mb
    need_xsrf = user.by_cookie and not _xsrf_in_header(request, user)
    try:
        upload = await receive_upload(
            request, dest=state.data_dir / "submissions", limit_mb=limit,
            check=lambda fields, filename: _check_file(state, user, fields, filename,
                                                       need_xsrf=need_xsrf))
        if not upload.size:
            upload.discard()
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "The uploaded file is empty.")
    except HTTPException as exc:
        _record_refusal(state, user, exc)
        raise
    sheet = state.config.sheet(upload.fields["sheet"])
    try:
        # One lock per process makes the rate-limit count and the insert atomic. Attempts made while
        # this one streamed (others refused as too many at once) do not refuse it after the fact.
        with state.submit_lock, state.db.session.begin() as session:
            now = utcnow()
            check_rate(session, state, user, now, until=started)
            late = lateness(sheet, now)
            submission = Submission(
                student=user.name, sheet=sheet.name, filename=upload.filename,
                sha256=upload.sha256, size=upload.size,
                path=upload.path.relative_to(state.data_dir).as_posix(),
                submitted_at=now, late=late.late, days_late=late.days,
            )
            session.add(submission)
            session.flush()
            job = Job(submission_id=submission.id, reason="submission", requested_by=user.name)
            session.add(job)
            session.flush()
    except BaseException:
        upload.discard()
        raise
    state.workers.wake()
    return submission, job


def request_regrade(state: ServiceState, user: HubUser, submission_id: int) -> Job:
    if not user.is_ta:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only course staff (TAs) may regrade.")
    with state.db.session() as session:
        if session.get(Submission, submission_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No submission {submission_id}.")
    job_id = state.queue.enqueue(submission_id, reason="regrade", requested_by=user.name)
    state.workers.wake()
    with state.db.session() as session:
        return session.get_one(Job, job_id)


# --------------------------------------------------------------------------- reading


def _load_options() -> Any:
    return (selectinload(Submission.jobs), selectinload(Submission.results))


def list_submissions(
    session: Session, user: HubUser, *, sheet: str | None = None, student: str | None = None
) -> list[Submission]:
    """Newest first. Students get their own whatever ``student`` says."""
    query = select(Submission).options(*_load_options()).order_by(Submission.id.desc())
    if not user.is_ta:
        student = user.name
    if student:
        query = query.where(Submission.student == student)
    if sheet:
        query = query.where(Submission.sheet == sheet)
    return list(session.scalars(query))


def get_submission(session: Session, user: HubUser, submission_id: int) -> Submission:
    submission = session.scalar(
        select(Submission).options(*_load_options()).where(Submission.id == submission_id)
    )
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No submission {submission_id}.")
    if submission.student != user.name and not user.is_ta:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "You can only see your own submissions.")
    return submission


def latest_result(submission: Submission) -> SubmissionResult | None:
    if not submission.results:
        return None
    return SubmissionResult.model_validate(submission.results[-1].data)


def job_status(submission: Submission) -> str:
    """The state of the newest job: queued, running, done or failed."""
    return submission.jobs[-1].state if submission.jobs else "done"


def queue_position(state: ServiceState, session: Session, submission: Submission) -> int:
    """Where the submission's job stands in the fair order workers take jobs in (0: not queued)."""
    if not submission.jobs or submission.jobs[-1].state != "queued":
        return 0
    return state.queue.position(session, submission.id)


def exercise_rows(result: SubmissionResult, sheet: SheetConfig) -> list[ExerciseScore]:
    """One row per exercise of the sheet, in the config's order, then any others the tests named."""
    got = result.exercise_scores()
    rows = []
    for exercise in [*sheet.points, *(e for e in got if e not in sheet.points)]:
        score, possible = got.get(exercise, (0.0, float(sheet.points.get(exercise, 0.0))))
        rows.append(ExerciseScore(exercise=exercise, score=round(score, 4), max_score=possible))
    return rows


def feedback_context(state: ServiceState, sheet: SheetConfig, now: dt.datetime | None = None) -> FeedbackContext:
    """The feedback renderers' context now (visibility is decided at the moment of viewing)."""
    if sheet.name not in state.public_checks:  # parsed once per sheet (the file is the release's)
        state.public_checks[sheet.name] = public_check_names(state.config, sheet)
    return FeedbackContext(sheet=sheet, public_checks=state.public_checks[sheet.name],
                           now=now or utcnow())


def result_view(
    state: ServiceState, result: SubmissionResult, sheet: SheetConfig, *, staff: bool,
    now: dt.datetime | None = None,
) -> StudentResultView | StaffResultView:
    """Students: :func:`autograder.outputs.student_view.student_view` (what the export's page shows, no staff
    data). Staff: the full Gradescope JSON with staff fields, per-exercise totals and the student's
    rendered feedback, so staff see what the student sees."""

    context = feedback_context(state, sheet, now)
    result = staffed(state.data_dir, result, sheet)
    if not staff:
        return StudentResultView.model_validate(student_view(result, context))
    return StaffResultView.model_validate({**to_gradescope(result, include_staff=True),
                                           "exercises": exercise_rows(result, sheet),
                                           "feedback_html": feedback_fragment(result, context)})


def local_time(when: dt.datetime, sheet: SheetConfig) -> str:
    """A time as the pages show it, in the sheet's zone."""
    return when.astimezone(ZoneInfo(sheet.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def submission_view(
    session: Session, state: ServiceState, submission: Submission, user: HubUser
) -> SubmissionView:
    """One submission as ``user`` may see it: the API's JSON (the client polls it) and the pages' row."""
    sheet = state.config.sheet(submission.sheet)
    result = latest_result(submission)
    late = lateness(sheet, submission.submitted_at)
    return SubmissionView(
        id=submission.id, student=submission.student, sheet=submission.sheet, filename=submission.filename,
        sha256=submission.sha256, submitted_at=submission.submitted_at.isoformat(),
        late=late.late, days_late=late.days, late_message=late.describe() if late.late else "",
        status=job_status(submission), queue_position=queue_position(state, session, submission),
        attempts=submission.jobs[-1].attempts if submission.jobs else 0,
        result=result_view(state, result, sheet, staff=user.is_ta) if result else None,
        submitted_local=local_time(submission.submitted_at, sheet),
    )


def counted_results(
    submissions: list[Submission], sheet: SheetConfig
) -> dict[str, tuple[Submission, SubmissionResult]]:
    """Per student, the submission that counts under ``sheet.counted_submission`` (and its result)."""
    graded: dict[str, list[tuple[Submission, SubmissionResult]]] = {}
    for sub in sorted(submissions, key=lambda s: s.id):
        result = latest_result(sub)
        if result is not None and sub.sheet == sheet.name:
            graded.setdefault(sub.student, []).append((sub, result))
    chosen = {}
    for student, pairs in graded.items():
        if sheet.counted_submission == "best":
            chosen[student] = max(pairs, key=lambda p: (p[1].final_score, p[0].id))
        elif sheet.counted_submission == "latest":
            chosen[student] = pairs[-1]
        else:
            on_time = [p for p in pairs if not lateness(sheet, p[0].submitted_at).late]
            chosen[student] = (on_time or pairs)[-1]
    return dict(sorted(chosen.items()))
