"""The line protocol between a judge and its worker: JSON lines on a pipe, read against a deadline."""

from __future__ import annotations

import json
import os
import select
import time
from typing import Any


def read_lines(fd: int, deadline: float, *, watch: int | None = None) -> tuple[list[dict[str, Any]], str]:
    """The judge's reply lines, and ``finished``, ``timeout`` or ``abandoned`` (``watch`` hung up)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if watch is not None:
        poller.register(watch, 0)  # hang-up and errors only: the parent sends nothing while we grade
    buffer = b""
    status = "timeout"
    while (remaining := deadline - time.monotonic()) > 0:
        events = dict(poller.poll(remaining * 1000))
        if watch is not None and events.get(watch, 0) & (select.POLLHUP | select.POLLERR):
            status = "abandoned"
            break
        if fd not in events:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return [json.loads(line) for line in buffer.splitlines() if line.strip()], "finished"
        buffer += chunk
    return [json.loads(line) for line in buffer.splitlines()[:-1] if line.strip()], status
