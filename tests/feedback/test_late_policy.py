"""Deadlines, grace, days late, time zones, custom policies and which submission counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.grades.late import (
    apply_late_policy,
    counted_per_student,
    counted_submission,
    lateness,
    parse_timestamp,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def sheet(**changes: object) -> SheetConfig:
    base = {"name": "toy", "assignment_dir": "a", "notebook": "n.ipynb", "reference_module": "r",
            "hidden_dir": "h", "points": {"x": 10}, "deadline": dt.datetime(2026, 12, 18, 23, 59),
            "timezone": "Europe/Berlin", "grace_minutes": 15, "late_penalty": "per_day",
            "late_penalty_per_day": 0.1}
    return SheetConfig(**{**base, **changes})


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(("submitted", "late", "days"), [
    (berlin(2026, 12, 18, 23, 59), False, 0),                 # at the deadline
    (berlin(2026, 12, 19, 0, 14), False, 0),                  # inside the grace period
    (berlin(2026, 12, 19, 0, 14, 0), False, 0),               # exactly at the end of the grace period
    (berlin(2026, 12, 19, 0, 14, 1), True, 1),                # one second after it
    (berlin(2026, 12, 20, 0, 14), True, 1),                   # exactly 24 h after the grace period
    (berlin(2026, 12, 20, 0, 14, 1), True, 2),                # a second more: the second day started
    (berlin(2026, 12, 21, 12, 0), True, 3),
])
def test_days_late_are_counted_after_the_grace_period(submitted: dt.datetime, late: bool, days: int) -> None:
    got = lateness(sheet(), submitted)
    assert (got.late, got.days) == (late, days)
    assert got.fraction == pytest.approx(0.1 * days)


def test_time_zones_compare_instants_not_wall_clocks() -> None:
    # 23:10 UTC is 00:10 in Berlin (winter, UTC+1): inside the grace period, not late.
    assert not lateness(sheet(), dt.datetime(2026, 12, 18, 23, 10, tzinfo=UTC)).late
    # 23:20 UTC is 00:20 in Berlin: late by one day.
    assert lateness(sheet(), dt.datetime(2026, 12, 18, 23, 20, tzinfo=UTC)).days == 1
    # A naive stamp is UTC (file times, nbgrader's stamps).
    assert lateness(sheet(), dt.datetime(2026, 12, 18, 23, 20)).days == 1
    # The same wall-clock deadline in New York is six hours later.
    ny = sheet(timezone="America/New_York", grace_minutes=0)
    assert not lateness(ny, dt.datetime(2026, 12, 19, 4, 0, tzinfo=UTC)).late


def test_an_aware_deadline_keeps_its_own_zone() -> None:
    aware = sheet(deadline=dt.datetime(2026, 12, 18, 22, 59, tzinfo=UTC), grace_minutes=0)
    assert not lateness(aware, berlin(2026, 12, 18, 23, 59)).late
    assert lateness(aware, berlin(2026, 12, 19, 0, 0)).late


def test_deadline_on_a_daylight_saving_change() -> None:
    # Berlin leaves summer time on 2026-10-25 at 03:00 (clocks go back to 02:00).
    dst = sheet(deadline=dt.datetime(2026, 10, 24, 12, 0), grace_minutes=0)
    # 24 real hours after the deadline is 11:00 local on the 25th: still one day late.
    assert lateness(dst, berlin(2026, 10, 25, 11, 0)).days == 1
    assert lateness(dst, berlin(2026, 10, 25, 11, 30)).days == 2


def test_penalty_is_capped_and_none_means_marked_late_only() -> None:
    assert lateness(sheet(), berlin(2027, 1, 30, 0, 0)).fraction == 1.0
    unpunished = lateness(sheet(late_penalty="none"), berlin(2026, 12, 20, 12, 0))
    assert unpunished.late and unpunished.fraction == 0.0
    assert "No points are deducted" in unpunished.describe()


def test_no_deadline_or_no_stamp_is_never_late() -> None:
    assert not lateness(sheet(deadline=None), berlin(2030, 1, 1, 0, 0)).late
    assert not lateness(sheet(), None).late


def test_custom_policy_gets_the_lateness_and_is_clamped() -> None:
    def policy(late):  # 25% for the first day, everything after that
        return 0.25 if late.days == 1 else 5.0

    assert lateness(sheet(), berlin(2026, 12, 19, 1, 0), custom=policy).fraction == 0.25
    assert lateness(sheet(), berlin(2026, 12, 22, 1, 0), custom=policy).fraction == 1.0
    assert lateness(sheet(), berlin(2026, 12, 18, 12, 0), custom=policy).fraction == 0.0  # on time: not asked


def result(student: str, score: float, when: dt.datetime | None, **extra: object) -> SubmissionResult:
    return SubmissionResult(student_id=student, sheet="toy", submission=f"{student}.py", score=score,
                            max_score=10, submitted_at=when, **extra)


def test_apply_late_policy_stores_points_and_keeps_the_raw_score() -> None:
    late = apply_late_policy(result("ada", 8.0, berlin(2026, 12, 20, 12, 0)), sheet())
    assert late.score == 8.0 and late.late_penalty == pytest.approx(1.6) and late.final_score == pytest.approx(6.4)
    assert late.extra_data["late"]["days"] == 2
    again = apply_late_policy(late, sheet())  # applying twice replaces, never adds up
    assert again.late_penalty == late.late_penalty
    crashed = apply_late_policy(result("bob", 0.0, berlin(2026, 12, 20, 12, 0), grader_error="boom"), sheet())
    assert crashed.late_penalty == 0.0


def test_counted_submission_rules() -> None:
    early = result("ada", 6.0, berlin(2026, 12, 17, 12, 0))
    on_time = result("ada", 7.0, berlin(2026, 12, 18, 23, 0))
    late = apply_late_policy(result("ada", 10.0, berlin(2026, 12, 19, 12, 0)), sheet())
    pool = [early, late, on_time]
    assert counted_submission(pool, sheet()) is on_time
    assert counted_submission(pool, sheet(counted_submission="latest")) is late
    assert counted_submission(pool, sheet(counted_submission="best")) is late  # 9 after the penalty beats 7
    only_late = [late, apply_late_policy(result("ada", 9.0, berlin(2026, 12, 21, 12, 0)), sheet())]
    assert counted_submission(only_late, sheet()) is only_late[1]  # none on time: the latest counts
    counted = counted_per_student([*pool, result("bob", 1.0, None)], sheet())
    assert [r.student_id for r in counted] == ["ada", "bob"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-18 23:10:05.123456 UTC", dt.datetime(2026, 12, 18, 23, 10, 5, 123456, tzinfo=UTC)),
    ("2026-12-18 23:10:05", dt.datetime(2026, 12, 18, 23, 10, 5, tzinfo=UTC)),
    ("2026-12-18T23:10:05+01:00", dt.datetime(2026, 12, 18, 22, 10, 5, tzinfo=UTC)),
    ("2026-12-18T23:10:05Z", dt.datetime(2026, 12, 18, 23, 10, 5, tzinfo=UTC)),
    ("2026-12-18 23:10:05 Europe/Berlin", dt.datetime(2026, 12, 18, 22, 10, 5, tzinfo=UTC)),
    ("yesterday", None),
    ("", None),
])
def test_parse_timestamp_reads_nbgrader_and_iso(text: str, expected: dt.datetime | None) -> None:
    assert parse_timestamp(text) == expected
