"""Deadlines and the late policy: when a submission was made, how late it is, what it costs, which counts.

The rule, from the sheet's config (:class:`autograder.core.config.SheetConfig`):

- the deadline is a wall-clock time in the sheet's ``timezone`` (a naive ``deadline`` is read in that
  zone; daylight saving is handled by ``zoneinfo``);
- a submission stamped at or before ``deadline + grace_minutes`` is on time;
- otherwise it is ``ceil((submitted - (deadline + grace)) / 24 h)`` days late: the grace period is
  forgiven, so one second past it is one day late and exactly 24 hours past it still one day;
- ``late_penalty="per_day"`` deducts ``late_penalty_per_day`` of the score per day late, at most the
  whole score; ``"none"`` marks the submission late without a penalty; a custom callable (the
  ``custom`` argument, or a sheet attribute ``late_penalty_fn`` once the schema has one) receives the
  :class:`Lateness` and returns the fraction of the score to deduct (clamped to [0, 1]).

The penalty is stored in points on the result (``late_penalty``), a fraction of everything before it
(tests, written answers, staff adjustments: :mod:`autograder.grades.grade`); the raw ``score`` is kept, so
``final_score`` and every export show both. Which of a student's submissions counts is set by
``counted_submission``: the latest one on time (``latest_before_deadline``, the default; when none
is on time, the latest late one), the ``latest`` one, or the ``best`` final score.

Timestamps come from the grading service, from nbgrader's ``timestamp.txt`` (:func:`parse_timestamp`),
from the TA's ``--submitted-at`` file (:func:`read_submission_times`), or, only with ``--trust-mtime``,
from the file's modification time (which the student controls); without any of them a submission's
time is unknown and it is never late. A naive timestamp is read as UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.core.config import SheetConfig
from autograder.core.errors import UsageError
from autograder.core.extra_data import LateRecord
from autograder.core.results import SubmissionResult

DAY = dt.timedelta(days=1)
UTC = dt.UTC


@dataclass(frozen=True)
class Lateness:
    """How late one submission is for one sheet, and the fraction of its score that lateness costs."""

    submitted_at: dt.datetime | None
    deadline: dt.datetime | None
    grace: dt.timedelta = dt.timedelta(0)
    late: bool = False
    days: int = 0
    fraction: float = 0.0

    @property
    def cutoff(self) -> dt.datetime | None:
        return None if self.deadline is None else self.deadline + self.grace

    def describe(self) -> str:
        """One sentence for the student; empty when there is no deadline or no timestamp."""
        if self.deadline is None or self.submitted_at is None:
            return ""
        zone = self.deadline.tzinfo
        when = format_time(self.submitted_at, zone)
        deadline = format_time(self.deadline, zone)
        grace = f" plus {_minutes(self.grace)} grace" if self.grace else ""
        if not self.late:
            return f"Submitted {when}, on time (deadline {deadline}{grace})."
        days = f"{self.days} day" + ("" if self.days == 1 else "s")
        text = f"Submitted {when}, {days} late (deadline {deadline}{grace})."
        if self.fraction > 0:
            text += f" Late penalty: {self.fraction:.0%} of the score."
        else:
            text += " No points are deducted for this sheet."
        return text

    def as_dict(self) -> dict[str, object]:
        return {"late": self.late, "days": self.days, "fraction": self.fraction,
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "grace_minutes": self.grace.total_seconds() / 60}


LatePenaltyFn = Callable[[Lateness], float]
"""A custom policy: the fraction of the score to deduct for a :class:`Lateness` (clamped to [0, 1])."""


def _minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def format_time(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    local = as_aware(moment).astimezone(zone) if zone else as_aware(moment)
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def as_aware(moment: dt.datetime) -> dt.datetime:
    """A naive timestamp is UTC (the grader's convention for file times and nbgrader stamps)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def penalty_fn(sheet: SheetConfig, custom: LatePenaltyFn | None = None) -> LatePenaltyFn | None:
    """The custom policy in force: the argument, else the sheet's ``late_penalty_fn`` if it has one."""
    found = custom or getattr(sheet, "late_penalty_fn", None)
    return found if callable(found) else None


def lateness(sheet: SheetConfig, submitted_at: dt.datetime | None, *,
             custom: LatePenaltyFn | None = None) -> Lateness:
    """How late a submission stamped ``submitted_at`` is for ``sheet``, and what that costs."""
    deadline = sheet.aware_deadline()
    if deadline is None or submitted_at is None:
        return Lateness(submitted_at=submitted_at, deadline=deadline)
    deadline = deadline.astimezone(ZoneInfo(sheet.timezone))
    grace = dt.timedelta(minutes=sheet.grace_minutes)
    stamp = as_aware(submitted_at)
    on_time = Lateness(submitted_at=stamp, deadline=deadline, grace=grace)
    # In UTC: Python compares and subtracts two datetimes of one zone by their wall clocks, which
    # is wrong across a daylight-saving change.
    past = stamp.astimezone(UTC) - (deadline.astimezone(UTC) + grace)
    if past <= dt.timedelta(0):
        return on_time
    days = max(1, math.ceil(past / DAY))
    late = replace(on_time, late=True, days=days)
    policy = penalty_fn(sheet, custom)
    if policy is not None:
        fraction = float(policy(late))
    elif sheet.late_penalty == "per_day":
        fraction = days * sheet.late_penalty_per_day
    else:
        fraction = 0.0
    return replace(late, fraction=min(1.0, max(0.0, fraction if math.isfinite(fraction) else 1.0)))


def apply_late_policy(result: SubmissionResult, sheet: SheetConfig, *,
                      submitted_at: dt.datetime | None = None,
                      custom: LatePenaltyFn | None = None) -> SubmissionResult:
    """The result with its late penalty (replacing any earlier one) and ``extra_data.late``.

    ``submitted_at`` overrides the result's own stamp. Not gradable or crashed results get no
    penalty (there is no score to reduce, and a grader failure is never the student's fault).
    """
    stamp = submitted_at or result.submitted_at
    late = lateness(sheet, stamp, custom=custom)
    penalty = (round(result.total_before_penalty * late.fraction, 4)
               if result.gradable and not result.grader_error else 0.0)
    extra = result.extra_data.updated(late=LateRecord.model_validate(late.as_dict()))
    return result.model_copy(update={"submitted_at": stamp, "late_penalty": penalty, "extra_data": extra})


# --------------------------------------------------------------------------- which submission counts


def counted_submission(results: Iterable[SubmissionResult], sheet: SheetConfig) -> SubmissionResult | None:
    """The one of a student's results that counts, by ``sheet.counted_submission``.

    Results should already carry their late penalty (:func:`apply_late_policy`). A result without a
    timestamp sorts as the oldest.
    """
    pool = list(results)
    if not pool:
        return None
    oldest = dt.datetime.min.replace(tzinfo=UTC)

    def stamp(result: SubmissionResult) -> dt.datetime:
        return as_aware(result.submitted_at) if result.submitted_at else oldest

    if sheet.counted_submission == "best":
        return max(pool, key=lambda r: (r.final_score, stamp(r)))
    if sheet.counted_submission == "latest_before_deadline":
        on_time = [r for r in pool if not lateness(sheet, r.submitted_at).late]
        if on_time:
            return max(on_time, key=stamp)
    return max(pool, key=stamp)


def counted_per_student(results: Iterable[SubmissionResult], sheet: SheetConfig) -> list[SubmissionResult]:
    """One counted result per student, sorted by student id."""
    by_student: dict[str, list[SubmissionResult]] = {}
    for result in results:
        by_student.setdefault(result.student_id, []).append(result)
    chosen = [counted_submission(group, sheet) for _, group in sorted(by_student.items())]
    return [result for result in chosen if result is not None]


# --------------------------------------------------------------------------- timestamps

_NBGRADER_ZONE = re.compile(r"^(?P<stamp>.+?)\s+(?P<zone>[A-Za-z_/+-]+[A-Za-z0-9_/+-]*)$")


def parse_timestamp(text: str, *, default_zone: str = "UTC") -> dt.datetime | None:
    """An aware datetime from ISO 8601 or nbgrader's ``timestamp.txt`` (``2026-12-18 23:10:05.123 UTC``).

    A stamp without a zone is read in ``default_zone``; anything unreadable gives None.
    """
    text = text.strip()
    if not text:
        return None
    zone: dt.tzinfo | None = None
    candidate = text
    match = _NBGRADER_ZONE.match(text)
    if match and not match.group("zone").startswith(("+", "-")):
        name = match.group("zone")
        if name.upper() in ("UTC", "GMT", "Z"):
            zone, candidate = UTC, match.group("stamp")
        else:
            try:
                zone, candidate = ZoneInfo(name), match.group("stamp")
            except Exception:  # noqa: BLE001 - an abbreviation zoneinfo does not know (CET, PST)
                return None
    try:
        moment = dt.datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or ZoneInfo(default_zone))
    return moment


def read_submission_times(path: Path, *, default_zone: str = "UTC") -> dict[str, dt.datetime]:
    """The TA's ``--submitted-at`` file: CSV rows ``student id,time`` (a header row is allowed).

    A time is ISO 8601 or nbgrader's ``timestamp.txt`` form; one without a zone is read in
    ``default_zone``. Raises UsageError naming the first row that is not an id and a time.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--submitted-at {path}: the file could not be read ({exc})") from None
    times: dict[str, dt.datetime] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        moment = parse_timestamp(row[1], default_zone=default_zone) if len(row) == 2 else None
        if moment is None:
            if number == 1 and len(row) == 2:
                continue  # a header such as "student_id,submitted_at"
            raise UsageError(f"--submitted-at {path}, line {number}: expected 'student id,time' with an ISO "
                             f"time such as 2026-12-18T23:10:05+01:00, got {','.join(row)[:80]!r}")
        times[row[0].strip()] = moment
    return times
