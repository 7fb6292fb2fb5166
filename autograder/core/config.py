"""The course's settings: a typed, validated schema, and the one place that loads ``course_config.py``.

``course_config.py`` (at the repository root, or given with ``--config``) is trusted staff code that
builds a :class:`CourseConfig` and binds it to the name ``config``: the course-wide settings. A sheet
may be listed there or described next to its master, in ``sheets/<name>/sheet.toml`` (what
``autograder new-sheet`` writes), which :func:`load_config` finds under the course root. Both are read
once at start-up by :func:`load_config`; nothing else in the package reads the environment or the
file system for settings.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autograder.core.errors import ConfigError
from autograder.core.written_spec import WrittenQuestion, questions_from_master

CONFIG_FILENAME = "course_config.py"
SHEET_FILE = "sheet.toml"
SHEETS_DIR = "sheets"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limits(_Model):
    """Resource limits for one sandbox (one submission's student process)."""

    cell_timeout_s: float = Field(
        60.0, gt=0, description="CPU-time limit for one notebook cell: user+system seconds of the sandbox's "
        "processes and threads, so a busy grading machine never times out correct work")
    test_timeout_s: float = Field(
        60.0, gt=0, description="default CPU-time limit of the sandbox for one hidden test (its `timeout` "
        "marker overrides it), all the student calls of that test together")
    submission_timeout_s: float = Field(
        1800.0, gt=0, description="limit for grading one submission, all tests together; charged on the wall "
        "clock, with the backstop below applied (the CPU cap is cpu_time_s)"
    )
    wall_backstop_factor: float = Field(
        3.0, ge=1.0, description="wall clock allowed per CPU-time limit: a cell, test or submission is "
        "stopped after factor x its limit + wall_backstop_margin_s on the wall clock even when it uses "
        "no CPU (code that sleeps or waits); far enough that load on the machine never reaches it")
    wall_backstop_margin_s: float = Field(
        30.0, ge=0, description="seconds added to every wall-clock backstop (see wall_backstop_factor)")
    memory_mb: int = Field(6144, ge=256, description="address-space (CPU) or data-segment (GPU) limit")
    cpu_time_s: int = Field(1800, ge=10, description="RLIMIT_CPU of the sandbox, all tests together")
    max_processes: int = Field(256, ge=16, description="RLIMIT_NPROC: processes and threads of the uid")
    max_open_files: int = Field(512, ge=64, description="RLIMIT_NOFILE")
    max_file_size_mb: int = Field(64, ge=1, description="RLIMIT_FSIZE: the largest file it may write")
    workdir_mb: int = Field(256, ge=16, description="size of the private tmpfs working directory")
    output_bytes: int = Field(20_000, ge=1_000, description="stdout+stderr kept per phase; rest dropped")
    max_submission_mb: int = Field(40, ge=1, description="larger files are refused as not gradable")
    torch_threads: int = Field(
        1, ge=1, description="torch intra-op threads inside the sandbox (1 is fastest for the "
        "step-by-step models of the course; raise it for large batched models)")
    max_message_mb: int = Field(512, ge=1, description="largest value the sandbox may send at once")
    max_return_mb: int = Field(
        64, ge=1, description="memory the value one call returns may take in the judge (all of it, "
        "decoded); a larger one fails that check")
    judge_memory_mb: int = Field(
        2048, ge=256, description="memory the judge process of one submission may take beyond what it "
        "starts with; past it, that submission's checks fail and the batch goes on")

    def wall_backstop(self, cpu_limit_s: float) -> float:
        """The wall-clock seconds after which a CPU-time limit of ``cpu_limit_s`` stops waiting."""
        return cpu_limit_s * self.wall_backstop_factor + self.wall_backstop_margin_s


class Isolation(_Model):
    """Layers of the sandbox. Each is used where available; a missing one is reported, not ignored."""

    switch_uid: bool = Field(True, description="run student code as an unprivileged uid (when root)")
    uid_base: int = Field(61000, ge=1000, description="worker k runs its sandboxes as uid_base + k, or the next uid "
                          "no other grader on the host holds (autograder.sandbox.uids)")
    network_namespace: bool = Field(True, description="no network: a fresh network namespace")
    pid_namespace: bool = Field(True, description="a pid namespace: every descendant dies with it")
    mount_namespace: bool = Field(
        True, description="an allow-listed root: student code sees only the system folders, the Python "
        "environment, the autograder package and its own working folder (docs/security.md); private /tmp"
    )
    allow_paths: tuple[str, ...] = Field(
        (), description="extra absolute host paths bound read-only into the sandbox's root (a data set "
        "outside the sheet's folder); never a course checkout"
    )
    hide_paths: tuple[str, ...] = Field(
        (), description="extra absolute paths covered should the allow-list ever show them"
    )
    require_all: bool = Field(
        False, description="refuse to grade when a requested layer is unavailable (else warn once)"
    )


LatePenalty = Literal["none", "per_day"]


class SheetConfig(_Model):
    """One sheet: where its parts live, its points, and its deadline."""

    name: str
    title: str = ""
    assignment_dir: Path = Field(description="public student bundle: notebook, checks, data")
    notebook: str = Field(description="student notebook file name inside assignment_dir")
    reference_module: str = Field(description="importable module of the reference implementation")
    hidden_dir: Path = Field(description="hidden pytest suite")
    points: dict[str, float] = Field(description="exercise id -> autograded points (what the hidden tests' "
                                     "markers add up to); with the written questions' they make the total")
    written: tuple[WrittenQuestion, ...] = Field(
        (), description="questions staff grade by hand: load_config reads them from the master's written "
        "cells (docs/authoring.md); set them here only for a sheet without a master")
    public_checks: str | None = Field(None, description="module file of public checks in assignment_dir")
    master: Path | None = Field(
        None, description="the sheet's master (MyST Markdown, e.g. sheets/<sheet>/master.md), outside "
        "assignment_dir: `autograder assign` builds the notebook from it (None: the notebook is authored as is)")
    opens: dt.datetime | None = Field(
        None, description="release: the service accepts submissions from then on (None: always)")
    deadline: dt.datetime | None = None
    timezone: str = "UTC"
    grace_minutes: int = Field(0, ge=0)
    late_penalty: LatePenalty = "none"
    late_penalty_per_day: float = Field(0.0, ge=0, le=1, description="fraction of the score per day")
    counted_submission: Literal["latest_before_deadline", "latest", "best"] = "latest_before_deadline"
    published: bool = Field(
        False, description="grades released: checks marked visibility('after_published') are shown")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:  # zoneinfo raises several kinds
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _master_outside_assignment(self) -> SheetConfig:
        if self.master is None:
            return self
        if self.master.suffix != ".md":
            raise ValueError(f"sheet {self.name!r}: the master {self.master} must be MyST Markdown (.md)")
        if not self.master.is_absolute() and not self.assignment_dir.is_absolute() and Path(
                os.path.normpath(self.master)).is_relative_to(os.path.normpath(self.assignment_dir)):
            raise ValueError(f"sheet {self.name!r}: the master {self.master} lies inside the assignment folder "
                             f"{self.assignment_dir}, which students get; put it in sheets/{self.name}/")
        return self

    @model_validator(mode="after")
    def _opens_before_deadline(self) -> SheetConfig:
        opens, deadline = self.aware_opens(), self.aware_deadline()
        if opens is not None and deadline is not None and opens >= deadline:
            raise ValueError(f"sheet {self.name!r} opens ({opens}) after its deadline ({deadline})")
        return self

    @property
    def autograded_points(self) -> float:
        """What the hidden tests give in all (the reference scores this)."""
        return float(sum(self.points.values()))

    @property
    def written_points(self) -> float:
        return float(sum(question.points for question in self.written))

    @property
    def total_points(self) -> float:
        """Autograded and written points together: the sheet's total."""
        return self.autograded_points + self.written_points

    def exercise_points(self) -> dict[str, float]:
        """Exercise id -> its points, autograded and written together (what the notebook announces)."""
        totals = {exercise: float(points) for exercise, points in self.points.items()}
        for question in self.written:
            totals[question.exercise] = totals.get(question.exercise, 0.0) + question.points
        return totals

    def _aware(self, when: dt.datetime | None) -> dt.datetime | None:
        if when is None or when.tzinfo is not None:
            return when
        return when.replace(tzinfo=ZoneInfo(self.timezone))

    def aware_deadline(self) -> dt.datetime | None:
        return self._aware(self.deadline)

    def aware_opens(self) -> dt.datetime | None:
        """When the sheet is released (naive times are in the sheet's time zone), or None."""
        return self._aware(self.opens)

    def is_open(self, now: dt.datetime) -> bool:
        opens = self.aware_opens()
        return opens is None or now >= opens


class ServiceConfig(_Model):
    """The JupyterHub grading service."""

    name: str = "autograder"
    database_url: str = "sqlite:///build/service/autograder.db"
    data_dir: Path = Path("build/service")
    ta_groups: tuple[str, ...] = ("tas", "instructors")
    submissions_per_hour: int = Field(20, ge=1, description="uploads (accepted, refused and in progress) "
                                      "a student may make per hour; staff are not limited")
    uploads_in_progress: int = Field(2, ge=1, le=20, description="uploads one student may have streaming at "
                                     "once; more are refused (429) before their body is read, and count "
                                     "toward submissions_per_hour")
    max_upload_mb: int = Field(40, ge=1)
    workers: int = Field(1, ge=1)


RosterField = Literal["lis_person_sourcedid", "email", "user_id", "ext_user_username", "name"]


class LmsConfig(_Model):
    """Grades to the LMS over LTI 1.3 Advantage (``autograder lms-push``; docs/term.md).

    The values come from registering the autograder as an LTI 1.3 tool in the LMS (its developer
    key or external-tool page). Nothing here is a secret: the tool's private key is read at push
    time from ``private_key_file`` or from the environment variable named by ``private_key_env``,
    never from the repository, and ``autograder config`` prints these fields as they are.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    issuer: str = Field("", description="the platform's issuer (iss), e.g. https://canvas.instructure.com")
    client_id: str = Field("", description="the tool's client id, as the LMS assigned it")
    deployment_id: str = Field("", description="the deployment id of the tool in this course")
    token_url: str = Field("", description="the platform's OAuth2 access-token URL")
    audience: str = Field("", description="aud of the signed client assertion (default: token_url; some "
                          "platforms name another, e.g. Brightspace's auth audience)")
    lineitems_url: str = Field("", description="the AGS line-items URL of the course context (from a launch's "
                               "AGS endpoint claim, 'lineitems')")
    nrps_url: str = Field("", description="the NRPS context-membership URL (a launch's namesroleservice claim, "
                          "'context_memberships_url'); used when no roster CSV is given")
    roster_field: RosterField = Field(
        "lis_person_sourcedid", description="the NRPS member field that equals our student id")
    roster_csv: Path | None = Field(None, description="default roster: CSV of student_id,lms_user_id (--roster "
                                    "overrides it; without both, NRPS is asked)")
    private_key_file: Path | None = Field(
        None, description="PEM file of the tool's RSA private key; keep it outside the course repository")
    private_key_env: str = Field("", description="name of an environment variable holding the PEM key (used "
                                 "when private_key_file is not set)")
    key_id: str = Field("", description="kid of the tool's public key as registered in the LMS (default: its "
                        "RFC 7638 thumbprint)")
    timeout_s: float = Field(30.0, gt=0, description="seconds to wait for one request to the LMS")

    @field_validator("private_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if value and not value.replace("_", "A").isalnum():
            raise ValueError("private_key_env is not an environment variable's name: give the "
                             "variable's name, never the key itself")
        return value

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.token_url and self.lineitems_url)


class CourseConfig(_Model):
    """Everything the course's staff set. See ``course_config.py`` at the project root."""

    course: str = "Understanding LLMs"
    root: Path = Field(Path("."), description="project root; relative paths are resolved against it")
    sheets: dict[str, SheetConfig] = Field(
        default_factory=dict, description="sheets listed here; load_config adds those described in "
        "sheets/<name>/sheet.toml")
    limits: Limits = Limits()
    isolation: Isolation = Isolation()
    device: Literal["auto", "cpu", "cuda"] = "auto"
    gpu_slots: tuple[str, ...] | None = Field(
        None, description="CUDA_VISIBLE_DEVICES values, one worker each; None discovers them"
    )
    sandboxes_per_gpu: int = Field(1, ge=1)
    results_dir: Path = Path("build/results")
    service: ServiceConfig = ServiceConfig()
    student_id_column: str = Field("student_id", description="id column name in the LMS export")
    lms: LmsConfig = Field(LmsConfig(), description="LTI 1.3 Advantage grade passback (autograder lms-push)")

    @model_validator(mode="after")
    def _sheet_keys_match(self) -> CourseConfig:
        for key, sheet in self.sheets.items():
            if key != sheet.name:
                raise ValueError(f"sheet key {key!r} differs from its name {sheet.name!r}")
        return self

    def sheet(self, name: str) -> SheetConfig:
        try:
            return self.sheets[name]
        except KeyError:
            known = ", ".join(sorted(self.sheets)) or "none"
            raise ConfigError(f"unknown sheet {name!r}; the course config defines: {known}") from None

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.root / path).resolve()


