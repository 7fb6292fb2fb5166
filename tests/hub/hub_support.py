"""A real JupyterHub (with configurable-http-proxy) running ``deploy/jupyterhub_config.py`` locally.

The shipped config is loaded as it is, with ``AUTOGRADER_HUB_MODE=local`` (local spawner, the service
started as ``autograder serve`` on this machine) and free ports; a small wrapper config only adds an
admin API token for the test (a hub service in the admin role) and the proxy's API port.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "toy_course"
SHIPPED_CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
SERVICE = "autograder"
CHP_INSTALL = "npm install --prefix build/chp configurable-http-proxy@4"


def find_proxy() -> Path | None:
    """configurable-http-proxy from build/chp (see CHP_INSTALL), else from PATH."""
    local = ROOT / "build" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return local
    found = shutil.which("configurable-http-proxy")
    return Path(found) if found else None


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


COURSE_CONFIG = """\
import importlib.util
from pathlib import Path

from autograder.core.config import ServiceConfig

_spec = importlib.util.spec_from_file_location("toy_course_config", {toy!r} + "/course_config.py")
_toy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_toy)
config = _toy.config.model_copy(update={{
    "root": Path({toy!r}),
    "device": "cpu",
    "service": ServiceConfig(name={service!r}, data_dir=Path({data!r}),
                             database_url="sqlite:///" + {data!r} + "/autograder.db",
                             ta_groups=("tas",), submissions_per_hour=50, workers=1),
}})
"""

WRAPPER_CONFIG = """\
c = get_config()
load_subconfig({shipped!r})
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": "admin", "services": ["test-admin"]}})
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
"""


@dataclass
class Hub:
    """A running hub: its public URL, the admin token, and the users' tokens once created."""

    process: subprocess.Popen[bytes]
    url: str
    admin_token: str
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def service_url(self) -> str:
        return f"{self.url}/services/{SERVICE}/"

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/hub/api/{path}", timeout=30,
                             headers={"Authorization": f"token {self.admin_token}"}, **kwargs)

    def create_user_token(self, name: str, **body: Any) -> str:
        response = self.admin("POST", f"users/{name}/tokens", json={"note": "hub test", **body})
        response.raise_for_status()
        token: str = response.json()["token"]
        return token

    def as_user(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.service_url + path, timeout=60,
                             headers={"Authorization": f"token {self.tokens[name]}"}, **kwargs)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""


def start_hub(workdir: Path, *, ta_users: list[str], proxy: Path) -> Hub:
    """Start the hub in its own process group; the caller must call :func:`stop_hub`."""
    data = workdir / "service"
    data.mkdir(parents=True)
    course = workdir / "course"
    course.mkdir()
    (course / "course_config.py").write_text(COURSE_CONFIG.format(
        toy=str(TOY), service=SERVICE, data=str(data)))
    public, hub_api, proxy_api, service_port = free_ports(4)
    token = secrets.token_hex(32)
    wrapper = workdir / "test_jupyterhub_config.py"
    wrapper.write_text(WRAPPER_CONFIG.format(shipped=str(SHIPPED_CONFIG), token=token, proxy_api=proxy_api))
    env = {
        **os.environ,
        "AUTOGRADER_HUB_MODE": "local",
        "AUTOGRADER_HUB_AUTHENTICATOR": "dummy",
        "AUTOGRADER_SERVICE_NAME": SERVICE,
        "AUTOGRADER_TA_GROUP": "tas",
        "AUTOGRADER_TA_USERS": ",".join(ta_users),
        "AUTOGRADER_COURSE_DIR": str(course),
        "AUTOGRADER_HUB_DATA": str(workdir),
        "AUTOGRADER_HUB_IP": "127.0.0.1",
        "AUTOGRADER_HUB_PORT": str(public),
        "AUTOGRADER_HUB_API_PORT": str(hub_api),
        "AUTOGRADER_SERVICE_PORT": str(service_port),
        "AUTOGRADER_PROXY_COMMAND": json.dumps([str(proxy)]),
        "HF_HUB_OFFLINE": "1",
    }
    log = workdir / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(wrapper)], cwd=workdir, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Hub(process=process, url=f"http://127.0.0.1:{public}", admin_token=token, log=log)


def wait_until_ready(hub: Hub, *, timeout: float) -> None:
    """The hub answers its API, and the service (through the proxy) reports a warm grader."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"the hub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            health = httpx.get(hub.service_url + "health", timeout=5)
            last = f"{health.status_code} {health.text[:200]}"
            if health.status_code == 200 and health.json().get("grader") == "ready":
                return
            if health.status_code == 200 and health.json().get("grader") == "failed":
                raise RuntimeError(f"the grader failed to start:\n{hub.log_tail()}")
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"hub/service not ready after {timeout:.0f} s (last: {last}):\n{hub.log_tail()}")


def stop_hub(hub: Hub) -> bool:
    """SIGTERM the hub (it stops the proxy and the service), then kill whatever is left of its group.

    True when the hub stopped by itself within 20 s.
    """
    graceful = False
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=20)
            graceful = True
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(hub.process.pid, signal.SIGKILL)  # the group we created: the hub's own children
    except ProcessLookupError:
        pass
    hub.process.wait(timeout=10)
    return graceful
