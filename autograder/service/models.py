"""The service's database: submissions, grading jobs and results (SQLAlchemy 2, SQLite or PostgreSQL),
and the JSON views the API returns (pydantic: the routes' response models, which the pages show too).

The database is the single source of truth: a job is only ever ``queued``, ``running``, ``done``
or ``failed`` here, so a restarted service finds every unfinished job where it left it. Times are
stored in UTC and always come back timezone-aware, on SQLite (which has no time zones) as well.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.types import TypeDecorator

from autograder.core.errors import ConfigError

JobState = Literal["queued", "running", "done", "failed"]
UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime, stored as UTC (naive on SQLite, ``timestamptz`` on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; stamp times with utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Submission(Base):
    """One uploaded file. The file lives under the service's data dir; ``sha256`` guards it."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(255), index=True)
    sheet: Mapped[str] = mapped_column(String(100), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text, doc="relative to the service's data dir")
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # Lateness as judged when it arrived (a record); pages recompute it from the current config,
    # so a deadline extension applies after a restart (and a regrade for the penalty).
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    days_late: Mapped[int] = mapped_column(Integer, default=0)

    jobs: Mapped[list[Job]] = relationship(back_populates="submission", order_by="Job.id")
    results: Mapped[list[Result]] = relationship(back_populates="submission", order_by="Result.id")


class Refusal(Base):
    """An upload the service refused (too large, wrong type, empty, closed sheet ...).

    Refusals count toward the hourly submission limit, so refused attempts cannot be repeated
    without bound; the rate limit's own 429s are not recorded (that would extend the wait forever).
    """

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(255), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, default=utcnow)
    status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300), default="")


class Job(Base):
    """One request to grade a submission (the first one, or a regrade)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    reason: Mapped[str] = mapped_column(String(16), default="submission")
    requested_by: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str] = mapped_column(String(100), default="", doc="the worker that runs it")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="jobs")


class Result(Base):
    """A :class:`~autograder.core.results.SubmissionResult` as JSON, plus the columns pages sort by."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[float] = mapped_column(Float)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)
    final_score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    gradable: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    submission: Mapped[Submission] = relationship(back_populates="results")


# --------------------------------------------------------------------------- engine


def database_url(url: str, root: Path) -> str:
    """Resolve a relative SQLite path against the project root; pick psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"service.database_url {url!r} is not a database URL: {exc}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            path = (root / path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    """An engine whose transactions are safe for several worker threads on SQLite too."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, begin transactions, so they can be BEGIN IMMEDIATE:
        # a deferred transaction that later writes can fail with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The engine and its session factory; ``create_all`` makes the tables if they are missing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_all(self) -> None:
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


# --------------------------------------------------------------------------- JSON views (the API's response models)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UserView(_View):
    """``GET api/me``."""

    name: str
    groups: list[str]
    is_ta: bool


class SheetView(_View):
    """One sheet of ``GET api/sheets``: times in ISO 8601 (None: none)."""

    name: str
    title: str
    points: dict[str, float]
    opens: str | None
    open: bool
    deadline: str | None
    grace_minutes: int
    late_penalty: str
    late_penalty_per_day: float


class ExerciseView(_View):
    exercise: str
    score: float
    max_score: float
    status: str
    status_text: str
    hidden_checks: int


class CheckView(_View):
    """One check as a student sees it; of a check that is not shown only its points and pass/fail
    (the fields after ``status`` are written only for a shown check)."""

    number: str
    score: float
    max_score: float
    shown: bool
    name: str
    status: str
    output: str | None = None
    printed: str | None = None
    not_attempted: bool | None = None
    charts: int | None = None

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


class WrittenView(_View):
    """A written answer and its status; of a mark the points, ticked items and comment (never the note)."""

    question: str
    exercise: str
    max_points: float
    text: str
    status: str
    status_text: str
    points: float | None
    rubric: list[str]
    comment: str


class StudentResultView(_View):
    """What a student may see of a result (:func:`autograder.outputs.student_view.student_view`): no staff data."""

    student_id: str
    sheet: str
    submission: str
    submission_sha256: str
    submitted_at: str | None
    graded_at: str
    score: float
    raw_score: float
    late_penalty: float
    max_score: float
    gradable: bool
    format_errors: str
    provisional: bool
    written: list[WrittenView]
    headline: str
    finality: str
    late_text: str
    exercises: list[ExerciseView]
    tests: list[CheckView]
    written_score: int | float = Field(description="an int when there is none (as the result sums them)")
    adjustment_total: int | float
    adjustments: list[str]
    output: str
    feedback_markdown: str
    feedback_html: str


class ExerciseScore(_View):
    exercise: str
    score: float
    max_score: float


class StaffResultView(BaseModel):
    """What staff see of a result: the Gradescope JSON with staff fields
    (:func:`autograder.core.results.to_gradescope`), per-exercise totals and the student's feedback."""

    model_config = ConfigDict(frozen=True, extra="allow")

    student_id: str
    sheet: str
    submission: str
    submission_sha256: str
    score: float
    max_score: float
    execution_time: float
    output: str
    gradable: bool
    format_errors: str
    grader_error: str
    extra_data: dict[str, Any] = Field(json_schema_extra={"staff_only": True})
    submitted_at: str | None
    graded_at: str
    late_penalty: float
    written: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    tests: list[dict[str, Any]] = Field(description="Gradescope's test entries with the staff fields")
    raw_score: float
    exercises: list[ExerciseScore]
    feedback_html: str


class SubmissionView(_View):
    """One submission with its status, lateness and the result its viewer may see: what the API
    returns (the client polls it) and what the student's and the submission's pages show."""

    id: int
    student: str
    sheet: str
    filename: str
    sha256: str
    submitted_at: str = Field(description="ISO 8601")
    late: bool
    days_late: int
    late_message: str
    status: str = Field(description="the newest job's: queued, running, done or failed")
    queue_position: int = Field(description="0: not queued")
    attempts: int
    result: StudentResultView | StaffResultView | None = Field(union_mode="left_to_right")
    submitted_local: str = Field("", exclude=True, description="the pages' time, in the sheet's zone")


class RegradeQueued(_View):
    """``POST api/submissions/{id}/regrade``."""

    job: int
    submission: int
    status: str
