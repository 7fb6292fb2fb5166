"""The service shows students the same feedback as the export, under the same visibility rule.

One grader result with a check of each visibility value is graded for four sheets (before the
deadline, after it, published, no deadline); the student's API view, the student's page, the
submission page and the notebook client must show exactly the checks :func:`shown` allows, show
the points of the others, and carry the very fragment :func:`feedback_fragment` renders.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from svc_support import PREFIX, Service, auth, make_config

from autograder.core.results import CaseResult, SubmissionResult
from autograder.core.visibility import VISIBILITIES, shown
from autograder.outputs.feedback import FeedbackContext, feedback_fragment
from autograder.service.models import Result
from autograder.student import client


class VisibilityGrader:
    """Every submission gets one failed check per visibility value, with its own message."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def grade_file(self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime) -> SubmissionResult:
        cases = tuple(
            CaseResult(name=f"test_{value}", number="3.2.2", score=0.0, max_score=float(k + 1),
                       status="failed", output=f"message-{value}", visibility=value,  # type: ignore[arg-type]
                       staff_output=f"TRACEBACK-{value}", nodeid=f"t.py::test_{value}")
            for k, value in enumerate(VISIBILITIES))
        return SubmissionResult(student_id=student_id, sheet=sheet, submission=path.name, score=0,
                                max_score=100, tests=cases, submitted_at=submitted_at,
                                extra_data={"sandbox_uid": 61000, "hidden_dir": "/srv/course/tests/hidden"})

    def close(self) -> None:
        pass


def _config(root: Path) -> Any:
    config = make_config(root)
    base = config.sheets["sheet_3_2"]
    extra = {"sheet_pub": base.model_copy(update={"name": "sheet_pub", "published": True}),
             "sheet_open": base.model_copy(update={"name": "sheet_open", "deadline": None})}
    return config.model_copy(update={"sheets": {**config.sheets, **extra}})


def test_every_student_view_follows_the_one_rule(make_service, tmp_path: Path) -> None:
    service: Service = make_service(config=_config(tmp_path), grader_factory=VisibilityGrader)
    for sheet_name in ("sheet_3_2", "sheet_late", "sheet_pub", "sheet_open"):
        sheet = service.config.sheet(sheet_name)
        sub = service.submit("alice", sheet=sheet_name).json()["id"]
        view = service.wait("alice", sub)
        result = view["result"]
        now = dt.datetime.now(dt.UTC)
        seen = {value for value in VISIBILITIES if shown(value, sheet, now=now)}
        page = service.get("alice", "").text
        details = page.split(f'<details class="feedback" data-id="{sub}"', 1)[1].split(
            '<details class="feedback"', 1)[0]  # the newest is listed first
        single = service.get("alice", f"submissions/{sub}").text
        in_kernel = client.result_html(view)
        for value in VISIBILITIES:
            for where, text in (("api", str(result)), ("page", details), ("submission page", single),
                                ("client", in_kernel), ("client text", client.result_text(view).replace("\\_", "_"))):
                assert (f"message-{value}" in text) is (value in seen), (sheet_name, value, where)
                assert "TRACEBACK" not in text and "61000" not in text and "/srv/course" not in text
        hidden = 4 - len(seen)
        assert f"{hidden} hidden check(s)" in details if hidden else "hidden check" not in details
        assert sum(t["max_score"] for t in result["tests"]) == 10  # hidden checks keep their points
        with service.app.state.service.db.session() as session:
            stored = SubmissionResult.model_validate(
                session.query(Result).filter_by(submission_id=sub).one().data)
        context = FeedbackContext(sheet=sheet, now=now)
        assert result["feedback_html"] == feedback_fragment(stored, context)
        assert result["feedback_html"] in details and result["feedback_html"] in single
    staff = service.client.get(PREFIX + "submissions/1", headers=auth("tara")).text
    assert "TRACEBACK-hidden" in staff and "message-hidden" in staff  # staff see everything


def test_the_staff_class_table_keeps_the_regrade_button_in_view(make_service) -> None:
    service: Service = make_service()
    for name in ("s01", "s02"):
        service.wait(name, service.submit(name).json()["id"])
    page = service.get("tara", "ta?sheet=sheet_3_2").text
    table = page.split('<div class="table-scroll"><table id="class-table">', 1)[1].split("</table></div>", 1)[0]
    row = table.split('<tr class="student" data-student="s01">', 1)[1].split("</tr>", 1)[0]
    # the action sits next to the name, before the eight exercise columns (which may scroll)
    assert row.index('form class="inline regrade"') < row.index('class="num"')
