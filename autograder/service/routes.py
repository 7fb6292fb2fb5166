"""The JSON API under ``<prefix>api/``: what ``autograder.student.client`` and scripts talk to.

| method and path                         | who     | what                                       |
|-----------------------------------------|---------|--------------------------------------------|
| GET  api/me                             | anyone  | name, groups, whether staff                |
| GET  api/sheets                         | anyone  | sheets, open dates, deadlines, points      |
| POST api/submissions (multipart)        | anyone  | submit ``file`` for ``sheet``: 202 + view  |
| GET  api/submissions[?sheet=&student=]  | anyone  | own submissions; staff: everyone's         |
| GET  api/submissions/{id}               | owner   | status, lateness and the visible result    |
| POST api/submissions/{id}/regrade       | staff   | queue a new grading job                    |
| GET  api/grades.csv?sheet=              | staff   | one row per student (the counted result)   |

The JSON endpoints' response models (their schema in the OpenAPI page) are in :mod:`autograder.service.models`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse

from autograder.core.results import grades_table
from autograder.service.models import RegradeQueued, SheetView, SubmissionView, UserView, utcnow
from autograder.service.security import ApiUser, ApiWriter, HubUser, require_ta
from autograder.service.staff_ledger import staffed_counted
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    get_submission,
    list_submissions,
    receive_submission,
    request_regrade,
    sheet_or_404,
    submission_view,
)

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/me")
def me(user: ApiUser) -> UserView:
    return UserView(name=user.name, groups=sorted(user.groups), is_ta=user.is_ta)


@router.get("/sheets")
def sheets(
    user: ApiUser, state: State
) -> list[SheetView]:
    rows = []
    for sheet in state.config.sheets.values():
        deadline, opens = sheet.aware_deadline(), sheet.aware_opens()
        rows.append(SheetView(
            name=sheet.name, title=sheet.title, points=sheet.points,
            opens=opens.isoformat() if opens else None, open=sheet.is_open(utcnow()),
            deadline=deadline.isoformat() if deadline else None,
            grace_minutes=sheet.grace_minutes, late_penalty=sheet.late_penalty,
            late_penalty_per_day=sheet.late_penalty_per_day,
        ))
    return rows


@router.post("/submissions", status_code=status.HTTP_202_ACCEPTED)
async def submit(request: Request, user: ApiUser, state: State) -> SubmissionView:
    """multipart/form-data with ``sheet`` then ``file``; read only after the user is known
    (no File/Form parameters: FastAPI would read the whole body before authenticating)."""
    submission, _ = await receive_submission(request, state, user)
    with state.db.session() as session:
        return submission_view(session, state, get_submission(session, user, submission.id), user)


@router.get("/submissions")
def submissions(
    user: ApiUser,
    state: State,
    sheet: Annotated[str | None, Query()] = None,
    student: Annotated[str | None, Query()] = None,
) -> list[SubmissionView]:
    with state.db.session() as session:
        found = list_submissions(session, user, sheet=sheet, student=student)
        return [submission_view(session, state, sub, user) for sub in found]


@router.get("/submissions/{submission_id}")
def submission(
    submission_id: int,
    user: ApiUser,
    state: State,
) -> SubmissionView:
    with state.db.session() as session:
        return submission_view(session, state, get_submission(session, user, submission_id), user)


@router.post("/submissions/{submission_id}/regrade", status_code=status.HTTP_202_ACCEPTED)
def regrade(
    submission_id: int,
    user: ApiWriter,
    state: State,
) -> RegradeQueued:
    job = request_regrade(state, user, submission_id)
    return RegradeQueued(job=job.id, submission=submission_id, status=job.state)


@router.get("/grades.csv", response_class=PlainTextResponse)
def grades_csv(
    sheet: Annotated[str, Query()],
    user: ApiUser,
    state: State,
) -> PlainTextResponse:
    require_ta(user)
    return grades_response(state, sheet)


def grades_response(state: ServiceState, sheet_name: str) -> PlainTextResponse:
    """``grades.csv`` of the counted submission of every student (shared with the TA page)."""
    sheet = sheet_or_404(state, sheet_name)
    with state.db.session() as session:
        chosen = staffed_counted(state.data_dir, counted_results(list_submissions(session, _STAFF, sheet=sheet.name),
                                                                 sheet), sheet)
    text = grades_table((r for _, r in chosen.values()), sheet.points,
                        id_column=state.config.student_id_column)
    return PlainTextResponse(
        text, media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{sheet.name}-grades.csv"'},
    )


_STAFF = HubUser(name="", is_ta=True)
