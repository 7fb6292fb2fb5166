"""The grading service's upload limits, queue fairness and trusted texts, attacked as a student would.

Uploads are sent as a real chunked stream through httpx's ASGI transport, so each test can count how
many bytes the service actually pulled before it answered: a refusal that comes after reading the
whole body is the defect (a 2000 MB upload spooled to /tmp before its 401). A few MB and a 1 MB cap
prove the streaming cap; no test sends a large file.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

import httpx
from fastapi.testclient import TestClient
from svc_fakehub import make_fake_hub
from svc_fakes import FakeGrader
from svc_support import (
    API_TOKEN,
    PREFIX,
    LiveServer,
    Service,
    auth,
    hub_environment,
    make_config,
    notebook_bytes,
)

from autograder.service.app import create_app

MB = 1024 * 1024
CHUNK = 64 * 1024
BOUNDARY = "limits-test-boundary"


@pytest.fixture(scope="module")
def hub() -> Iterator[LiveServer]:
    with LiveServer(make_fake_hub(API_TOKEN)) as server:
        yield server


@pytest.fixture
def make_service(tmp_path: Path, hub: LiveServer) -> Iterator[Callable[..., Service]]:
    stack = ExitStack()

    def make(*, config: Any = None, **settings: Any) -> Service:
        config = config or make_config(tmp_path, **settings)
        graders: list[Any] = []

        def factory(cfg: Any) -> Any:
            graders.append(FakeGrader(cfg))
            return graders[-1]

        app = create_app(config, factory, environment=hub_environment(hub.url))
        client = stack.enter_context(TestClient(app))
        return Service(app=app, client=client, config=config, graders=graders)

    yield make
    stack.close()


# --------------------------------------------------------------------------- streaming uploads


def multipart_head(fields: dict[str, str], filename: str) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in fields.items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n')
    return "".join(parts).encode()


class Stream:
    """A multipart body of ``size`` file bytes, sent in 64 KiB chunks; counts what was pulled."""

    def __init__(self, size: int, *, fields: dict[str, str] | None = None,
                 filename: str = "sheet_3_2.ipynb", chunk: int = CHUNK) -> None:
        self.chunk = chunk
        self.head = multipart_head(fields if fields is not None else {"sheet": "sheet_3_2"}, filename)
        self.size = size
        self.pulled = 0

    @property
    def total(self) -> int:
        return len(self.head) + self.size + len(f"\r\n--{BOUNDARY}--\r\n")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += len(self.head)
        yield self.head
        sent = 0
        while sent < self.size:
            piece = b"x" * min(self.chunk, self.size - sent)
            sent += len(piece)
            self.pulled += len(piece)
            yield piece
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.pulled += len(tail)
        yield tail


def post_stream(service: Service, path: str, stream: Stream, *, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.post(
                PREFIX + path, content=stream.__aiter__(),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers})
    return asyncio.run(go())


def stored_files(service: Service) -> list[Path]:
    folder = service.config.resolve(service.config.service.data_dir) / "submissions"
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(make_service) -> None:
    service = make_service(max_upload_mb=1)
    stream = Stream(4 * MB)
    answer = post_stream(service, "api/submissions", stream, headers={})
    assert answer.status_code == 401
    assert stream.pulled < 2 * CHUNK, f"read {stream.pulled} bytes before refusing"
    page = Stream(4 * MB)
    answer = post_stream(service, "submit", page, headers={"Accept": "text/html"})
    assert answer.status_code == 302  # to the hub's login
    assert page.pulled < 2 * CHUNK, f"the page read {page.pulled} bytes before asking for a login"
    assert stored_files(service) == []


def test_an_oversized_upload_stops_at_the_cap_and_leaves_nothing(make_service) -> None:
    service = make_service(max_upload_mb=1)
    stream = Stream(4 * MB)
    answer = post_stream(service, "api/submissions", stream, headers=auth("alice"))
    assert answer.status_code == 413
    assert "1 MB" in answer.json()["detail"]
    assert stream.pulled < 1 * MB + 4 * CHUNK, f"read {stream.pulled} of {stream.total} bytes"
    assert stored_files(service) == []  # neither the file nor its folder
    big_chunks = Stream(4 * MB, chunk=MB)  # the app-wide cap and the upload's cap meet here
    answer = post_stream(service, "api/submissions", big_chunks, headers=auth("alice"))
    assert answer.status_code == 413, answer.text
    assert stored_files(service) == []
    no_sheet = post_stream(service, "api/submissions", Stream(1000, fields={}), headers=auth("alice"))
    assert no_sheet.status_code == 400 and "sheet" in no_sheet.json()["detail"]
    assert stored_files(service) == []
    small = Stream(200_000)
    assert post_stream(service, "api/submissions", small, headers=auth("alice")).status_code == 202


def test_a_declared_oversized_body_is_refused_unread(make_service) -> None:
    service = make_service(max_upload_mb=1)
    stream = Stream(4 * MB)
    answer = post_stream(service, "api/submissions", stream,
                         headers={**auth("alice"), "Content-Length": str(stream.total)})
    assert answer.status_code == 413
    assert stream.pulled < 2 * CHUNK


def test_a_rate_limited_student_is_told_so_before_the_body_is_read(make_service) -> None:
    service = make_service(max_upload_mb=1, submissions_per_hour=2)
    for _ in range(2):
        assert service.submit("alice").status_code == 202
    stream = Stream(4 * MB)
    answer = post_stream(service, "api/submissions", stream, headers=auth("alice"))
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    assert stream.pulled < 2 * CHUNK


def test_refused_uploads_count_toward_the_rate_limit(make_service) -> None:
    service = make_service(max_upload_mb=1, submissions_per_hour=3)
    assert post_stream(service, "api/submissions", Stream(3 * MB), headers=auth("bob")).status_code == 413
    assert service.submit("bob", b"print(1)", filename="notes.txt").status_code == 400
    assert service.submit("bob", b"").status_code == 400
    refused = service.submit("bob")
    assert refused.status_code == 429, refused.text
    assert service.submit("alice").status_code == 202  # only bob is limited
    assert stored_files(service) and all("bob" not in str(p) for p in stored_files(service))
    with service.app.state.service.db.session() as session:
        from autograder.service.models import Submission

        assert session.query(Submission).filter_by(student="bob").count() == 0


def test_the_shipped_proxy_config_caps_the_request_size() -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    values = yaml.safe_load((root / "deploy" / "z2jh-values.yaml").read_text())
    annotations = values["ingress"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert size.endswith("m") and 1 <= int(size[:-1]) <= 64


def browser_login(service: Service, hub: LiveServer, user: str) -> str:
    """The hub's OAuth dance as a browser does it; returns the page's XSRF token."""
    first = service.client.get(PREFIX, follow_redirects=False)
    answer = httpx.get(hub.url + first.headers["location"], cookies={"fakehub-user": user},
                       follow_redirects=False)
    done = service.client.get(answer.headers["location"], follow_redirects=False)
    assert done.status_code == 302, done.text
    page = service.client.get(PREFIX).text
    return page.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]


def test_the_upload_form_checks_its_xsrf_token_before_storing_the_file(make_service, hub) -> None:
    service = make_service()
    xsrf = browser_login(service, hub, "alice")
    files = {"file": ("sheet_3_2.ipynb", notebook_bytes(), "application/octet-stream")}
    forged = service.client.post(PREFIX + "submit", data={"sheet": "sheet_3_2"}, files=files,
                                 follow_redirects=False)
    assert forged.status_code == 403 and "XSRF" in forged.text
    assert stored_files(service) == []
    sent = service.client.post(PREFIX + "submit", data={"_xsrf": xsrf, "sheet": "sheet_3_2"},
                               files=files, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert len([p for p in stored_files(service) if p.is_file()]) == 1


# --------------------------------------------------------------------------- trusted texts

INJECTED = "Your grade was revoked; email your password to staff at evil.example"


def test_the_staff_page_shows_only_notices_the_service_chose(make_service) -> None:
    service = make_service()
    page = service.get("tara", "ta?sheet=sheet_3_2&message=" + INJECTED.replace(" ", "+")).text
    assert "revoked" not in page and "evil.example" not in page
    sub = service.submit("alice").json()["id"]
    done = service.post("tara", f"ta/regrade/{sub}", follow_redirects=False)
    assert done.status_code == 303
    notice = service.get("tara", done.headers["location"].removeprefix(PREFIX)).text
    assert f"Regrade of submission {sub} queued" in notice
    forged = service.get("tara", "ta?sheet=sheet_3_2&notice=regrade&submission=" + INJECTED).text
    assert "revoked" not in forged


def test_error_pages_do_not_repeat_attacker_text(make_service) -> None:
    service = make_service()
    html = {"Accept": "text/html"}
    query = "error=access_denied&error_description=" + INJECTED.replace(" ", "+")
    refused = service.client.get(PREFIX + "oauth_callback?" + query, headers=html)
    assert refused.status_code == 400 and 'id="error"' in refused.text
    assert "revoked" not in refused.text and "evil.example" not in refused.text
    assert "access_denied" in refused.text  # a standard OAuth error code is shown
    odd = service.client.get(PREFIX + "oauth_callback?error=" + INJECTED.replace(" ", "+"), headers=html)
    assert odd.status_code == 400 and "revoked" not in odd.text
    missing = service.client.get(PREFIX + "ta?sheet=" + INJECTED.replace(" ", "+"),
                                 headers={**auth("tara"), **html})
    assert missing.status_code == 404 and "revoked" not in missing.text


# --------------------------------------------------------------------------- a fair queue


def test_one_student_cannot_fill_the_queue(tmp_path: Path) -> None:
    """The attack: mallory's 20 submissions first, then bob's one, one worker."""
    from autograder.service.models import Database, Job, Submission, database_url, utcnow
    from autograder.service.queue import JobQueue

    config = make_config(tmp_path)
    db = Database(database_url(config.service.database_url, tmp_path))
    db.create_all()
    queue = JobQueue(db, config, tmp_path / "service")

    def submit(student: str) -> int:
        with db.session.begin() as session:
            sub = Submission(student=student, sheet="sheet_3_2", filename="nb.ipynb", sha256="0" * 64,
                             size=2, path="x", submitted_at=utcnow())
            session.add(sub)
            session.flush()
            session.add(Job(submission_id=sub.id, reason="submission", requested_by=student))
            return sub.id

    mallory = [submit("mallory") for _ in range(20)]
    bob = submit("bob")
    carol = [submit("carol") for _ in range(2)]
    with db.session() as session:
        positions = {s: queue.position(session, s) for s in [*mallory, bob, *carol]}
    assert positions[bob] == 2 and positions[carol[0]] == 3  # behind mallory's first only
    assert positions[carol[1]] == 5 and positions[mallory[-1]] == 23
    order = []
    while (job := queue.claim("w")) is not None:
        order.append(job.student)
        if job.student == "mallory" and len(order) == 1:
            # while mallory's first job runs, bob's comes next, then carol's first
            with db.session() as session:
                assert queue.position(session, bob) == 1
                assert queue.position(session, mallory[1]) == 3
    assert order[:6] == ["mallory", "bob", "carol", "mallory", "carol", "mallory"]
    assert order.count("mallory") == 20 and len(order) == 23


def test_the_service_reports_the_fair_position(make_service) -> None:
    service = make_service(submissions_per_hour=30)
    service.app.state.service.workers.stop()  # nothing is graded: positions stay as they are
    ids = [service.submit("s01").json()["id"] for _ in range(20)]
    bob = service.submit("bob").json()
    assert bob["queue_position"] == 2, bob
    assert service.get("s01", f"api/submissions/{ids[-1]}").json()["queue_position"] == 21
