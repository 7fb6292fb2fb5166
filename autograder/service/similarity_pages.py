"""The TA page's similarity run: staff run it for a sheet over the counted submissions, then read its pages.

``POST ta/similarity?sheet=S`` (staff, XSRF-checked) runs :func:`autograder.similarity.run_similarity`
over each student's counted submission (ids are hub user names, as in the service's grades) into
``<data_dir>/similarity/<sheet>/`` and redirects to ``GET ta/similarity/<sheet>/index.html``, which
serves only the pages that run wrote, to staff only, with a policy that lets no script run.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from autograder.errors import AutograderError
from autograder.service.security import PageUser, PageWriter, require_ta
from autograder.service.store import (
    ServiceState,
    State,
    counted_results,
    list_submissions,
    sheet_or_404,
)

router = APIRouter(include_in_schema=False)
PAGE = re.compile(r"index\.html|pairs/\d{4}\.html")
_ONE_RUN = threading.Lock()  # two staff clicking at once must not write one folder together
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def similarity_dir(state: ServiceState, sheet: str) -> Path:
    return state.data_dir / "similarity" / sheet


@router.post("/ta/similarity")
def run_similarity_form(sheet: Annotated[str, Query()], user: PageWriter, state: State) -> Response:
    from autograder.similarity import run_similarity  # copydetect: imported only when staff use it

    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    with state.db.session() as session:
        counted = counted_results(list_submissions(session, user, sheet=chosen.name), chosen)
        files = {student: state.data_dir / sub.path for student, (sub, _) in counted.items()}
    try:
        with _ONE_RUN:
            run_similarity(notebook=state.config.resolve(chosen.assignment_dir) / chosen.notebook,
                           submissions=files, out=similarity_dir(state, chosen.name),
                           max_bytes=state.config.limits.max_submission_mb << 20, sheet=chosen.name,
                           title=f"Similarity: {chosen.title or chosen.name}")
    except AutograderError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"The similarity run failed: {exc}") from None
    return RedirectResponse(f"{state.prefix}ta/similarity/{chosen.name}/index.html", status_code=303)


@router.get("/ta/similarity/{sheet}/{page:path}")
def similarity_page(sheet: str, page: str, user: PageUser, state: State) -> Response:
    require_ta(user)
    chosen = sheet_or_404(state, sheet)
    path = similarity_dir(state, chosen.name) / page
    if not PAGE.fullmatch(page) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "No such similarity page: run the similarity check from the staff page first.")
    return HTMLResponse(path.read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})
