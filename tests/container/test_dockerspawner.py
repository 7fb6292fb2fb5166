"""DockerSpawner for real: the shipped hub config in its ``docker`` mode, against podman's
Docker-compatible socket (``podman system service``).

JupyterHub and configurable-http-proxy run on this machine; DockerSpawner starts alice's server from
the course image on a podman network; the hub starts the grading service in its own container with
the hub config's command (``podman run ... autograder serve``). From a kernel in alice's server (the
environment the hub gave it), ``autograder.student.client.submit()`` sends a notebook through the proxy to the
service; alice sees her result, the TA sees the class. The times from the spawn request to a ready
server and from submit to result are printed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ctr_support import ROOT, Podman, toy_notebook

sys.path.insert(0, str(ROOT / "tests" / "hub"))
from hub_support import CHP_INSTALL, SHIPPED_CONFIG, find_proxy, free_ports

pytestmark = pytest.mark.slow

WRAPPER = """\
c = get_config()
load_subconfig({shipped!r})
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": "admin", "services": ["test-admin"]}})
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.JupyterHub.cleanup_servers = True
c.DockerSpawner.prefix = {prefix!r}
c.DockerSpawner.volumes = {{{prefix!r} + "-{{username}}": "/home/jovyan/work"}}
c.DockerSpawner.start_timeout = 300
c.DockerSpawner.http_timeout = 300
c.DockerSpawner.mem_limit = None
"""

SUBMIT = """\
import base64, time
open("/tmp/answers.ipynb", "wb").write(base64.b64decode({notebook!r}))
from autograder.student.client import submit
started = time.monotonic()
view = submit("/tmp/answers.ipynb", sheet="toy", poll_seconds=1, timeout=600)
print("RESULT", view["status"], view["result"]["score"] if view["result"] else None,
      round(time.monotonic() - started, 1))
"""


def run_in_kernel(server: str, token: str, code: str, timeout: float) -> str:
    """Start a kernel in a single-user server (through the proxy), run ``code``, return its stdout."""
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Authorization": f"token {token}"}
    kernel = httpx.post(f"{server}api/kernels", headers=headers, json={}, timeout=120)
    assert kernel.status_code == 201, kernel.text
    msg_id, out = uuid.uuid4().hex, []

    async def execute() -> None:
        url = f"{server.replace('http', 'ws', 1)}api/kernels/{kernel.json()['id']}/channels"
        socket = await websocket_connect(HTTPRequest(url, headers=headers, connect_timeout=60))
        await socket.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        while True:
            raw = await socket.read_message()
            assert raw is not None, "the kernel's websocket closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                socket.close()
                return

    asyncio.run(asyncio.wait_for(execute(), timeout))
    httpx.delete(f"{server}api/kernels/{kernel.json()['id']}", headers=headers, timeout=60)
    return "".join(out)


def podman_socket(podman: Podman, path: Path) -> subprocess.Popen[bytes]:
    """``podman system service`` on a unix socket; answers the Docker API's /version."""
    process = subprocess.Popen(["podman", "system", "service", "--time", "0", f"unix://{path}"], env=podman.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    client = httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), timeout=5)
    while time.monotonic() < deadline:
        try:
            if client.get("http://d/v1.41/version").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError("podman system service did not answer on its socket")


