"""Regrade all from the staff page: a preview (the diff, nothing stored), then apply (new results, the
old ones kept); an adjustment survives it; students get 403."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from svc_fakes import FakeGrader
from svc_support import Service, notebook_bytes, wait_for

from autograder.core.results import SubmissionResult
from autograder.service.regrade_pages import RegradePreview


class StricterLater(FakeGrader):
    """Once ``stricter`` is set, a file marked ``sloppy`` fails exercise 3.2.2 (a hidden test fixed)."""

    stricter = False

    def grade_file(self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime) -> SubmissionResult:
        result = super().grade_file(sheet=sheet, path=path, student_id=student_id, submitted_at=submitted_at)
        if not (self.stricter and b"sloppy" in Path(path).read_bytes()):
            return result
        tests = tuple(t.model_copy(update={"score": 0.0, "status": "failed"}) if t.number == "3.2.2" else t
                      for t in result.tests)
        return result.model_copy(update={"tests": tests, "score": sum(t.score for t in tests)})


def test_preview_then_apply(make_service) -> None:
    service: Service = make_service(grader_factory=StricterLater)
    ids = {}
    for student, marker in (("s01", "sloppy"), ("s02", "sloppy"), ("s03", "")):
        ids[student] = service.submit(student, notebook_bytes(marker)).json()["id"]
        assert service.wait(student, ids[student])["result"]["score"] == 100
    assert service.post("tara", "ta/adjust?sheet=sheet_3_2", data={
        "student": "s02", "exercise": "3.2.2", "points": "14", "reason": "fine for this sheet"},
        follow_redirects=False).status_code == 303
    service.grader.stricter = True
    assert service.post("s01", "ta/regrade-preview?sheet=sheet_3_2").status_code == 403
    started = service.post("tara", "ta/regrade-preview?sheet=sheet_3_2", follow_redirects=False)
    assert started.status_code == 303
    page = wait_for(lambda: (p := service.get("tara", "ta/regrade-preview/sheet_3_2").text)
                    and 'id="preview-state">done' in p and p)
    assert "1 student changes: 0 up, 1 down; 1 with changed tests but the same final" in page
    assert "adjustment kept" in page and "s01" in page
    assert service.get("s01", f"api/submissions/{ids['s01']}").json()["result"]["score"] == 100  # nothing stored
    assert service.results_of(ids["s01"]) == 1
    assert service.post("s01", "ta/regrade-apply?sheet=sheet_3_2").status_code == 403
    applied = service.post("tara", "ta/regrade-apply?sheet=sheet_3_2", follow_redirects=False)
    assert applied.status_code == 303
    assert service.get("s01", f"api/submissions/{ids['s01']}").json()["result"]["score"] == 86
    assert service.get("s02", f"api/submissions/{ids['s02']}").json()["result"]["score"] == 100  # adjustment kept
    assert service.results_of(ids["s01"]) == 2  # the old result is still there
    assert service.post("tara", "ta/regrade-apply?sheet=sheet_3_2").status_code == 409  # applied once only


class FinishingAsItIsRead(RegradePreview):
    """A preview whose run finishes between two reads of its state (its thread sets it at any moment)."""

    reads = 0

    @property  # type: ignore[override]
    def state(self) -> str:
        self.reads += 1
        return "running" if self.reads == 1 else "done"

    @state.setter
    def state(self, value: str) -> None:
        pass


def test_the_preview_page_reads_the_state_once(make_service) -> None:
    service: Service = make_service()
    service.app.state.service.regrade_previews["sheet_3_2"] = FinishingAsItIsRead(sheet="sheet_3_2")
    page = service.get("tara", "ta/regrade-preview/sheet_3_2").text
    assert '<p id="preview-state">running: 0 graded so far</p>' in page
