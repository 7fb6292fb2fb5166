"""Receiving an upload as it streams: nothing is read before the user is known, nothing past the cap.

FastAPI parses ``File``/``Form`` parameters before any dependency runs, so a route declaring them
spools the whole body to /tmp before it can answer 401, 429 or 413. The upload routes take the raw
request instead: the user is authenticated and rate-checked from the headers first, then
:func:`receive_upload` parses the multipart body chunk by chunk. The form fields that come before
the file (``sheet``, ``_xsrf``) are checked as soon as the file part starts, the file goes straight
to its own folder under the data dir while it is hashed, and parsing stops at the cap. Whatever is
refused leaves no file and no folder behind. :class:`BodySizeLimit` caps every other request body
of the app the same way (a declared ``Content-Length`` above the cap is refused unread).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import HTTPException, Request, status
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_OVERHEAD = 64 * 1024
"""Bytes a multipart body may carry beyond the file itself (fields, part headers, boundaries)."""
FIELD_LIMIT = 8 * 1024


def too_large(limit_mb: int) -> HTTPException:
    return HTTPException(413,
                         f"The file is larger than {limit_mb} MB; clear large outputs and retry.")


def declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


@dataclass
class Upload:
    """The stored file of one upload and the form fields sent before it."""

    fields: dict[str, str]
    filename: str
    folder: Path
    path: Path
    size: int = 0
    sha256: str = ""

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


FileCheck = Callable[[dict[str, str], str], str]
"""``check(fields, client_filename) -> stored filename``; raises HTTPException to refuse the file."""


@dataclass
class _Parser:
    dest: Path
    limit_mb: int
    check: FileCheck
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None
    _handle: IO[bytes] | None = None
    _digest: Any = field(default_factory=hashlib.sha256)
    _name: str = ""
    _filename: str | None = None
    _data: bytearray = field(default_factory=bytearray)
    _header: bytes = b""
    _value: bytes = b""
    _disposition: bytes = b""

    def on_part_begin(self) -> None:
        self._name, self._filename, self._data = "", None, bytearray()
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        if self.upload is not None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Send one file per submission.")
        self._filename = options[b"filename"].decode("utf-8", "replace")
        stored = self.check(dict(self.fields), self._filename)  # refuses before a byte is stored
        folder = self.dest / uuid.uuid4().hex
        folder.mkdir(parents=True)
        self.upload = Upload(fields=dict(self.fields), filename=stored, folder=folder,
                             path=folder / stored)
        self._handle = open(self.upload.path, "wb")  # noqa: SIM115 - closed in finish()/abort()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._filename is None:
            self._data += piece
            if len(self._data) > FIELD_LIMIT:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, "A form field is too long.")
            return
        assert self.upload is not None and self._handle is not None
        self.upload.size += len(piece)
        if self.upload.size > self.limit_mb * 1024 * 1024:
            raise too_large(self.limit_mb)
        self._digest.update(piece)
        self._handle.write(piece)

    def on_part_end(self) -> None:
        if self._filename is None and self._name:
            self.fields[self._name] = self._data.decode("utf-8", "replace")

    def finish(self) -> Upload:
        if self.upload is None or self._handle is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST,
                                "The form has no file; choose your notebook and submit again.")
        self._handle.flush()
        os.fsync(self._handle.fileno())  # durable before the database row that points to it
        self._handle.close()
        self.upload.sha256 = self._digest.hexdigest()
        self.upload.fields = dict(self.fields)
        return self.upload

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self.upload is not None:
            self.upload.discard()


async def receive_upload(request: Request, *, dest: Path, limit_mb: int, check: FileCheck) -> Upload:
    """Parse the multipart body of ``request`` as it arrives; the file is stored under ``dest/<uuid>/``.

    Raises HTTPException (400, 413, or whatever ``check`` raises) with nothing left on disk.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "Send the notebook as multipart/form-data with the fields sheet and file.")
    length = declared_length(request)
    if length is not None and length > limit_mb * 1024 * 1024 + FORM_OVERHEAD:
        raise too_large(limit_mb)
    parser = _Parser(dest=dest, limit_mb=limit_mb, check=check)
    multipart = MultipartParser(boundary, {
        "on_part_begin": parser.on_part_begin, "on_part_data": parser.on_part_data,
        "on_part_end": parser.on_part_end, "on_header_field": parser.on_header_field,
        "on_header_value": parser.on_header_value, "on_header_end": parser.on_header_end,
        "on_headers_finished": parser.on_headers_finished,
    })
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit_mb * 1024 * 1024 + FORM_OVERHEAD:
                raise too_large(limit_mb)
            multipart.write(chunk)
        multipart.finalize()
        return parser.finish()
    except HTTPException:
        parser.abort()
        raise
    except BodyTooLarge as exc:  # BodySizeLimit saw the same chunk first
        parser.abort()
        raise too_large(limit_mb) from exc
    except Exception as exc:  # a malformed body (python-multipart's own errors)
        parser.abort()
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"The upload is not valid multipart form data ({type(exc).__name__}).") from exc
    except BaseException:
        parser.abort()
        raise


class BodySizeLimit:
    """ASGI middleware: refuse any request body above ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        try:
            declared = int(headers.get(b"content-length", b"-1"))
        except ValueError:
            declared = -1
        if declared > self.limit:
            await _refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send)


class BodyTooLarge(Exception):
    """Raised from ``receive`` once the body passes the cap."""


async def _refuse(send: Send) -> None:
    body = b'{"detail":"The request is too large."}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
