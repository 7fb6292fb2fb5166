"""Server-rendered pages: the student's page, one submission, and the staff page.

Browsers sign in through the hub's OAuth (``oauth_callback``); forms carry the XSRF token.
"""

from __future__ import annotations

import statistics
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select

from autograder import pages
from autograder.core.config import SheetConfig
from autograder.core.results import SubmissionResult
from autograder.service.late import lateness
from autograder.service.live_pages import STAFF_REFRESH_S, active_jobs
from autograder.service.models import Job, Submission, utcnow
from autograder.service.routes import grades_response
from autograder.service.security import HubUser, PageUser, PageWriter, authentication, require_ta
from autograder.service.staff_ledger import staffed_counted
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    get_submission,
    job_status,
    list_submissions,
    local_time,
    receive_submission,
    request_regrade,
    service_state,
    sheet_or_404,
    submission_view,
)

router = APIRouter(include_in_schema=False)


def render(
    request: Request, template: str, *, user: HubUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    state = service_state(request)
    html = request.app.state.templates.get_template(template).render(
        course=state.config.course, prefix=state.prefix, user=user, **context
    )
    return HTMLResponse(html, status_code=status_code)


def _sheet_rows(state: ServiceState) -> list[dict[str, Any]]:
    rows = []
    now = utcnow()
    for sheet in state.config.sheets.values():
        deadline, opens = sheet.aware_deadline(), sheet.aware_opens()
        rows.append({
            "name": sheet.name, "title": sheet.title, "open": sheet.is_open(now),
            "opens": local_time(opens, sheet) if opens else "",
            "deadline": local_time(deadline, sheet) if deadline else "",
            "grace": sheet.grace_minutes,
            "penalty": f"{sheet.late_penalty_per_day:.0%}" if sheet.late_penalty == "per_day" else "",
        })
    return rows


def _student_page(
    request: Request, state: ServiceState, user: HubUser, *, message: str = "", error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.session() as session:
        rows = [submission_view(session, state, s, user)
                for s in list_submissions(session, user, student=user.name)]
    pending = any(r.status in ("queued", "running") for r in rows)
    return render(request, "student.html", user=user, rows=rows, sheets=_sheet_rows(state),
                  message=message, error=error, refresh=3 if pending else 0,
                  status_code=status_code)


@router.get("/")
def student_page(
    request: Request, user: PageUser, state: State,
    submitted: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    message = f"Submission {submitted} received; it is being graded." if submitted else ""
    return _student_page(request, state, user, message=message)


@router.post("/submit")
async def submit_form(request: Request, user: PageUser, state: State) -> Response:
    """The upload form; the XSRF token is its first field, checked before the file is stored."""
    try:
        submission, _ = await receive_submission(request, state, user)
    except HTTPException as exc:
        return _student_page(request, state, user, error=str(exc.detail),
                             status_code=exc.status_code)
    return RedirectResponse(f"{state.prefix}?submitted={submission.id}", status_code=303)


@router.get("/submissions/{submission_id}")
def submission_page(
    request: Request, submission_id: int,
    user: PageUser, state: State,
) -> HTMLResponse:
    with state.db.session() as session:
        row = submission_view(session, state, get_submission(session, user, submission_id), user)
    refresh = 3 if row.status in ("queued", "running") else 0
    return render(request, "submission.html", user=user, r=row, refresh=refresh)


# --------------------------------------------------------------------------- staff


def histogram_svg(fractions: list[float], bins: int = 10) -> Markup:
    """An inline SVG bar chart of scores as fractions of the maximum (numbers only, no user text)."""
    counts = [0] * bins
    for value in fractions:
        counts[min(bins - 1, max(0, int(value * bins)))] += 1
    height, bar = 160, 38
    top = max(counts) or 1
    bars = [{"count": count, "h": round(height * count / top), "x": 10 + k * (bar + 3),
             "mid": 10 + k * (bar + 3) + bar / 2, "label": k * 100 // bins} for k, count in enumerate(counts)]
    return Markup(pages.render("service/histogram.html", width=420, height=height, bar=bar, bars=bars))


def _exercise_stats(results: list[SubmissionResult], sheet: SheetConfig) -> list[dict[str, Any]]:
    stats = []
    for exercise, points in sheet.points.items():
        scores = [r.exercise_scores().get(exercise, (0.0, points))[0] for r in results]
        full = sum(1 for s in scores if s >= points - 1e-9)
        stats.append({"exercise": exercise, "max": points,
                      "mean": statistics.fmean(scores) if scores else 0.0,
                      "pass_rate": full / len(scores) if scores else 0.0})
    return stats


def _test_stats(results: list[SubmissionResult]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], list[bool]] = {}
    for result in results:
        for case in result.tests:
            seen.setdefault((case.number, case.name), []).append(case.status == "passed")
    rows = [{"number": n, "name": name, "pass_rate": sum(v) / len(v)}
            for (n, name), v in seen.items()]
    return sorted(rows, key=lambda r: (r["pass_rate"], r["number"], r["name"]))


@router.get("/ta")
def ta_page(
    request: Request, user: PageUser, state: State,
    sheet: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    with state.db.session() as session:
        submissions = list_submissions(session, user, sheet=chosen_sheet.name)
        counts = {state_name: int(n) for state_name, n in session.execute(
            select(Job.state, func.count()).where(Job.state.in_(("queued", "running")))
            .group_by(Job.state)
        )}
        active = active_jobs(session)
    per_student: dict[str, int] = {}
    for sub in submissions:
        per_student[sub.student] = per_student.get(sub.student, 0) + 1
    chosen = staffed_counted(state.data_dir, counted_results(submissions, chosen_sheet), chosen_sheet)
    rows = []
    for student, (sub, result) in chosen.items():
        rows.append({
            "student": student, "id": sub.id, "count": per_student[student],
            "submitted": local_time(sub.submitted_at, chosen_sheet),
            "late": lateness(chosen_sheet, sub.submitted_at).late,
            "exercises": [{"score": result.exercise_scores().get(e, (0.0, 0.0))[0]}
                          for e in chosen_sheet.points],
            "score": result.score, "penalty": result.late_penalty, "final": result.final_score,
            "status": job_status(sub),
        })
    results = [r for _, r in chosen.values()]
    finals = [r.final_score for r in results]
    fractions = [r.final_score / r.max_score if r.max_score else 0.0 for r in results]
    return render(
        request, "ta.html", user=user, sheet=chosen_sheet, sheets=list(state.config.sheets),
        rows=rows, mean=statistics.fmean(finals) if finals else 0.0,
        median=statistics.median(finals) if finals else 0.0, histogram=histogram_svg(fractions),
        exercise_stats=_exercise_stats(results, chosen_sheet), test_stats=_test_stats(results),
        queued=counts.get("queued", 0), running=counts.get("running", 0),
        message=_staff_notice(request), active=active, refresh=STAFF_REFRESH_S if active else 0,
    )


def _staff_notice(request: Request) -> str:
    """The notice after a staff action, built here from numbers: never text from the URL."""
    params = request.query_params
    numbers = {key: params.get(key, "") for key in ("submission", "job", "count")}
    if not all(value.isdigit() and len(value) < 10 for value in numbers.values() if value):
        return ""
    if params.get("notice") == "regrade" and numbers["submission"] and numbers["job"]:
        return f"Regrade of submission {numbers['submission']} queued (job {numbers['job']})."
    if params.get("notice") == "regrade-all" and numbers["count"]:
        return f"Queued {numbers['count']} regrades."
    return ""


@router.post("/ta/regrade/{submission_id}")
def regrade_form(
    submission_id: int,
    user: PageWriter, state: State,
) -> Response:
    job = request_regrade(state, user, submission_id)
    with state.db.session() as session:
        sheet = session.get_one(Submission, submission_id).sheet
    query = urlencode({"sheet": sheet, "notice": "regrade", "submission": submission_id, "job": job.id})
    return RedirectResponse(f"{state.prefix}ta?{query}", status_code=303)


@router.post("/ta/regrade-all")
def regrade_all_form(
    sheet: Annotated[str, Query()],
    user: PageWriter, state: State,
) -> Response:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    with state.db.session() as session:
        chosen = counted_results(list_submissions(session, user, sheet=sheet), chosen_sheet)
    for sub, _ in chosen.values():
        request_regrade(state, user, sub.id)
    query = urlencode({"sheet": sheet, "notice": "regrade-all", "count": len(chosen)})
    return RedirectResponse(f"{state.prefix}ta?{query}", status_code=303)


@router.get("/ta/grades.csv")
def grades_csv_page(
    sheet: Annotated[str, Query()],
    user: PageUser, state: State,
) -> PlainTextResponse:
    require_ta(user)
    return grades_response(state, sheet_or_404(state, sheet).name)


# --------------------------------------------------------------------------- OAuth


@router.get("/oauth_callback")
async def oauth_callback(request: Request) -> Response:
    return await authentication(request).oauth_callback(request)


@router.get("/logout")
def logout(request: Request) -> Response:
    return authentication(request).logout(request)
