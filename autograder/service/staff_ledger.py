"""The service's staff ledger: ``<data dir>/staff/<sheet>/`` (:class:`autograder.grades.grade.StaffLedger`).

Every result the service shows or exports goes through :func:`staffed` first (adjustments and written
marks folded in, then the late policy on the whole), so the service's pages, API and grades.csv show
the same final grade as the command line's exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.grades.grade import StaffLedger, apply_staff

K = TypeVar("K")
S = TypeVar("S")


def sheet_ledger(data_dir: Path, sheet: str) -> StaffLedger:
    return StaffLedger(data_dir / "staff" / sheet)


def staffed(data_dir: Path, result: SubmissionResult, sheet: SheetConfig) -> SubmissionResult:
    """``result`` with the sheet's ledger applied; the late fraction the result was graded with (the
    service's own lateness rule) applies to the new total of every part."""
    updated = apply_staff(result, sheet_ledger(data_dir, sheet.name))
    if (updated.written, updated.adjustments) == (result.written, result.adjustments):
        return result
    late = result.extra_data.late
    if late is None or "fraction" not in late.model_fields_set or not result.gradable or result.grader_error:
        return updated
    return updated.model_copy(update={"late_penalty": round(updated.total_before_penalty * late.fraction, 4)})


def staffed_counted(data_dir: Path, chosen: dict[K, tuple[S, SubmissionResult]],
                    sheet: SheetConfig) -> dict[K, tuple[S, SubmissionResult]]:
    return {key: (sub, staffed(data_dir, result, sheet)) for key, (sub, result) in chosen.items()}
