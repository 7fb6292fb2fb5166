"""The FastAPI application: wiring of settings, database, queue, authentication, API and pages.

All routes live under the service's prefix (``/services/<name>/``): JupyterHub's proxy forwards
the whole path. At start-up the tables are created if missing, jobs left running by a previous
process are requeued, and the grading workers start; at shutdown running jobs go back to the queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from autograder.core.config import CourseConfig
from autograder.service import (
    live_pages,
    pages,
    regrade_pages,
    routes,
    similarity_pages,
    staff_pages,
    written_pages,
)
from autograder.service.models import Database, database_url
from autograder.service.queue import GraderFactory, GradingWorkers, JobQueue, default_grader_factory
from autograder.service.security import HubAuthentication, LoginRequired
from autograder.service.settings import HubEnvironment
from autograder.service.store import ServiceState
from autograder.service.templates import environment as template_environment
from autograder.service.uploads import FORM_OVERHEAD, BodySizeLimit

log = logging.getLogger("autograder.service")


def cookie_secret(env: HubEnvironment, data_dir: Path) -> bytes:
    """``AUTOGRADER_COOKIE_SECRET`` if set, else a random secret kept in ``data_dir`` (mode 600)."""
    if env.cookie_secret:
        return env.cookie_secret.encode()
    path = data_dir / "cookie_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


async def _close_hub_client() -> None:
    """Close the aiohttp session HubOAuth opened on this event loop (avoids unclosed warnings)."""
    try:
        from jupyterhub.httpclient import JupyterHubHTTPClient

        await JupyterHubHTTPClient.loop_instance().close()
    except Exception:
        log.debug("closing the hub HTTP client failed", exc_info=True)


def create_app(
    config: CourseConfig,
    grader_factory: GraderFactory = default_grader_factory,
    *,
    environment: HubEnvironment | None = None,
    hub_auth: Any = None,
    start_workers: bool = True,
) -> FastAPI:
    """The service for ``config``.

    ``environment``: the hub's settings; read from ``os.environ`` now when not given.
    ``grader_factory``: builds the grading engine (tests pass fakes). ``hub_auth``: a HubOAuth-like
    object replacing the one made from ``environment`` (tests).
    """
    env = environment or HubEnvironment.from_environ(os.environ, service_name=config.service.name)
    data_dir = config.resolve(config.service.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(database_url(config.service.database_url, config.root))
    auth = HubAuthentication(env, ta_groups=config.service.ta_groups,
                             cookie_secret=cookie_secret(env, data_dir), hub_auth=hub_auth)
    queue = JobQueue(db, config, data_dir)
    workers = GradingWorkers(queue, grader_factory, threads=config.service.workers)
    state = ServiceState(config=config, db=db, queue=queue, workers=workers, auth=auth,
                         data_dir=data_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        db.create_all()
        queue.recover()
        if start_workers:
            workers.start()
        log.info("grading service for %s ready at %s", config.course, env.service_prefix)
        try:
            yield
        finally:
            await asyncio.to_thread(workers.stop)
            await _close_hub_client()
            db.dispose()

    prefix = env.service_prefix
    app = FastAPI(
        title=f"{config.course}: grading service", lifespan=lifespan, redoc_url=None,
        docs_url=f"{prefix}api/docs", openapi_url=f"{prefix}api/openapi.json",
    )
    app.state.service = state
    # Every body is capped as it streams; uploads also stop at max_upload_mb (service.uploads).
    app.add_middleware(BodySizeLimit,
                       limit=config.service.max_upload_mb * 1024 * 1024 + 2 * FORM_OVERHEAD)
    app.state.templates = template_environment()
    app.include_router(routes.router, prefix=prefix.rstrip("/"))
    app.include_router(pages.router, prefix=prefix.rstrip("/"))
    app.include_router(similarity_pages.router, prefix=prefix.rstrip("/"))  # staff: docs/similarity.md
    app.include_router(staff_pages.router, prefix=prefix.rstrip("/"))  # staff adjustments: docs/term.md
    app.include_router(regrade_pages.router, prefix=prefix.rstrip("/"))  # regrade all: preview, apply
    app.include_router(live_pages.router, prefix=prefix.rstrip("/"))  # staff: running jobs, TA report
    app.include_router(written_pages.router, prefix=prefix.rstrip("/"))  # staff: docs/written-answers.md

    @app.get(f"{prefix}health", include_in_schema=False)
    def health() -> dict[str, Any]:
        grader = ("failed" if workers.grader_failed
                  else "ready" if workers.grader is not None else "starting")
        return {"ok": not workers.grader_failed, "grader": grader, "busy": workers.busy}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return auth.login_redirect(request, exc.next_url)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if wants_html and not request.url.path.startswith(f"{prefix}api/"):
            return pages.render(request, "error.html", user=None, detail=exc.detail,
                                status_code=exc.status_code)
        return await http_exception_handler(request, exc)

    return app

