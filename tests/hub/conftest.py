"""A real JupyterHub for the tests in this folder (one per module; about a minute to start and grade)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hub_support import CHP_INSTALL, Hub, find_proxy, start_hub, stop_hub, wait_until_ready

STUDENTS = ["alice", "bob"]
TAS = ["tara"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    pytest.importorskip("jupyterhub")
    proxy = find_proxy()
    if proxy is None:
        pytest.skip(f"configurable-http-proxy is not installed (run `{CHP_INSTALL}` in the project root)")
    running = start_hub(tmp_path_factory.mktemp("hub"), ta_users=TAS, proxy=proxy)
    try:
        wait_until_ready(running, timeout=120)
        created = running.admin("POST", "users", json={"usernames": STUDENTS})
        assert created.status_code in (201, 409), created.text
        for name in STUDENTS + TAS:
            running.tokens[name] = running.create_user_token(name)
        yield running
    finally:
        graceful = stop_hub(running)
    # The hub stops its managed service with a signal; the service's handler stops it cleanly.
    assert graceful, running.log_tail()
    assert "stopping the grading service" in running.log.read_text(errors="replace")
