"""Helpers for the service tests: a course config, the hub environment, live servers."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import uvicorn
from fastapi.testclient import TestClient
from svc_fakehub import token_for

from autograder.core.config import CourseConfig, ServiceConfig, SheetConfig
from autograder.service.settings import HubEnvironment

API_TOKEN = "service-secret"
PREFIX = "/services/autograder/"
POINTS = {"3.2.1.1": 12, "3.2.1.2": 12, "3.2.1.3": 6, "3.2.2": 14, "mlm": 14, "utilities": 10,
          "3.2.3.1": 16, "3.2.3.2": 16}


def _sheet(name: str, **kwargs: Any) -> SheetConfig:
    return SheetConfig(
        name=name, assignment_dir=Path("assignments") / name, notebook=f"{name}.ipynb",
        reference_module=f"reference.{name}", hidden_dir=Path("tests/hidden") / name,
        points=POINTS, **kwargs,
    )


def make_config(root: Path, *, database_url: str | None = None, **service: Any) -> CourseConfig:
    """Three sheets: open (deadline next year), late (deadline 2 days 3 hours ago), in grace."""
    now = dt.datetime.now(dt.UTC)
    sheets = {
        "sheet_3_2": _sheet("sheet_3_2", title="Transformer configurations",
                            deadline=now + dt.timedelta(days=365), timezone="Europe/Berlin",
                            grace_minutes=15, late_penalty="per_day", late_penalty_per_day=0.1),
        "sheet_late": _sheet("sheet_late", deadline=now - dt.timedelta(days=2, hours=3),
                             grace_minutes=15, late_penalty="per_day", late_penalty_per_day=0.1),
        "sheet_grace": _sheet("sheet_grace", deadline=now - dt.timedelta(minutes=5),
                              grace_minutes=15, late_penalty="per_day", late_penalty_per_day=0.1),
    }
    settings: dict[str, Any] = {"name": "autograder", "data_dir": root / "service"}
    settings["database_url"] = database_url or f"sqlite:///{root / 'service' / 'autograder.db'}"
    settings.update(service)
    return CourseConfig(root=root, sheets=sheets, service=ServiceConfig(**settings))


def hub_environment(hub_url: str, *, hub_host: str = "", callback: str = "") -> HubEnvironment:
    environ = {
        "JUPYTERHUB_API_TOKEN": API_TOKEN,
        "JUPYTERHUB_API_URL": f"{hub_url}/hub/api",
        "JUPYTERHUB_SERVICE_NAME": "autograder",
        "JUPYTERHUB_SERVICE_PREFIX": "/services/autograder/",
        "JUPYTERHUB_CLIENT_ID": "service-autograder",
        "JUPYTERHUB_HOST": hub_host,
    }
    if callback:
        environ["JUPYTERHUB_OAUTH_CALLBACK_URL"] = callback
    return HubEnvironment.from_environ(environ, service_name="autograder")


def notebook_bytes(*markers: str) -> bytes:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": ["def cosine_lr(step, **kw):\n", f"    return 0.0  # {' '.join(markers)}\n"]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(every)


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread (lifespan included)."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), timeout=30)
        if not self.server.started:
            raise RuntimeError("uvicorn did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class HubProxy:
    """Route ``/hub/`` to the fake hub and everything else to the service, like JupyterHub's proxy."""

    def __init__(self, hub: Any, service: Any) -> None:
        self.hub = hub
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan" and scope.get("path", "").startswith("/hub/"):
            await self.hub(scope, receive, send)
        else:
            await self.service(scope, receive, send)


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"token {token_for(user)}"}


@dataclass
class Service:
    """A running app (lifespan entered) and helpers to act as hub users."""

    app: Any
    client: TestClient
    config: CourseConfig
    graders: list[Any] = field(default_factory=list)

    @property
    def grader(self) -> Any:
        return wait_for(lambda: self.graders and self.graders[0])

    def get(self, user: str, path: str, **kwargs: Any) -> Any:
        return self.client.get(PREFIX + path, headers=auth(user), **kwargs)

    def post(self, user: str, path: str, **kwargs: Any) -> Any:
        return self.client.post(PREFIX + path, headers=auth(user), **kwargs)

    def submit(self, user: str, data: bytes | None = None, *, sheet: str = "sheet_3_2",
               filename: str = "sheet_3_2.ipynb") -> Any:
        data = notebook_bytes() if data is None else data
        return self.post(user, "api/submissions", data={"sheet": sheet},
                         files={"file": (filename, data, "application/octet-stream")})

    def wait(self, user: str, submission_id: int, *, timeout: float = 20.0,
             results: int = 1) -> dict[str, Any]:
        def graded() -> dict[str, Any] | None:
            view = self.get(user, f"api/submissions/{submission_id}").json()
            done = view["status"] in ("done", "failed") and view["result"] is not None
            return view if done and self.results_of(submission_id) >= results else None
        return wait_for(graded, timeout=timeout)

    def results_of(self, submission_id: int) -> int:
        from autograder.service.models import Result

        with self.app.state.service.db.session() as session:
            return session.query(Result).filter_by(submission_id=submission_id).count()
