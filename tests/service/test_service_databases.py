"""The same service on SQLite and on a real PostgreSQL server: the core flow, and load."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from svc_fakes import FakeGrader
from svc_support import (
    PREFIX,
    LiveServer,
    auth,
    hub_environment,
    make_config,
    notebook_bytes,
    wait_for,
)

from autograder.service.app import create_app
from autograder.service.models import Result


def test_core_flow(make_service, db_url: str) -> None:
    service = make_service(database_url=db_url, submissions_per_hour=3)
    first = service.submit("alice", notebook_bytes("bug:3.2.2")).json()
    late = service.submit("alice", sheet="sheet_late").json()
    assert late["late"] is True and late["days_late"] == 3
    assert service.wait("alice", first["id"])["result"]["score"] == 86
    assert service.wait("alice", late["id"])["result"]["late_penalty"] == 30
    assert service.submit("alice").status_code == 202
    assert service.submit("alice").status_code == 429
    assert service.get("bob", f"api/submissions/{first['id']}").status_code == 403
    assert service.post("tara", f"api/submissions/{first['id']}/regrade").status_code == 202
    service.wait("tara", first["id"], results=2)
    exported = service.get("tara", "api/grades.csv", params={"sheet": "sheet_late"}).text
    (row,) = csv.DictReader(io.StringIO(exported))
    assert row["student_id"] == "alice" and row["late_penalty"] == "30" and row["final"] == "70"


def test_twenty_concurrent_submissions_are_all_graded(tmp_path: Path, fake_hub, db_url: str) -> None:
    config = make_config(tmp_path, database_url=db_url, workers=2)
    graders: list[FakeGrader] = []

    def factory(cfg):
        graders.append(FakeGrader(cfg, delay=0.05))
        return graders[-1]

    app = create_app(config, factory, environment=hub_environment(fake_hub.url))
    students = [f"s{k:02d}" for k in range(1, 21)]
    with LiveServer(app) as server:
        url = server.url + PREFIX

        def submit(student: str) -> httpx.Response:
            return httpx.post(url + "api/submissions", headers=auth(student), timeout=60,
                              data={"sheet": "sheet_3_2"},
                              files={"file": ("nb.ipynb", notebook_bytes(student))})

        with ThreadPoolExecutor(len(students)) as pool:
            answers = list(pool.map(submit, students))
        assert [a.status_code for a in answers] == [202] * 20, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 20

        def all_graded() -> bool:
            views = httpx.get(url + "api/submissions", headers=auth("tara"), timeout=30).json()
            return len(views) == 20 and all(v["status"] == "done" and v["result"] for v in views)

        wait_for(all_graded, timeout=90, every=0.25)
        with app.state.service.db.session() as session:
            assert session.query(Result).count() == 20
    assert sorted(student for student, _ in graders[0].calls) == students
    assert graders[0].closed
