"""The TA page's similarity run: staff start it for a sheet over the counted submissions, then read its pages.

``POST ta/similarity?sheet=S`` (staff, XSRF-checked) starts :func:`autograder.similarity.run_similarity`
as a background job over each student's counted submission (ids are hub user names, as in the
service's grades) into ``<data_dir>/similarity/<sheet>/`` and redirects to
``GET ta/similarity/<sheet>/status``: a page that refreshes itself while the job runs (JSON for a
client that asks with ``Accept: application/json``) and links to ``index.html`` when it is done.
The run never happens inside the request: a class's worth of lexing takes CPU seconds, and a request
held that long (under a lock) would tie up the staff member's connection and the server's threads.
One job per sheet at a time, and one run at a time for the whole service. ``GET
ta/similarity/<sheet>/index.html`` serves only the pages a run wrote, to staff only, with a policy
that lets no script run. Whatever a run raises is the job's "failed" status with the reason, never
a reset connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from autograder.core.errors import AutograderError
from autograder.pages import render
from autograder.service.security import PageUser, PageWriter, require_ta
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)

log = logging.getLogger("autograder.service")
router = APIRouter(include_in_schema=False)
PAGE = re.compile(r"index\.html|pairs/\d{4}\.html")
_ONE_RUN = threading.Lock()  # runs queue up: two at once would only share the same two CPU cores
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
REFRESH_S = 2


@dataclass
class SimilarityJob:
    """One background run for one sheet: ``queued``, ``running``, ``done`` or ``failed`` (with why)."""

    sheet: str
    state: str = "queued"
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    message: str = ""
    flagged: int = 0

    def as_dict(self, prefix: str) -> dict[str, Any]:
        return {"sheet": self.sheet, "state": self.state, "message": self.message, "flagged": self.flagged,
                "started": self.started.isoformat() if self.started else None,
                "finished": self.finished.isoformat() if self.finished else None,
                "index": f"{prefix}ta/similarity/{self.sheet}/index.html" if self.state == "done" else None}


def similarity_dir(state: ServiceState, sheet: str) -> Path:
    return state.data_dir / "similarity" / sheet


def _run(job: SimilarityJob, *, notebook: Path, files: dict[str, Path], out: Path, max_bytes: int,
         title: str) -> None:
    from autograder.similarity import run_similarity  # copydetect: imported only when staff use it

    with _ONE_RUN:
        job.state, job.started = "running", dt.datetime.now(dt.UTC)
        try:
            run = run_similarity(notebook=notebook, submissions=files, out=out, max_bytes=max_bytes,
                                 sheet=job.sheet, title=title)
            job.flagged = len(run.flagged)
            job.message = f"{len(run.compared)} submission(s) compared, {len(run.flagged)} pair(s) flagged"
            job.state = "done"
        except AutograderError as exc:
            job.state, job.message = "failed", f"The similarity run failed: {exc}"
        except Exception as exc:  # any input that still breaks a run is a status, not a crash
            log.exception("similarity run for %s failed", job.sheet)
            job.state = "failed"
            job.message = (f"The similarity run failed ({type(exc).__name__}); the service log has the "
                           "details. The other pages are unaffected.")
        finally:
            job.finished = dt.datetime.now(dt.UTC)


@router.post("/ta/similarity")
def run_similarity_form(sheet: Annotated[str, Query()], user: PageWriter, state: State) -> Response:
    from autograder.core.errors import ConfigError
    from autograder.similarity.extract import Boilerplate

    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    status_url = f"{state.prefix}ta/similarity/{chosen.name}/status"
    notebook = state.config.resolve(chosen.assignment_dir) / chosen.notebook
    try:
        Boilerplate.from_notebook(notebook)  # a wrong config is said now, not in a status later
    except ConfigError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"The similarity run failed: {exc}") from None
    with state.similarity_lock:
        current = state.similarity_jobs.get(chosen.name)
        if current is not None and current.state in ("queued", "running"):
            return RedirectResponse(status_url, status_code=303)  # one at a time: show the running one
        with state.db.session() as session:
            counted = counted_results(list_submissions(session, user, sheet=chosen.name), chosen)
            files = {student: state.data_dir / sub.path for student, (sub, _) in counted.items()}
        job = SimilarityJob(chosen.name)
        state.similarity_jobs[chosen.name] = job
    threading.Thread(target=_run, name=f"similarity-{chosen.name}", daemon=True, kwargs={
        "job": job, "notebook": notebook, "files": files, "out": similarity_dir(state, chosen.name),
        "max_bytes": state.config.limits.max_submission_mb << 20,
        "title": f"Similarity: {chosen.title or chosen.name}"}).start()
    return RedirectResponse(status_url, status_code=303)


@router.get("/ta/similarity/{sheet}/status")
def similarity_status(sheet: str, request: Request, user: PageUser, state: State) -> Response:
    """The sheet's latest run: JSON for clients, else a page that refreshes itself until it is done."""
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    job = state.similarity_jobs.get(chosen.name)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "No similarity run since the service started: start one from the staff page.")
    data = job.as_dict(state.prefix)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(data, headers={"Cache-Control": "no-store"})
    busy = job.state in ("queued", "running")
    body = render("service/similarity_status.html", busy=busy, refresh=REFRESH_S, sheet=chosen.name,
                  job_state=job.state, message=job.message, index=data["index"])
    return HTMLResponse(body, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})


@router.get("/ta/similarity/{sheet}/{page:path}")
def similarity_page(sheet: str, page: str, user: PageUser, state: State) -> Response:
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    path = similarity_dir(state, chosen.name) / page
    if not PAGE.fullmatch(page) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "No such similarity page: run the similarity check from the staff page first.")
    return HTMLResponse(path.read_text(encoding="utf-8", errors="replace"),
                        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})
