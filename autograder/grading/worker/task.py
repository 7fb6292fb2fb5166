"""What the parent sends a worker (a :class:`GradeTask`, one JSON line) and what comes back (a :class:`WorkerReply`)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from autograder.core.results import SubmissionResult


class WorkerAbandoned(Exception):
    """The worker's parent went away mid-grade: the judge and sandbox were killed."""


class GradeTask(BaseModel):
    """One submission to grade: the sheet, the file on this machine, who submitted it and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sheet: str
    path: str
    student_id: str
    protected: tuple[str, ...] = ()  # folders the sandbox must not see (a Dask worker's submissions)
    submitted_at: str | None = None
    skip_tests: tuple[str, ...] = ()  # hidden tests not to run (the release gate's reuse)

    def to_json(self) -> str:
        # json, not pydantic's serialiser: a hostile file name's undecodable bytes are lone surrogates
        # here (os.fsdecode), which json escapes and pydantic refuses.
        return json.dumps(self.model_dump())

    @classmethod
    def from_json(cls, text: str) -> GradeTask:
        return cls.model_validate(json.loads(text))


class WorkerReply(BaseModel):
    """One line from a worker or a judge: ready, a result, an error, or the pid of a sandbox it started."""

    model_config = ConfigDict(extra="forbid")

    ready: bool = False
    result: SubmissionResult | None = None
    error: str | None = None
    sandbox_pid: int | None = None

    def line(self) -> str:
        """The reply as one JSON line, with only the fields it carries (the result as its own JSON)."""
        data: dict[str, Any] = {"ready": True} if self.ready else {}
        if self.result is not None:
            data["result"] = json.loads(self.result.model_dump_json())
        if self.error is not None:
            data["error"] = self.error
        if self.sandbox_pid is not None:
            data["sandbox_pid"] = self.sandbox_pid
        return json.dumps(data) + "\n"

    @classmethod
    def of(cls, raw: str | dict[str, Any]) -> WorkerReply:
        return cls.model_validate(json.loads(raw) if isinstance(raw, str) else raw)
