"""uvicorn's h11 protocol with read deadlines: a client that sends slowly cannot hold a connection.

uvicorn times out only an idle keep-alive connection; a request whose headers never finish, or whose
body trickles in a byte at a time, stays open forever (20 of 20 anonymous connections were still open
after 30 s). :class:`DeadlineProtocol` closes a connection, with ``408 Request Timeout`` when no
response has started, when

- the request line and headers are not complete ``header_timeout_s`` after the request's first
  byte (or after the connection opened);
- no body bytes arrive for ``body_idle_timeout_s`` while the body is incomplete (unless the app
  itself is not reading: uvicorn pauses the socket then);
- the whole request (headers and body) is not received ``receive_deadline_s`` after it began,
  however steadily it trickles.

The time the app takes to answer is not limited here (grading runs in the background anyway).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"connection: close\r\ncontent-length: 31\r\n\r\nThe request was sent too slowly")


@dataclass(frozen=True)
class ReadDeadlines:
    """Seconds; the defaults leave a 40 MB upload at 200 kB/s room to finish."""

    header_timeout_s: float = 10.0
    body_idle_timeout_s: float = 30.0
    receive_deadline_s: float = 300.0
    keep_alive_s: float = 5.0


class DeadlineProtocol(H11Protocol):
    """:class:`H11Protocol` with the deadlines of :class:`ReadDeadlines` (see the module docstring)."""

    deadlines = ReadDeadlines()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._deadline_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_deadlines(cls, deadlines: ReadDeadlines) -> type[DeadlineProtocol]:
        return type("DeadlineProtocol", (cls,), {"deadlines": deadlines})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_request_timers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_all()
        super().connection_lost(exc)

    # ---------------------------------------------------------------- timers

    def _follow_request(self) -> None:
        """Arm or drop the timers for where the client's side of the current request stands."""
        if self.transport is None or self.transport.is_closing():
            self._cancel_all()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self.timeout_keep_alive_task is None or self.cycle is None:  # bytes of a new request came
                self._start_request_timers()
        elif state is h11.SEND_BODY:
            self._cancel("_header_timer")
            self._start_request_timers()
            self._cancel("_idle_timer")
            self._idle_timer = self.loop.call_later(self.deadlines.body_idle_timeout_s, self._body_idle)
        else:  # DONE, MUST_CLOSE, CLOSED, ERROR: nothing more to receive for this request
            self._cancel_all()

    def _start_request_timers(self) -> None:
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            self._header_timer = self.loop.call_later(self.deadlines.header_timeout_s, self._too_slow)
        if self._deadline_timer is None:
            self._deadline_timer = self.loop.call_later(self.deadlines.receive_deadline_s, self._too_slow)

    def _body_idle(self) -> None:
        self._idle_timer = None
        if self.flow is not None and self.flow.read_paused:  # the app is not reading: not the client's fault
            self._idle_timer = self.loop.call_later(self.deadlines.body_idle_timeout_s, self._body_idle)
            return
        self._too_slow()

    def _too_slow(self) -> None:
        self._cancel_all()
        if self.transport is None or self.transport.is_closing():
            return
        state = self.conn.their_state
        answered = state is h11.SEND_BODY and self.cycle is not None and self.cycle.response_started
        started = state is h11.SEND_BODY or bool(self.conn.trailing_data[0])  # some of a request came
        if started and not answered:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()  # the app's next receive() says http.disconnect

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _cancel_all(self) -> None:
        for name in ("_header_timer", "_idle_timer", "_deadline_timer"):
            self._cancel(name)
