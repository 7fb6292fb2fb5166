"""Staff grade written answers in the service: one question across all students at a time.

- ``GET ta/written/<sheet>``: the sheet's questions, each with how many answers are graded.
- ``GET ta/written/<sheet>/<question>``: every student's answer to it (from the submission that
  counts), escaped, each with a form: rubric items to tick, points, a comment the student sees and
  a note only staff see. Empty answers are listed too (staff may still give points or a comment).
- ``POST ta/written/<sheet>/<question>`` (form: ``student``, ``points``, ``rubric`` (repeated),
  ``comment``, ``staff_note``, ``_xsrf``): one mark, checked (points in ``[0, max]``; empty points
  with ticked items: their sum; known rubric ids; a student with a counted submission) and appended
  to the staff ledger ``<data_dir>/staff/<sheet>/written.jsonl`` (:class:`autograder.grades.grade.StaffLedger`),
  then back to the page. A mark equal to the latest one is not written again.

Staff only (403 for students, as every TA route), XSRF-checked like the other forms; the pages
(templates ``service/written_index.html`` and ``service/written_question.html`` of
:mod:`autograder.pages`, every text escaped) let no script run. Students see the marks through :func:`autograder.service.staff_ledger.staffed`, which every
student view applies.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.core.written_spec import WrittenQuestion
from autograder.grades.grade import WrittenEntry
from autograder.grades.written import status_text
from autograder.pages import render
from autograder.service.security import HubUser, PageUser, PageWriter, require_ta
from autograder.service.staff_ledger import sheet_ledger, staffed
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)

router = APIRouter(include_in_schema=False)
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
MAX_TEXT = 4000


def _page(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})


def _question(sheet: SheetConfig, question_id: str) -> WrittenQuestion:
    found = next((q for q in sheet.written if q.id == question_id), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{sheet.name} has no such written question.")
    return found


def _counted(state: ServiceState, user: HubUser, sheet: SheetConfig) -> dict[str, SubmissionResult]:
    with state.db.session() as session:
        counted = counted_results(list_submissions(session, user, sheet=sheet.name), sheet)
    return {student: staffed(state.data_dir, result, sheet) for student, (_, result) in counted.items()}


@router.get("/ta/written/{sheet}")
def written_index(sheet: str, user: PageUser, state: State) -> Response:
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    results = _counted(state, user, chosen)
    questions = []
    for question in chosen.written:
        answers = [a for r in results.values() for a in r.written if a.question == question.id]
        graded = sum(a.mark is not None for a in answers)
        questions.append({"question": question, "graded": graded, "awaiting": len(answers) - graded})
    return _page(render("service/written_index.html", sheet=chosen, prefix=state.prefix, questions=questions))


def _form(question: WrittenQuestion, student: str, result: SubmissionResult) -> dict[str, Any]:
    """What the page shows of one student's answer: its text, status and mark, the ticked items."""
    answer = next((a for a in result.written if a.question == question.id), None)
    mark = answer.mark if answer else None
    return {"student": student, "text": answer.text if answer else "", "mark": mark,
            "ticked": set(mark.rubric) if mark else set(),
            "status": status_text(answer) if answer else "no answer cell"}


@router.get("/ta/written/{sheet}/{question}")
def written_question_page(sheet: str, question: str, user: PageUser, state: State) -> Response:
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    asked = _question(chosen, question)
    results = _counted(state, user, chosen)
    forms = [_form(asked, student, result) for student, result in results.items()]
    return _page(render("service/written_question.html", sheet=chosen, question=asked, prefix=state.prefix,
                        user=user, forms=forms))


def _mark_from_form(form: Any, question: WrittenQuestion, students: set[str], by: str) -> WrittenEntry:
    student = str(form.get("student", ""))
    if student not in students:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "No counted submission of that student for this sheet.")
    items = {item.id: item for item in question.rubric}
    ticked = tuple(dict.fromkeys(str(v) for v in form.getlist("rubric")))
    unknown = [i for i in ticked if i not in items]
    if unknown:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Unknown rubric item(s): " + ", ".join(unknown)[:200])
    text = str(form.get("points", "")).strip()
    try:
        points = float(text) if text else sum(items[i].points for i in ticked)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The points must be a number.") from None
    if not math.isfinite(points) or not 0 <= points <= question.points + 1e-9:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"The points must lie in [0, {question.points:g}].")
    comment, note = str(form.get("comment", "")).strip(), str(form.get("staff_note", "")).strip()
    if len(comment) > MAX_TEXT or len(note) > MAX_TEXT:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Comments and notes are limited to {MAX_TEXT} characters.")
    return WrittenEntry(student_id=student, question=question.id, points=round(points, 4), rubric=ticked,
                        comment=comment, staff_note=note, by=by)


@router.post("/ta/written/{sheet}/{question}")
async def mark_written_answer(sheet: str, question: str, request: Request, user: PageWriter,
                              state: State) -> Response:
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    asked = _question(chosen, question)
    with state.db.session() as session:
        students = set(counted_results(list_submissions(session, user, sheet=chosen.name), chosen))
    entry = _mark_from_form(await request.form(), asked, students, user.name)
    ledger = sheet_ledger(state.data_dir, chosen.name)
    latest = ledger.written_marks(entry.student_id).get((entry.student_id, entry.question))
    if latest is None or (latest.points, tuple(latest.rubric), latest.comment, latest.staff_note) != (
            entry.points, entry.rubric, entry.comment, entry.staff_note):
        ledger.mark_written(entry)
    return RedirectResponse(f"{state.prefix}ta/written/{chosen.name}/{asked.id}#s-{entry.student_id}",
                            status_code=303)
