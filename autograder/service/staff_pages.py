"""The staff page for adjustments: set one student's points on a test or an exercise, take one back.

``GET ta/adjustments?sheet=S`` (staff) lists the adjustments in force, the audit log and a form;
``POST ta/adjust?sheet=S`` and ``POST ta/adjust/remove?sheet=S`` (staff, XSRF-checked like every
form) write to the sheet's ledger (``<data dir>/staff/<sheet>/``, :mod:`autograder.service.staff_ledger`)
and redirect back. A student gets 403. The rules are the command line's
(:func:`autograder.term.adjust.validated_entry`): a refused adjustment is a 400 page that says why.
The page is the template ``service/adjustments.html`` of :mod:`autograder.pages` (every text escaped);
the staff note is shown here (staff only) and nowhere a student looks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from autograder.core.errors import UsageError
from autograder.core.results import SubmissionResult
from autograder.pages import render
from autograder.service.security import HubUser, PageUser, PageWriter, require_ta
from autograder.service.staff_ledger import sheet_ledger
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)
from autograder.term.adjust import validated_entry

router = APIRouter(include_in_schema=False)


def _counted(state: ServiceState, user: HubUser, sheet: str) -> dict[str, SubmissionResult]:
    chosen_sheet = sheet_or_404(state, sheet)
    with state.db.session() as session:
        chosen = counted_results(list_submissions(session, user, sheet=chosen_sheet.name), chosen_sheet)
    return {student: result for student, (_, result) in chosen.items()}


def _page(state: ServiceState, user: HubUser, sheet: str, *, error: str = "", code: int = 200) -> HTMLResponse:
    ledger = sheet_ledger(state.data_dir, sheet)
    body = render("service/adjustments.html", sheet=sheet, error=error, user=user, prefix=state.prefix,
                  students=list(_counted(state, user, sheet)), adjustments=ledger.adjustments(), audit=ledger.audit())
    return HTMLResponse(body, status_code=code)


@router.get("/ta/adjustments")
def adjustments_page(sheet: Annotated[str, Query()], user: PageUser, state: State) -> HTMLResponse:
    require_ta(user)
    return _page(state, user, sheet_or_404(state, sheet).name)


@router.post("/ta/adjust")
def adjust_form(
    sheet: Annotated[str, Query()], user: PageWriter, state: State,
    student: Annotated[str, Form()], points: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
    test: Annotated[str, Form()] = "", exercise: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
) -> Response:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    result = _counted(state, user, chosen_sheet.name).get(student)
    try:
        if result is None:
            raise UsageError(f"no graded submission of {chosen_sheet.name} from {student!r}")
        try:
            value = float(points)
        except ValueError:
            raise UsageError(f"points must be a number, not {points!r}") from None
        entry = validated_entry(chosen_sheet, result, test=test.strip() or None, exercise=exercise.strip() or None,
                                points=value, reason=reason, by=user.name, note=note)
    except UsageError as exc:
        return _page(state, user, chosen_sheet.name, error=str(exc), code=status.HTTP_400_BAD_REQUEST)
    sheet_ledger(state.data_dir, chosen_sheet.name).add_adjustment(entry)
    return RedirectResponse(f"{state.prefix}ta/adjustments?sheet={chosen_sheet.name}", status_code=303)


@router.post("/ta/adjust/remove")
def remove_form(
    sheet: Annotated[str, Query()], user: PageWriter, state: State, adjustment_id: Annotated[str, Form()],
) -> Response:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    try:
        sheet_ledger(state.data_dir, chosen_sheet.name).remove_adjustment(adjustment_id, by=user.name)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No adjustment {adjustment_id!r} in force.") from None
    return RedirectResponse(f"{state.prefix}ta/adjustments?sheet={chosen_sheet.name}", status_code=303)
