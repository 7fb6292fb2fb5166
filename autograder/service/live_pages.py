"""Staff pages beside the class table: the submissions being graded now, and the TA report.

``active_jobs``: the jobs queued or running (for the staff page, which refreshes itself while there
are any, so nobody reloads by hand to learn a result). ``GET ta/report?sheet=``: the TA report of
:mod:`autograder.outputs.report` over the submissions that count, its roster linking each student's
submission page; a page with no scripts, served with a policy that lets none run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.service.models import Job, Submission
from autograder.service.security import PageUser, require_ta
from autograder.service.staff_ledger import staffed_counted
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)

router = APIRouter(include_in_schema=False)

REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STAFF_REFRESH_S = 5


def active_jobs(session: Session, sheet: str | None = None) -> list[dict[str, Any]]:
    """Jobs running, then queued, oldest first: what the staff page lists as being graded now."""
    query = (select(Job, Submission).join(Submission, Job.submission_id == Submission.id)
             .where(Job.state.in_(("queued", "running"))).order_by(Job.id))
    if sheet:
        query = query.where(Submission.sheet == sheet)
    rows = [{"job": job.id, "submission": sub.id, "student": sub.student, "sheet": sub.sheet, "state": job.state,
             "reason": job.reason, "attempts": job.attempts,
             "since": (job.started_at or job.created_at).strftime("%Y-%m-%d %H:%M:%S UTC")}
            for job, sub in session.execute(query)]
    return sorted(rows, key=lambda r: (r["state"] != "running", r["job"]))


@router.get("/ta/report")
def ta_report(
    user: PageUser, state: State,
    sheet: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The TA report (``autograder report``) of the submissions that count, generated on request."""
    from autograder.outputs.report import report_html

    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    with state.db.session() as session:
        chosen = staffed_counted(state.data_dir, counted_results(
            list_submissions(session, user, sheet=chosen_sheet.name), chosen_sheet), chosen_sheet)
    results = [result for _, result in chosen.values()]
    links = {result.student_id: submission_link(state, sub.id) for sub, result in chosen.values()}
    page = report_html(results, chosen_sheet, feedback_links=links)
    return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_POLICY, "Cache-Control": "no-store"})


def submission_link(state: ServiceState, submission_id: int) -> str:
    return f"{state.prefix}submissions/{submission_id}"
