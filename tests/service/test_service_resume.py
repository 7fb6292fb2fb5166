"""The service as the hub runs it (its own process, via ``serve()``): killed or stopped mid-job,
it loses nothing, and the next start grades the job again."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svc_support import API_TOKEN, PREFIX, auth, free_port, make_config, notebook_bytes, wait_for

from autograder.service.models import Database, Job, Submission, database_url

MAIN = Path(__file__).with_name("svc_main.py")


class ServiceProcess:
    def __init__(self, root: Path, hub_url: str, db_url: str, kind: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PREFIX}"
        env = dict(os.environ, JUPYTERHUB_API_TOKEN=API_TOKEN,
                   JUPYTERHUB_API_URL=f"{hub_url}/hub/api", JUPYTERHUB_SERVICE_NAME="autograder",
                   JUPYTERHUB_SERVICE_PREFIX=PREFIX)
        self.log = (root / f"service-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(MAIN), str(root), str(self.port), db_url, kind],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_for(self._up, timeout=60, every=0.2)

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the service exited with {self.process.returncode}")
        try:
            return httpx.get(self.url + "health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def submit(self, user: str, data: bytes) -> dict:
        answer = httpx.post(self.url + "api/submissions", headers=auth(user),
                            data={"sheet": "sheet_3_2"}, files={"file": ("nb.ipynb", data)})
        assert answer.status_code == 202, answer.text
        return answer.json()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def spawn(tmp_path: Path, fake_hub) -> Iterator:
    started: list[ServiceProcess] = []

    def spawn(db_url: str, kind: str = "hang") -> ServiceProcess:
        started.append(ServiceProcess(tmp_path, fake_hub.url, db_url, kind))
        return started[-1]

    yield spawn
    for process in started:
        process.close()


def _job(db_url: str, root: Path) -> Job:
    db = Database(database_url(db_url, root))
    try:
        with db.session() as session:
            return session.query(Job).one()
    finally:
        db.dispose()


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / 'service' / 'autograder.db'}"


def check_resume_after_kill(spawn, make_service, root: Path, db_url: str) -> None:
    service_process = spawn(db_url)
    data = notebook_bytes("bug:mlm")
    view = service_process.submit("alice", data)
    wait_for(lambda: (root / "grading-started").exists(), timeout=30)
    service_process.process.send_signal(signal.SIGKILL)
    service_process.process.wait()
    job = _job(db_url, root)
    assert (job.state, job.attempts) == ("running", 1)

    service = make_service(config=make_config(root, database_url=db_url))
    graded = service.wait("alice", view["id"])
    assert graded["status"] == "done" and graded["attempts"] == 2
    assert graded["result"]["score"] == 86 and service.results_of(view["id"]) == 1
    assert graded["sha256"] == hashlib.sha256(data).hexdigest()
    with service.app.state.service.db.session() as session:
        stored = session.query(Submission).one()
        assert hashlib.sha256((root / "service" / stored.path).read_bytes()).hexdigest() \
            == stored.sha256
    assert service.grader.calls == [("alice", "nb.ipynb")]


def test_a_killed_service_resumes_its_running_job(
    spawn, make_service, tmp_path: Path, db_url: str
) -> None:
    check_resume_after_kill(spawn, make_service, tmp_path, db_url)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_service_quickly_and_requeues(spawn, tmp_path: Path, signum) -> None:
    db_url = sqlite_url(tmp_path)
    service_process = spawn(db_url)
    service_process.submit("bob", notebook_bytes())
    wait_for(lambda: (tmp_path / "grading-started").exists(), timeout=30)
    began = time.monotonic()
    service_process.process.send_signal(signum)
    assert service_process.process.wait(timeout=20) == 0
    assert time.monotonic() - began < 10  # the hub sends SIGTERM 10 s after SIGINT
    job = _job(db_url, tmp_path)
    assert (job.state, job.attempts) == ("queued", 1)
