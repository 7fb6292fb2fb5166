"""What a batch tells its watcher while it runs: one model per kind of event (a discriminated union).

`grade_batch` (:mod:`autograder.grading.batch`) and `grade_on_cluster` (:mod:`autograder.grading.distributed`) call ``on_event(event)`` with, in order, one
:class:`BatchStarted`, one :class:`WorkersReady` (when there is work), then per submission a
:class:`GradingStarted` (from the worker thread that took it) and a :class:`GradingDone` per result;
:class:`autograder.grading.progress.GradingProgress` and the CLI consume them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from autograder.core.results import SubmissionResult


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BatchStarted(_Event):
    """The batch's plan: how many submissions, how many need grading and how many need none."""

    kind: Literal["start"] = "start"
    total: int = Field(description="submissions in the batch")
    todo: int = Field(description="to grade now")
    skipped: int = Field(description="already graded (reused) or refused")
    reused: int = Field(0, description="already graded by an earlier run (see --regrade)")
    shared: int = Field(0, description="identical to another submission: graded once for all")


class WorkersReady(_Event):
    kind: Literal["workers"] = "workers"
    jobs: int = Field(description="warm workers")
    device: str


class GradingStarted(_Event):
    """A worker took one submission."""

    kind: Literal["started"] = "started"
    student_id: str


class GradingDone(_Event):
    """One result is recorded (a submission's, or a copy for an identical one)."""

    kind: Literal["done"] = "done"
    result: SubmissionResult


BatchEvent = Annotated[BatchStarted | WorkersReady | GradingStarted | GradingDone, Field(discriminator="kind")]

OnEvent = Callable[[BatchEvent], None]
"""What watches a batch: called with each event, from the batch's threads (``started``)."""
