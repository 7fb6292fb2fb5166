"""Staff grade written answers in the service: one question across all students, students refused."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from fastapi.testclient import TestClient
from svc_fakehub import make_fake_hub, token_for
from svc_fakes import FakeGrader
from svc_support import API_TOKEN, PREFIX, LiveServer, Service, hub_environment, make_config

from autograder.core.config import CourseConfig
from autograder.core.results import SubmissionResult
from autograder.core.submission import load_submission
from autograder.core.written_spec import RubricItem, WrittenQuestion
from autograder.grades.written import attach_answers
from autograder.service.app import create_app

QUESTION = WrittenQuestion(id="cosine-why", exercise="3.2.2", points=2, title="What cosine does", rubric=(
    RubricItem(id="schedule", points=1, text="describes warm-up and decay"),
    RubricItem(id="why", points=1, text="says why")))
HOSTILE = '<img src=x onerror="alert(1)"> warm-up then decay \ud800'


class AnswerGrader(FakeGrader):
    """The fake engine, plus the written answers extracted as the real worker does."""

    def grade_file(self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime) -> SubmissionResult:
        result = super().grade_file(sheet=sheet, path=path, student_id=student_id, submitted_at=submitted_at)
        loaded = load_submission(Path(path), max_bytes=1 << 20)
        return attach_answers(result, loaded, self.config.sheet(sheet))


def _notebook(answer: str) -> bytes:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": "x = 1"},
             {"cell_type": "markdown", "metadata": {"autograder": {"written": "cosine-why"}}, "source": answer}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    base = make_config(tmp_path)
    sheets = {name: base.sheets[name].model_copy(update={"written": (QUESTION,)}) for name in ("sheet_3_2", "sheet_late")}
    config = CourseConfig.model_validate({**base.model_dump(), "sheets": {**base.sheets, **sheets}})
    graders: list[object] = []

    def factory(cfg: CourseConfig) -> AnswerGrader:
        graders.append(AnswerGrader(cfg))
        return graders[-1]  # type: ignore[return-value]

    with LiveServer(make_fake_hub(API_TOKEN)) as hub:
        app = create_app(config, factory, environment=hub_environment(hub.url))
        with TestClient(app) as client:
            yield Service(app=app, client=client, config=config, graders=graders)  # type: ignore[arg-type]


def test_answers_round_trip_through_the_grading_page(service: Service) -> None:
    alice = service.wait("alice", service.submit("alice", _notebook(HOSTILE)).json()["id"])
    bob = service.wait("bob", service.submit("bob", _notebook("")).json()["id"])
    before = alice["result"]
    assert before["provisional"] is True and before["written"][0]["status"] == "awaiting staff"
    assert "awaiting staff" in before["feedback_html"] and "awaiting staff" in before["feedback_markdown"]
    assert before["score"] == 100 and before["max_score"] == 102  # the fake's tests, plus 0 of 2 written

    assert 'href="/services/autograder/ta/written/sheet_3_2"' in service.get("tara", "ta?sheet=sheet_3_2").text
    index = service.get("tara", "ta/written/sheet_3_2")
    assert index.status_code == 200 and "0 graded, 2 awaiting staff" in index.text
    page = service.get("tara", "ta/written/sheet_3_2/cosine-why")
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=" in page.text  # escaped
    assert "empty answer" in page.text and "describes warm-up and decay" in page.text

    form = {"student": "alice", "points": "", "rubric": ["schedule", "why"], "comment": "<b>well done</b>",
            "staff_note": "NOTE-STAFF-ONLY"}
    saved = service.post("tara", "ta/written/sheet_3_2/cosine-why", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    again = service.post("tara", "ta/written/sheet_3_2/cosine-why", data=form, follow_redirects=False)
    assert again.status_code == 303
    ledger = Path(service.config.service.data_dir) / "staff" / "sheet_3_2" / "written.jsonl"
    assert len(ledger.read_text().splitlines()) == 1  # the same mark twice is written once

    after = service.get("alice", f"api/submissions/{alice['id']}").json()["result"]
    assert after["score"] == 102 and after["provisional"] is False
    mark = after["written"][0]
    assert (mark["status"], mark["points"], mark["rubric"], mark["comment"]) == (
        "graded", 2.0, ["schedule", "why"], "<b>well done</b>")
    assert "NOTE-STAFF-ONLY" not in json.dumps(after)
    assert "&lt;b&gt;well done&lt;/b&gt;" in after["feedback_html"] and "says why" in after["feedback_html"]
    assert service.get("bob", f"api/submissions/{bob['id']}").json()["result"]["provisional"] is True
    staff = service.get("tara", f"api/submissions/{alice['id']}").json()["result"]
    assert staff["written"][0]["mark"]["staff_note"] == "NOTE-STAFF-ONLY"  # staff see their note


def test_marks_are_checked(service: Service) -> None:
    service.wait("alice", service.submit("alice", _notebook("an answer")).json()["id"])
    url = "ta/written/sheet_3_2/cosine-why"
    for form, said in (({"student": "alice", "points": "3"}, "[0, 2]"),
                       ({"student": "alice", "points": "nan"}, "[0, 2]"),
                       ({"student": "alice", "rubric": "made-up"}, "Unknown rubric"),
                       ({"student": "nobody", "points": "1"}, "No counted submission")):
        response = service.post("tara", url, data=form)
        assert response.status_code == 400 and said in response.text, (form, response.text)
    assert service.get("tara", "ta/written/sheet_3_2/nope").status_code == 404


def test_students_cannot_reach_the_grading_pages(service: Service) -> None:
    service.wait("alice", service.submit("alice", _notebook("mine")).json()["id"])
    for path in ("ta/written/sheet_3_2", "ta/written/sheet_3_2/cosine-why"):
        assert service.get("alice", path).status_code == 403
    forged = service.post("alice", "ta/written/sheet_3_2/cosine-why", data={"student": "alice", "points": "2"})
    assert forged.status_code == 403
    assert not (Path(service.config.service.data_dir) / "staff").exists()


def test_a_cookie_form_needs_the_xsrf_token(service: Service) -> None:
    service.wait("alice", service.submit("alice", _notebook("mine")).json()["id"])
    auth = service.app.state.service.auth
    token = token_for("tara")
    service.client.cookies.set(auth.cookie_name, auth._sign(auth.cookie_name, token), path=PREFIX)
    url = PREFIX + "ta/written/sheet_3_2/cosine-why"
    page = service.client.get(url)
    assert auth.xsrf_token(token) in page.text  # the form carries it
    forged = service.client.post(url, data={"student": "alice", "points": "2"}, follow_redirects=False)
    assert forged.status_code == 403 and "XSRF" in forged.text
    ok = service.client.post(url, data={"student": "alice", "points": "2", "_xsrf": auth.xsrf_token(token)},
                             follow_redirects=False)
    assert ok.status_code == 303


def test_the_late_fraction_applies_to_the_written_points(service: Service) -> None:
    late = service.wait("alice", service.submit("alice", _notebook("late"), sheet="sheet_late").json()["id"])
    assert (late["result"]["raw_score"], late["result"]["late_penalty"]) == (100, 30)  # 3 started days, 10% each
    saved = service.post("tara", "ta/written/sheet_late/cosine-why", data={"student": "alice", "points": "2"},
                         follow_redirects=False)
    assert saved.status_code == 303
    after = service.get("alice", f"api/submissions/{late['id']}").json()["result"]
    assert (after["late_penalty"], after["score"]) == (30.6, 71.4)
