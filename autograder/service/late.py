"""Deadlines for the service: the course-wide rule lives in :mod:`autograder.grades.late`; this adapts its call."""

from __future__ import annotations

import datetime as dt

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.grades.late import Lateness, lateness
from autograder.grades.late import apply_late_policy as _apply

__all__ = ["Lateness", "apply_late_policy", "lateness"]


def apply_late_policy(result: SubmissionResult, sheet: SheetConfig, submitted_at: dt.datetime) -> SubmissionResult:
    """The result stamped with the service's ``submitted_at`` and its late penalty."""
    return _apply(result, sheet, submitted_at=submitted_at)
