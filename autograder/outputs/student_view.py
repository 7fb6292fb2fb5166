"""What a student may see of one result, as JSON: the view the service's API returns to students.

Built from the same view model as the HTML feedback (:func:`autograder.outputs.feedback.build_views`) and
under the same visibility rule (:mod:`autograder.core.visibility`), so the service's pages, the notebook
client and the exported feedback say the same thing. It carries no staff data: no ``extra_data``
(host paths, the sandbox uid, warnings naming the hidden suite), no tracebacks, no grader error,
and of a check that is not shown only its points. ``feedback_html`` is the rendered fragment
(:func:`autograder.outputs.feedback.feedback_fragment`) and ``feedback_markdown`` the markdown summary
with all student text escaped; the client shows one or the other.
"""

from __future__ import annotations

from typing import Any

from autograder.core.results import SubmissionResult
from autograder.grades.written import status_text
from autograder.outputs.feedback import (
    STATUS_TEXT,
    FeedbackContext,
    build_views,
    feedback_fragment,
    notebook_output,
    score_lines,
    student_markdown,
)
from autograder.outputs.staff_view import adjustment_lines


def written_view(result: SubmissionResult) -> list[dict[str, Any]]:
    """Each written answer with its status; of a mark the points, ticked items and comment (never the note)."""
    return [{"question": a.question, "exercise": a.exercise, "max_points": a.max_points, "text": a.text,
             "status": "graded" if a.mark else "awaiting staff", "status_text": status_text(a),
             "points": a.mark.points if a.mark else None, "rubric": list(a.mark.rubric) if a.mark else [],
             "comment": a.mark.comment if a.mark else ""} for a in result.written]


def student_view(result: SubmissionResult, context: FeedbackContext) -> dict[str, Any]:
    """The JSON-able student view of ``result`` (after the late policy) at ``context``'s moment."""
    headline, finality, late_text = score_lines(result, context)
    exercises, tests = [], []
    for view in build_views(result, context) if result.gradable else []:
        exercises.append({"exercise": view.exercise, "score": view.score, "max_score": view.max_score,
                          "status": view.status, "status_text": STATUS_TEXT[view.status],
                          "hidden_checks": view.hidden_count})
        for case in view.cases:
            entry: dict[str, Any] = {"number": view.exercise, "score": case.score,
                                     "max_score": case.max_score, "shown": case.shown}
            if case.shown:
                entry.update(name=case.title, status=case.status, output=case.message,
                             printed=case.printed[:4000], not_attempted=case.not_attempted,
                             charts=len(case.charts))
            else:
                entry.update(name="hidden check", status="passed" if case.passed else "not passed")
            tests.append(entry)
    return {
        "student_id": result.student_id, "sheet": result.sheet, "submission": result.submission,
        "submission_sha256": result.submission_sha256,
        "submitted_at": result.submitted_at.isoformat() if result.submitted_at else None,
        "graded_at": result.graded_at.isoformat(),
        "score": result.final_score, "raw_score": result.score, "late_penalty": result.late_penalty,
        "max_score": result.max_score, "gradable": result.gradable,
        "format_errors": result.format_errors,
        "provisional": bool(result.grader_error) or result.provisional or any(c.status == "error" for c in result.tests),
        "written": written_view(result),
        "headline": headline, "finality": finality, "late_text": late_text,
        "exercises": exercises, "tests": tests,
        "written_score": result.written_score, "adjustment_total": result.adjustment_total,
        "adjustments": adjustment_lines(result, {c.nodeid or c.name for c in result.tests
                                                 if c.visibility == "visible"}),
        "output": notebook_output(result)[:20000],
        "feedback_markdown": student_markdown(result, context),
        "feedback_html": feedback_fragment(result, context),
    }
