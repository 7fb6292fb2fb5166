"""The push ledger, ``RESULTS_DIR/lms/pushed.jsonl``: one line per score sent (or tried), never rewritten.

A retry reads it to send only what is not in the LMS yet: a student whose last *sent* entry for
the same line item carries the same LMS user, score, maximum and grading progress is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from autograder.core.jsonlines import append_line, folder_lock, read_lines


class PushEntry(BaseModel):
    """One score the tool posted (``result="sent"``) or tried to (``"failed"``, with the reason)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    student_id: str
    lms_user_id: str
    line_item: str = Field(description="the line item's URL (its AGS id)")
    score_given: float
    score_maximum: float
    grading_progress: str
    timestamp: str = Field(description="the score's timestamp as sent")
    result: Literal["sent", "failed"]
    status: int | None = Field(None, description="the LMS's HTTP status (None: no answer)")
    message: str = ""
    at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def same_score(self, other: PushEntry) -> bool:
        return (self.lms_user_id, self.line_item, self.score_given, self.score_maximum, self.grading_progress) == (
            other.lms_user_id, other.line_item, other.score_given, other.score_maximum, other.grading_progress)


class PushLedger:
    FILE = "pushed.jsonl"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_results(cls, results_dir: Path) -> PushLedger:
        return cls(results_dir / "lms")

    @property
    def path(self) -> Path:
        return self.folder / self.FILE

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One push at a time per results folder (a second waits)."""
        with folder_lock(self.folder):
            yield

    def append(self, entry: PushEntry) -> None:
        """Written and synced before the next score is sent, so a crash loses at most the one in flight."""
        append_line(self.path, entry)

    def entries(self) -> list[PushEntry]:
        return read_lines(self.path, PushEntry)

    def last_sent(self, line_item: str) -> dict[str, PushEntry]:
        """student -> the latest score the LMS accepted for ``line_item``."""
        latest: dict[str, PushEntry] = {}
        for entry in self.entries():
            if entry.result == "sent" and entry.line_item == line_item:
                latest[entry.student_id] = entry
        return latest
