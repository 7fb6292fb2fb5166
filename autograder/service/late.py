"""Deadlines: whether a submission is late, by how many days, and what that costs.

The rule (from the sheet's config): a submission stamped after ``deadline + grace_minutes`` is late.
Days late are counted from the deadline itself and rounded up, so one minute past the grace period
is one day late. With ``late_penalty="per_day"`` the penalty is ``late_penalty_per_day`` of the
score per day, at most the whole score; the result keeps its raw ``score`` and gets a
``late_penalty`` in points, so ``final_score`` shows both.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from autograder.config import SheetConfig
from autograder.results import SubmissionResult

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Lateness:
    late: bool
    days: int
    fraction: float
    deadline: dt.datetime | None
    grace_minutes: int = 0

    def describe(self) -> str:
        """A sentence for the student; empty when on time or when there is no deadline."""
        if not self.late or self.deadline is None:
            return ""
        when = self.deadline.strftime("%Y-%m-%d %H:%M %Z")
        day_word = "day" if self.days == 1 else "days"
        text = f"Submitted after the deadline ({when}"
        text += f", plus {self.grace_minutes} minutes' grace)" if self.grace_minutes else ")"
        text += f": marked late, {self.days} {day_word} late."
        if self.fraction > 0:
            text += f" Late penalty: {self.fraction:.0%} of the score."
        return text


def lateness(sheet: SheetConfig, submitted_at: dt.datetime) -> Lateness:
    """How late a submission stamped at ``submitted_at`` (aware) is for ``sheet``."""
    deadline = sheet.aware_deadline()
    if deadline is None:
        return Lateness(late=False, days=0, fraction=0.0, deadline=None)
    deadline = deadline.astimezone(ZoneInfo(sheet.timezone))
    grace = dt.timedelta(minutes=sheet.grace_minutes)
    if submitted_at <= deadline + grace:
        return Lateness(False, 0, 0.0, deadline, sheet.grace_minutes)
    days = max(1, math.ceil((submitted_at - deadline) / DAY))
    fraction = min(1.0, days * sheet.late_penalty_per_day) if sheet.late_penalty == "per_day" else 0.0
    return Lateness(True, days, fraction, deadline, sheet.grace_minutes)


def apply_late_policy(
    result: SubmissionResult, sheet: SheetConfig, submitted_at: dt.datetime
) -> SubmissionResult:
    """The result stamped with ``submitted_at`` and its late penalty (replacing any earlier one)."""
    late = lateness(sheet, submitted_at)
    penalty = round(result.score * late.fraction, 4)
    return result.model_copy(update={"submitted_at": submitted_at, "late_penalty": penalty})
