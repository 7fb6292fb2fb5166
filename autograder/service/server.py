"""``autograder serve``: run the app under uvicorn as a JupyterHub managed service.

The server is uvicorn's h11 protocol with read deadlines (:mod:`autograder.service.protocol`): headers
within 10 s, no 30 s pause in a body, the whole request within 300 s, idle keep-alive 5 s.

The hub stops a managed service with SIGINT, then SIGTERM, then SIGKILL. The first SIGINT or
SIGTERM starts a graceful stop: no new jobs are taken, running jobs go back to the queue, open
requests get a few seconds; a second signal exits at once. Either way nothing is lost: the next
start requeues whatever was left running.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from autograder.core.config import CourseConfig
from autograder.service.app import create_app
from autograder.service.protocol import DeadlineProtocol, ReadDeadlines
from autograder.service.queue import GraderFactory, default_grader_factory
from autograder.service.settings import HubEnvironment

log = logging.getLogger("autograder.service")

GRACEFUL_SHUTDOWN_S = 5


class _Server(uvicorn.Server):
    """uvicorn's server with our own SIGINT/SIGTERM handlers (and no re-raised signal at exit)."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[signal.Signals, Any] = {}

        def stop(signum: int, _frame: FrameType | None) -> None:
            if self.should_exit:
                # Jobs still marked running are requeued by the next start: nothing is lost.
                log.warning("%s again: exiting now", signal.Signals(signum).name)
                logging.shutdown()
                os._exit(128 + signum)
            else:
                log.info("%s: stopping the grading service", signal.Signals(signum).name)
                self.should_exit = True

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stop)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _configure_logging(level: str) -> None:
    """Our log lines next to uvicorn's, on stderr (which the hub collects)."""
    package_log = logging.getLogger("autograder")
    if not package_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     [%(name)s] %(message)s"))
        package_log.addHandler(handler)
    package_log.setLevel(level.upper())


def serve(
    *,
    config: CourseConfig,
    host: str | None = None,
    port: int | None = None,
    grader_factory: GraderFactory | None = None,
    environ: Mapping[str, str] | None = None,
    log_level: str = "info",
) -> None:
    """Run the grading service until SIGINT/SIGTERM.

    ``host``/``port`` default to the hub's ``url`` for this service (``JUPYTERHUB_SERVICE_URL``),
    else 127.0.0.1:10101. The environment is read here, once.
    """
    env = HubEnvironment.from_environ(
        os.environ if environ is None else environ, service_name=config.service.name
    )
    _configure_logging(log_level)
    default_host, default_port = env.bind_address()
    app = create_app(config, grader_factory or default_grader_factory, environment=env)
    server = _Server(server_config(app, host=host or default_host, port=port or default_port,
                                   log_level=log_level))
    server.run()


def server_config(app: Any, *, host: str, port: int, log_level: str = "info",
                  deadlines: ReadDeadlines | None = None) -> uvicorn.Config:
    """uvicorn's settings for the service: h11 with read deadlines (:mod:`autograder.service.protocol`),
    so that a client sending its headers or body slowly cannot hold connections open."""
    deadlines = deadlines or ReadDeadlines()
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, http=DeadlineProtocol.with_deadlines(deadlines),
        timeout_keep_alive=int(max(1, deadlines.keep_alive_s)), timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        proxy_headers=True, lifespan="on",
    )
