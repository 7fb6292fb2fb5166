"""Fixtures for the grading service: a fake hub (a real HTTP server), apps on temporary databases."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra")

sys.path.insert(0, str(Path(__file__).parent))

from fastapi.testclient import TestClient
from svc_fakehub import make_fake_hub
from svc_fakes import FakeGrader
from svc_support import API_TOKEN, LiveServer, Service, free_port, hub_environment, make_config

from autograder.core.config import CourseConfig
from autograder.service.app import create_app

PG_SH = Path(__file__).with_name("pg.sh")


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[LiveServer]:
    app = make_fake_hub(API_TOKEN)
    with LiveServer(app) as server:
        server.app = app  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def make_service(tmp_path: Path, fake_hub: LiveServer) -> Iterator[Callable[..., Service]]:
    stack = ExitStack()

    def make(*, config: CourseConfig | None = None, grader_factory: Any = None,
             delay: float = 0.0, **service_settings: Any) -> Service:
        config = config or make_config(tmp_path, **service_settings)
        graders: list[Any] = []

        def factory(cfg: CourseConfig) -> Any:
            grader = grader_factory(cfg) if grader_factory else FakeGrader(cfg, delay=delay)
            graders.append(grader)
            return grader

        app = create_app(config, factory, environment=hub_environment(fake_hub.url))
        client = stack.enter_context(TestClient(app))
        return Service(app=app, client=client, config=config, graders=graders)

    yield make
    stack.close()


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()


# --------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server started for this test session by pg.sh (skipped without one)."""
    pytest.importorskip("psycopg", reason="psycopg (the 'dev' extra) is needed for PostgreSQL")
    folder = tempfile.mkdtemp(prefix="autograder-pg-")
    started = subprocess.run(["bash", str(PG_SH), "start", folder, str(free_port())],
                             capture_output=True, text=True, timeout=180, check=False)
    if started.returncode == 3:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(started.stderr.strip())
    assert started.returncode == 0, f"PostgreSQL did not start: {started.stderr}"
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(PG_SH), "stop", folder], capture_output=True, timeout=60,
                       check=False)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_postgres_database(server_url: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The service's database URL: a SQLite file, or a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service' / 'autograder.db'}"
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))
