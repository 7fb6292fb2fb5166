"""Append-only JSON-lines files, the project's ledgers (staff decisions, LMS pushes): one model per line,
synced before the writer goes on, never rewritten; a torn last line after a crash is skipped on read."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder/.lock`` (made if need be); a second holder waits."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_line(path: Path, entry: BaseModel) -> None:
    """One line, flushed and synced: a crash loses at most the entry being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(entry.model_dump_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_lines(path: Path, model: type[M]) -> list[M]:
    """Every readable entry, oldest first."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entries.append(model.model_validate_json(line))
        except (ValidationError, ValueError):
            continue  # a torn last line after a crash: the earlier entries stand
    return entries
