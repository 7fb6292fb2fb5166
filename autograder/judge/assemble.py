"""The student's load log and the final ``SubmissionResult`` of one judge run."""

from __future__ import annotations

import platform
from typing import Any

from autograder.core.extra_data import ExtraData, Timings
from autograder.core.results import CaseResult, SubmissionResult
from autograder.judge.rpc import CellReport, StudentSession


def load_summary(reports: list[CellReport], printed: str, limit: int) -> str:
    """What happened while the notebook ran, for the student."""
    lines: list[str] = []
    for report in reports:
        if report.fatal:
            lines.append(f"- {report.fatal}.")
        elif report.error:
            lines.append(
                f"- cell {report.index} raised {report.error.get('type')}: {report.error.get('message')}\n"
                + _indent(report.error.get("traceback", ""))
            )
        for note in report.notes:
            lines.append(f"- cell {report.index}: {note}")
    text = ""
    if lines:
        text += "While running your notebook:\n" + "\n".join(lines) + "\n"
    if printed.strip():
        text += "\nYour notebook printed:\n" + printed
    return text[:limit * 2]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-12:])


def _assemble(
    common: dict[str, Any], cases: list[CaseResult], suite_errors: list[str], session: StudentSession,
    *, timings: dict[str, Any], device: str, warnings: list[str], elapsed: float,
    plots: dict[str, Any] | None = None, staff_plots: dict[str, Any] | None = None,
) -> SubmissionResult:
    import torch
    import transformers

    score = round(sum(case.score for case in cases), 4)
    output = load_summary(session.load_reports or [], session.load_output, 20_000)
    if session.restarts:
        output += (f"\nYour code had to be restarted {session.restarts} time(s) after a hang or crash; "
                   "only the checks that were running lost points.\n")
    extra = ExtraData(
        timings=Timings.model_validate(timings), device=device, restarts=session.restarts,
        skipped_cells=sorted(session.skipped), isolation=session.layers, isolation_warnings=warnings,
        versions={"python": platform.python_version(), "torch": torch.__version__,
                  "transformers": transformers.__version__},
        exercise_max=dict(common["points"]),
    )
    if plots:
        extra = extra.updated(plots=plots)
    if staff_plots:  # charts of checks that had secret data in play: staff only
        extra = extra.updated(staff_plots=staff_plots)
    return SubmissionResult(
        student_id=common["student_id"], sheet=common["sheet"], submission=common["submission"],
        submission_sha256=common["sha256"], score=score, max_score=common["max_score"],
        execution_time=round(elapsed, 3), output=output, tests=tuple(cases), extra_data=extra,
        grader_error="\n".join(suite_errors),
    )
