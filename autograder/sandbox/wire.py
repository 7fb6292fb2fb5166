"""Framing for codec messages on a stream socket: an 8-byte length, then the payload."""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from autograder.core import codec

_LEN = struct.Struct("<Q")


class PeerClosed(ConnectionError):
    """The other side closed the connection or died."""


class WireTimeout(TimeoutError):
    """No complete message arrived before the deadline."""


def send(sock: socket.socket, value: Any, *, fallback: Any = None, max_bytes: int = codec.MAX_BYTES) -> None:
    payload = codec.encode(value, fallback=fallback, max_bytes=max_bytes)
    sock.sendall(_LEN.pack(len(payload)))
    sock.sendall(payload)  # not joined to the header: no third copy of a large value


def recv(
    sock: socket.socket,
    *,
    deadline: float | None = None,
    max_bytes: int = codec.MAX_BYTES,
    max_value_bytes: int | None = None,
    extra_fds: tuple[int, ...] = (),
    on_extra: Callable[[int], bool] | None = None,
) -> Any:
    """Receive and decode one message.

    ``extra_fds`` are drained by ``on_extra`` while waiting; it returns False at end of file.
    ``max_bytes`` bounds the message, ``max_value_bytes`` the memory of the value decoded from it.
    """
    header = _recv_exact(sock, _LEN.size, deadline, extra_fds, on_extra)
    (length,) = _LEN.unpack(header)
    if length > max_bytes:
        raise codec.CodecError(f"message of {length} bytes exceeds the limit of {max_bytes}")
    return codec.decode(_recv_exact(sock, length, deadline, extra_fds, on_extra), max_value_bytes=max_value_bytes)


def _recv_exact(
    sock: socket.socket, n: int, deadline: float | None,
    extra_fds: tuple[int, ...], on_extra: Callable[[int], bool] | None,
) -> bytearray:
    # One buffer of the announced size, filled in place: no second copy of a large message.
    chunks = bytearray(n)
    view = memoryview(chunks)
    got = 0
    fds = [sock.fileno(), *extra_fds]
    while got < n:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if timeout is not None and timeout <= 0:
            raise WireTimeout()
        ready, _, _ = select.select(fds, [], [], timeout)
        if not ready:
            raise WireTimeout()
        for fd in ready:
            if fd != sock.fileno() and (on_extra is None or not on_extra(fd)):
                fds.remove(fd)  # at end of file: stop watching it
        if sock.fileno() not in ready:
            continue
        try:
            count = sock.recv_into(view[got:], min(n - got, 1 << 20))
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise PeerClosed(str(exc)) from exc
        if not count:
            raise PeerClosed("connection closed")
        got += count
    return chunks