@pytest.fixture
def hub(image: str, course: Path, containers: Podman, tmp_path: Path) -> Iterator[dict[str, Any]]:
    pytest.importorskip("dockerspawner")
    proxy = find_proxy()
    if proxy is None:
        pytest.skip(f"configurable-http-proxy is not installed (run `{CHP_INSTALL}` in the project root)")
    socket_path = tmp_path / "podman.sock"
    service = podman_socket(containers, socket_path)
    network = containers.name("net")
    try:
        containers("network", "create", network)
    except AssertionError:
        service.kill()
        raise
    prefix = containers.name("user")
    grader = containers.name("grader")
    containers.containers += [grader, f"{prefix}-alice"]
    volume = containers.volume("hubdata")
    public, hub_api, proxy_api, service_port = free_ports(4)
    token = secrets.token_hex(32)
    wrapper = tmp_path / "jupyterhub_config.py"
    wrapper.write_text(WRAPPER.format(shipped=str(SHIPPED_CONFIG), token=token, proxy_api=proxy_api, prefix=prefix))
    env = {
        **containers.env,
        "AUTOGRADER_HUB_MODE": "docker", "AUTOGRADER_HUB_AUTHENTICATOR": "dummy", "AUTOGRADER_TA_USERS": "tara",
        "AUTOGRADER_COURSE_DIR": str(course), "AUTOGRADER_HUB_DATA": str(tmp_path),
        "AUTOGRADER_HUB_IP": "0.0.0.0", "AUTOGRADER_HUB_PORT": str(public), "AUTOGRADER_HUB_API_PORT": str(hub_api),
        "AUTOGRADER_PROXY_COMMAND": json.dumps([str(proxy)]), "AUTOGRADER_IMAGE": image,
        "AUTOGRADER_DOCKER_NETWORK": network, "AUTOGRADER_HUB_HOST": "host.containers.internal",
        "AUTOGRADER_GPUS": "none", "AUTOGRADER_DOCKER_COMMAND": "podman", "AUTOGRADER_SERVICE_CONTAINER": grader,
        "AUTOGRADER_SERVICE_VOLUME": volume, "AUTOGRADER_SERVICE_PUBLISH": f"127.0.0.1:{service_port}",
        "DOCKER_HOST": f"unix://{socket_path}",
    }
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(wrapper)], cwd=tmp_path, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = {"process": process, "log": log, "url": f"http://127.0.0.1:{public}", "prefix": prefix,
               "api": f"http://127.0.0.1:{hub_api}/hub/api", "admin": {"Authorization": f"token {token}"}}
    graceful = False
    try:
        yield running
    finally:
        graceful = stop(process, tmp_path / "jupyterhub-proxy.pid")
        for name in (f"{prefix}-alice", grader):
            containers("rm", "--force", "--time", "5", name, check=False, timeout=120)
        containers("volume", "rm", "--force", f"{prefix}-alice", check=False)
        containers("network", "rm", "--force", network, check=False)
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
    # The hub stops its grading container (podman run forwards the signal) and the proxy by itself.
    assert graceful, log.read_text(errors="replace")[-6000:]


def stop(hub: subprocess.Popen[bytes], proxy_pid_file: Path) -> bool:
    """SIGTERM the hub; after 120 s kill its process group. Then the proxy, had the hub left it."""
    hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(timeout=120)
        graceful = True
    except subprocess.TimeoutExpired:
        graceful = False
        os.killpg(hub.pid, signal.SIGKILL)
        hub.wait(timeout=30)
    try:
        os.kill(int(proxy_pid_file.read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
    return graceful


def _wait(what: str, predicate: Any, hub: dict[str, Any], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if hub["process"].poll() is not None:
            raise AssertionError(f"the hub exited:\n{hub['log'].read_text(errors='replace')[-6000:]}")
        try:
            if predicate():
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s:\n{hub['log'].read_text(errors='replace')[-6000:]}")


def test_dockerspawner_server_submits_to_the_grading_container(hub: dict[str, Any], containers: Podman) -> None:
    service = f"{hub['url']}/services/autograder/"
    grader_up = _wait("grading service ready", lambda: httpx.get(service + "health", timeout=5).json().get("grader")
                      == "ready", hub, timeout=400)
    api = httpx.Client(base_url=hub["api"], headers=hub["admin"], timeout=60)
    assert api.post("users", json={"usernames": ["alice", "tara"]}).status_code in (201, 409)
    tara = api.post("users/tara/tokens", json={"note": "ta"}).json()["token"]
    alice = api.post("users/alice/tokens", json={"note": "student"}).json()["token"]

    spawn = api.post("users/alice/server")
    assert spawn.status_code in (201, 202), spawn.text
    ready = _wait("alice's server ready", lambda: api.get("users/alice").json()["servers"].get("", {}).get("ready"),
                  hub, timeout=400)
    started = time.monotonic()
    code = SUBMIT.format(notebook=base64.b64encode(toy_notebook()).decode())
    shown = run_in_kernel(f"{hub['url']}/user/alice/", alice, code, timeout=700)
    submit_to_result = time.monotonic() - started
    assert "RESULT done 10" in shown, shown  # alice sees her score, in her notebook's kernel
    print(f"\nDockerSpawner via podman: grading service ready {grader_up:.0f} s after the hub started; "
          f"spawn request -> ready server {ready:.1f} s; submit() -> result {submit_to_result:.1f} s",
          file=sys.stderr)

    rows = httpx.get(service + "api/submissions", params={"sheet": "toy"}, timeout=60,
                     headers={"Authorization": f"token {tara}"}).json()
    assert [(row["student"], row["status"], row["result"]["score"]) for row in rows] == [("alice", "done", 10)]
    csv = httpx.get(service + "api/grades.csv", params={"sheet": "toy"}, timeout=60,
                    headers={"Authorization": f"token {tara}"})
    assert csv.status_code == 200 and "alice" in csv.text
    assert api.delete("users/alice/server").status_code in (202, 204)
