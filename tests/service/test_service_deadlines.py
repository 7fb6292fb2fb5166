"""Issue 19 item 10: ``autograder serve`` closes connections whose headers or body come too slowly.

The server is built by the same :func:`autograder.service.server.server_config` that ``serve`` uses,
with deadlines of about a second, on 127.0.0.1, and driven with raw sockets: a handful of
connections, each given a generous backstop (``BACKSTOP_S``) only so that a broken server cannot hang
the suite; nothing asserts how long anything took.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn", reason="the service needs the 'service' extra")

from svc_support import free_port, make_config

from autograder.service import server as server_module
from autograder.service.server import server_config

BACKSTOP_S = 20.0


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body, answers with its length."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        await send({"type": "lifespan.shutdown.complete"})
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def served() -> Iterator[int]:
    import uvicorn

    from autograder.service.protocol import ReadDeadlines

    port = free_port()
    config = server_config(echo_app, host="127.0.0.1", port=port, log_level="warning", deadlines=ReadDeadlines(
        header_timeout_s=1.0, body_idle_timeout_s=1.0, receive_deadline_s=3.0, keep_alive_s=1.0))
    config.lifespan = "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + BACKSTOP_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(BACKSTOP_S)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=BACKSTOP_S)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; raises TimeoutError if it keeps the connection."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_unfinished_headers_are_answered_408_and_closed(served: int) -> None:
    socks = [connect(served) for _ in range(10)]
    for sock in socks:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    for sock in socks:
        with sock:
            assert read_until_closed(sock).startswith(b"HTTP/1.1 408")


def test_a_connection_that_sends_nothing_is_closed(served: int) -> None:
    socks = [connect(served) for _ in range(5)]
    for sock in socks:
        with sock:
            assert read_until_closed(sock) == b""


def test_a_body_that_stops_is_answered_408(served: int) -> None:
    with connect(served) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nhalf")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408")


def test_a_trickling_body_meets_the_total_deadline(served: int) -> None:
    with connect(served) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
        sock.settimeout(0.3)  # a byte every 0.3 s: never idle for the 1 s idle timeout
        answer = b""
        for _ in range(int(BACKSTOP_S / 0.3)):
            try:
                sock.sendall(b"x")
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # the server closed the connection
                break
            if answer.startswith(b"HTTP/1.1 408"):
                break
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_a_request_sent_in_time_is_answered_and_kept_alive(served: int) -> None:
    with connect(served) as sock:
        for _ in range(2):
            sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n")
            sock.sendall(b"hello")
            reply = b""
            while not reply.endswith(b"\r\n\r\n5"):
                reply += sock.recv(4096)
            assert reply.startswith(b"HTTP/1.1 200")
        assert read_until_closed(sock) == b""  # then the keep-alive timeout closes it


def test_serve_starts_the_server_with_the_deadlines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.service.protocol import DeadlineProtocol

    seen: list[Any] = []
    monkeypatch.setattr(server_module._Server, "run", lambda self, *a, **k: seen.append(self.config))
    server_module.serve(config=make_config(tmp_path), host="127.0.0.1", port=free_port(),
                        environ={"JUPYTERHUB_API_TOKEN": "x" * 32}, log_level="warning")
    (config,) = seen
    assert isinstance(config.http, type) and issubclass(config.http, DeadlineProtocol)
    assert config.http.deadlines.header_timeout_s <= 30 and config.http.deadlines.receive_deadline_s <= 600
    assert config.timeout_keep_alive <= 10