def find_config(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The config file: ``explicit`` if given, else ``course_config.py`` in ``start`` or a parent."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_FILENAME} found in {here} or its parents; run from the project root or pass --config"
    )


def load_config(path: Path | None = None) -> CourseConfig:
    """Execute the course's config file and return its ``config``, with ``root`` set to its folder."""
    file = find_config(path)
    spec = importlib.util.spec_from_file_location("course_config", file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(f"{file} failed to load: {type(exc).__name__}: {exc}") from exc
    config = getattr(module, "config", None)
    if not isinstance(config, CourseConfig):
        raise ConfigError(f"{file} must define `config = CourseConfig(...)`")
    root = file.parent.resolve()
    config = config.model_copy(update={"root": root if config.root == Path(".") else config.root})
    found = discover_sheets(config.root, listed=config.sheets)
    sheets = {name: with_written_questions(config, sheet) for name, sheet in {**config.sheets, **found}.items()}
    return config.model_copy(update={"sheets": sheets})


def with_written_questions(config: CourseConfig, sheet: SheetConfig) -> SheetConfig:
    """The sheet with the written questions its master declares (one place: the master or the config)."""
    if sheet.master is None:
        return sheet
    master = config.resolve(sheet.master)
    try:
        declared = questions_from_master(master)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not declared:
        return sheet
    if sheet.written:
        raise ConfigError(f"sheet {sheet.name!r}: written questions are declared both in its config and in "
                          f"its master {master}: keep the master's")
    return sheet.model_copy(update={"written": declared})


def sheet_defaults(name: str, folder: Path) -> dict[str, object]:
    """What a ``sheet.toml`` need not say: the layout ``new-sheet`` makes (paths from the course root)."""
    defaults: dict[str, object] = {
        "name": name, "assignment_dir": Path("assignments", name), "notebook": f"{name}.ipynb",
        "reference_module": f"reference.{name}", "hidden_dir": Path("tests", "hidden", name),
        "public_checks": "public_checks.py",
    }
    if (folder / "master.md").is_file():
        defaults["master"] = Path(SHEETS_DIR, name, "master.md")
    return defaults


def discover_sheets(root: Path, *, listed: dict[str, SheetConfig]) -> dict[str, SheetConfig]:
    """The sheets described in ``<root>/sheets/<name>/sheet.toml``, by name.

    The folder's name is the sheet's name; fields left out take :func:`sheet_defaults`. A sheet both
    listed in course_config.py and described here is a configuration error (one place per sheet).
    """
    found: dict[str, SheetConfig] = {}
    for file in sorted((root / SHEETS_DIR).glob(f"*/{SHEET_FILE}")):
        name = file.parent.name
        try:
            table = tomllib.loads(file.read_text(encoding="utf-8"))
            if table.get("name", name) != name:
                raise ValueError(f"name = {table['name']!r} differs from its folder's name {name!r}")
            found[name] = SheetConfig.model_validate({**sheet_defaults(name, file.parent), **table})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
            raise ConfigError(f"{file}: {exc}".replace("\n", " ")) from exc
        if name in listed:
            raise ConfigError(f"sheet {name!r} is both in {CONFIG_FILENAME} and in {file}: keep one of the two")
    return found
