"""The staff page's "regrade all" as preview, then apply.

``POST ta/regrade-preview?sheet=S`` (staff, XSRF-checked) grades every counted submission again with
the service's own grader in a background thread (never inside the request), keeping the new results
apart; ``GET ta/regrade-preview/<sheet>`` shows its state and, when done, the diff
(:mod:`autograder.term.regrade_diff`: changed tests and why, each student's final before -> after with
staff adjustments kept) and an Apply button (templates ``service/regrade_preview.html``, which extends
the diff's ``term/regrade_diff.html``, and ``service/regrade_running.html``).
``POST ta/regrade-apply?sheet=S`` stores each previewed result as a new result of its submission (a finished "regrade" job): the old results stay in the
database, so none is lost; a submission that got a newer result since the preview is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from autograder.core.results import SubmissionResult
from autograder.pages import render
from autograder.service.late import apply_late_policy
from autograder.service.models import Job, Result, utcnow
from autograder.service.security import PageUser, PageWriter, require_ta
from autograder.service.staff_ledger import staffed
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)
from autograder.term.regrade_diff import RegradeDiff, StudentTotal, case_changes, diff_context

log = logging.getLogger("autograder.service")
router = APIRouter(include_in_schema=False)
_STAFF_LOCK = threading.Lock()


@dataclass
class RegradePreview:
    sheet: str
    state: str = "running"  # running, done, failed, applied
    message: str = ""
    diff: RegradeDiff = field(default_factory=RegradeDiff)
    new: dict[int, SubmissionResult] = field(default_factory=dict)  # submission id -> its new result
    seen: dict[int, int] = field(default_factory=dict)  # submission id -> how many results it had
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _previews(state: ServiceState) -> dict[str, RegradePreview]:
    return state.regrade_previews


def _run(state: ServiceState, preview: RegradePreview, todo: list[tuple[Any, SubmissionResult]]) -> None:
    sheet = state.config.sheet(preview.sheet)
    try:
        grader = state.workers.grader
        if grader is None:
            raise RuntimeError("the service's grader is not running")
        for sub, old in todo:
            new = grader.grade_file(sheet=sheet.name, path=state.data_dir / sub.path, student_id=sub.student,
                                    submitted_at=sub.submitted_at)
            new = apply_late_policy(new, sheet, sub.submitted_at)
            before, after = staffed(state.data_dir, old, sheet), staffed(state.data_dir, new, sheet)
            if new.grader_error:
                preview.diff.totals.append(StudentTotal(sub.student, before.final_score, before.final_score,
                                                        note="regrade failed: " + new.grader_error[:200]))
                continue
            preview.new[sub.id] = new
            preview.diff.changes.extend(case_changes(old, after))
            preview.diff.totals.append(StudentTotal(sub.student, before.final_score, after.final_score))
        preview.state = "done"
    except Exception as exc:
        log.exception("regrade preview of %s failed", preview.sheet)
        preview.state, preview.message = "failed", f"{type(exc).__name__}: {exc}"


@router.post("/ta/regrade-preview")
def start_preview(sheet: Annotated[str, Query()], user: PageWriter, state: State) -> Response:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    with state.db.session() as session:
        subs = list_submissions(session, user, sheet=chosen_sheet.name)
        chosen = counted_results(subs, chosen_sheet)
        seen = {sub.id: len(sub.results) for sub, _ in chosen.values()}
    with _STAFF_LOCK:
        running = _previews(state).get(chosen_sheet.name)
        if running is None or running.state != "running":
            preview = RegradePreview(sheet=chosen_sheet.name, seen=seen)
            _previews(state)[chosen_sheet.name] = preview
            threading.Thread(target=_run, args=(state, preview, list(chosen.values())), daemon=True,
                             name=f"regrade-preview-{chosen_sheet.name}").start()
    return RedirectResponse(f"{state.prefix}ta/regrade-preview/{chosen_sheet.name}", status_code=303)


@router.get("/ta/regrade-preview/{sheet}")
def preview_page(sheet: str, user: PageUser, state: State) -> HTMLResponse:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    preview = _previews(state).get(chosen_sheet.name)
    if preview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No regrade preview of {chosen_sheet.name} yet.")
    current = preview.state  # read once: the preview's thread or an apply may change it meanwhile
    if current in ("running", "failed"):
        return HTMLResponse(render("service/regrade_running.html", running=current == "running",
                                   graded=len(preview.diff.totals), message=preview.message))
    context = diff_context(preview.diff, title=f"Regrade of {chosen_sheet.name}: preview", applied=current == "applied")
    return HTMLResponse(render("service/regrade_preview.html", **context, preview_state=current,
                               prefix=state.prefix, sheet=chosen_sheet.name, user=user, count=len(preview.new)))


@router.post("/ta/regrade-apply")
def apply_preview(sheet: Annotated[str, Query()], user: PageWriter, state: State) -> Response:
    require_ta(user)
    chosen_sheet = sheet_or_404(state, sheet)
    with _STAFF_LOCK:
        preview = _previews(state).get(chosen_sheet.name)
        if preview is None or preview.state != "done":
            raise HTTPException(status.HTTP_409_CONFLICT, "No finished regrade preview to apply; preview first.")
        from autograder.service.models import Submission

        with state.db.session.begin() as session:
            for submission_id, result in preview.new.items():
                sub = session.get_one(Submission, submission_id)
                if len(sub.results) != preview.seen.get(submission_id):
                    continue  # graded again since the preview: that result stands
                job = Job(submission_id=submission_id, reason="regrade", requested_by=user.name, state="done",
                          attempts=1, started_at=utcnow(), finished_at=utcnow())
                session.add(job)
                session.flush()
                session.add(Result(submission_id=submission_id, job_id=job.id, score=result.score,
                                   late_penalty=result.late_penalty, final_score=result.final_score,
                                   max_score=result.max_score, gradable=result.gradable,
                                   data=result.model_dump(mode="json")))
        preview.state = "applied"
    return RedirectResponse(f"{state.prefix}ta/regrade-preview/{chosen_sheet.name}", status_code=303)
