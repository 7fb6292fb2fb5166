"""Issue 19 item 5: one student's parallel uploads are bounded before their bodies are read.

Forty uploads from one student start at once through httpx's ASGI transport; every body waits after
its first chunk until the test lets it go, so all forty are in flight together. Before the fix each
of them passed the rate check (nothing was committed yet) and streamed its file to disk.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from svc_support import PREFIX, auth
from test_service_limits import BOUNDARY, CHUNK, Stream, hub, make_service, stored_files  # noqa: F401

PARALLEL = 40
BACKSTOP_S = 60  # only so that a broken service cannot hang the suite; nothing is timed


class HeldStream(Stream):
    """The form fields and the start of the file, then nothing until ``gate`` opens."""

    def __init__(self, size: int, gate: asyncio.Event) -> None:
        super().__init__(size)
        self.gate = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        first = True
        async for piece in super().__aiter__():
            yield piece
            if first:
                first = False
                await self.gate.wait()


def test_parallel_uploads_of_one_student_are_bounded_before_the_body_is_read(make_service) -> None:  # noqa: F811
    service = make_service(max_upload_mb=8, submissions_per_hour=20, uploads_in_progress=2)

    async def go() -> tuple[list[httpx.Response], list[HeldStream]]:
        gate = asyncio.Event()
        streams = [HeldStream(1024 * 1024, gate) for _ in range(PARALLEL)]
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service", timeout=BACKSTOP_S) as client:
            tasks = [asyncio.create_task(client.post(
                PREFIX + "api/submissions", content=stream.__aiter__(),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **auth("alice")}))
                for stream in streams]
            pending = set(tasks)
            while len(pending) > 2:  # the refused ones answer while the admitted ones are held
                done, pending = await asyncio.wait(pending, timeout=BACKSTOP_S, return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    break
            held_while_refused = len(pending)
            gate.set()
            answers = await asyncio.gather(*tasks)
        assert held_while_refused == 2, f"{held_while_refused} uploads were still streaming together"
        return answers, streams

    answers, streams = asyncio.run(go())
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(202) == 2 and codes.count(429) == PARALLEL - 2
    for answer, stream in zip(answers, streams, strict=True):
        if answer.status_code == 429:
            assert stream.pulled < 2 * CHUNK, "a refused upload's body was read"
            assert "in progress" in answer.json()["detail"]
    assert len([p for p in stored_files(service) if p.is_file()]) == 2
    # the 38 refusals count toward the hourly limit: the next upload is refused too
    later = service.submit("alice")
    assert later.status_code == 429 and "last hour" in later.json()["detail"]
    assert service.submit("bob").status_code == 202  # only alice is limited
    assert service.app.state.service.uploading == {}  # every slot given back
