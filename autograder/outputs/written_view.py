"""The feedback page's written answers: each answer, its status, the rubric items staff ticked and
their comment (never the staff note).

What the answers are and what their status says is :mod:`autograder.grades.written`'s; the markup is
the template ``feedback/written.html`` of :mod:`autograder.pages`, which escapes every value (student
text is hostile).
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult, WrittenAnswer
from autograder.grades.written import question_of, status_text, ticked_items
from autograder.pages import render


@dataclass(frozen=True)
class WrittenView:
    """One answer as the student reads it (plain text: the template escapes it)."""

    question: str
    exercise: str
    title: str
    status: str
    text: str
    ticked: tuple[str, ...] = ()
    comment: str = ""


def written_view(answer: WrittenAnswer, sheet: SheetConfig) -> WrittenView:
    question = question_of(sheet, answer.question)
    mark = answer.mark
    return WrittenView(
        question=answer.question, exercise=answer.exercise,
        title=question.title if question and question.title else answer.question,
        status=status_text(answer), text=answer.text,
        ticked=tuple(ticked_items(answer, sheet)) if mark is not None else (),
        comment=mark.comment if mark is not None else "")


def written_html(result: SubmissionResult, sheet: SheetConfig) -> str:
    """The feedback page's section ("" without written answers): each answer, its status, ticked items
    and the comment, escaped."""
    if not result.written:
        return ""
    return render("feedback/written.html", answers=[written_view(answer, sheet) for answer in result.written])
