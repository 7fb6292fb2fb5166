"""What ``autograder grade`` shows while a batch runs: progress, elapsed time, who is being graded, an ETA.

Fed by the batch's events (:mod:`autograder.grading.events`: ``BatchStarted``, ``WorkersReady``,
``GradingStarted`` per submission a worker takes, ``GradingDone`` per result). Submissions of one
batch differ in cost by a factor of a hundred (a blank notebook
grades in a second, a complete one trains two models), and the cheap ones often finish first; an
average of the finished ones would promise a batch done in seconds and then stand still. So the ETA
waits for a share of the batch (``min_share``, at least ``min_done`` results), assumes the submissions
left cost what the slower half of the finished ones did, and is never below what the running ones
have already taken (then shown as "at least"). Each running submission is listed with its time so far.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from autograder.core.results import SubmissionResult
from autograder.grading.events import (
    BatchEvent,
    BatchStarted,
    GradingDone,
    GradingStarted,
    WorkersReady,
)

SHOWN_RUNNING = 8


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class GradingProgress:
    """The state of one batch's display; ``render()`` (or rich's ``__rich__``) draws it."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, min_share: float = 0.1,
                 min_done: int = 3) -> None:
        self.clock = clock
        self.min_share, self.min_done = min_share, min_done
        self.began = clock()
        self.total = self.completed = self.todo = self.failed = 0
        self.jobs = 1
        self.running: dict[str, float] = {}  # student id -> when a worker took it
        self.durations: list[float] = []  # seconds each finished grading took (copies excluded)
        self.lock = threading.Lock()  # "started" comes from the batch's worker threads

    def on_event(self, event: BatchEvent) -> None:
        with self.lock:
            if isinstance(event, BatchStarted):
                self.total, self.todo, self.completed = event.total, event.todo, event.skipped
            elif isinstance(event, WorkersReady):
                self.jobs = max(1, event.jobs)
            elif isinstance(event, GradingStarted):
                self.running[event.student_id] = self.clock()
            elif isinstance(event, GradingDone):
                self._done(event.result)

    def _done(self, result: SubmissionResult) -> None:
        self.completed += 1
        if not result.gradable or result.grader_error:
            self.failed += 1
        began = self.running.pop(result.student_id, None)
        if result.extra_data.grading_shared_from:
            return  # a copy of another's grading: it took no time
        self.durations.append(self.clock() - began if began is not None else float(result.execution_time or 0.0))

    # ---------------------------------------------------------------- estimates

    def eta(self) -> tuple[float, bool] | None:
        """``(seconds left, is a lower bound)``, or None while too little of the batch has finished."""
        finished = len(self.durations)
        if finished < max(self.min_done, self.min_share * self.todo) or self.completed >= self.total:
            return None
        slower = sorted(self.durations)[finished // 2:]
        per_item = sum(slower) / len(slower)
        now = self.clock()
        longest = max((now - began for began in self.running.values()), default=0.0)
        lower_bound = longest > per_item
        per_item = max(per_item, longest)
        waiting = self.total - self.completed - len(self.running)
        left_of_running = sum(max(0.0, per_item - (now - began)) for began in self.running.values())
        return (waiting * per_item + left_of_running) / self.jobs, lower_bound

    # ---------------------------------------------------------------- drawing

    def render(self) -> RenderableType:
        with self.lock:
            now = self.clock()
            eta = self.eta()
            line = Table.grid(padding=(0, 1))
            for _ in range(6):
                line.add_column()
            if self.completed >= self.total:
                eta_text = "done"
            elif eta is None:
                eta_text = "ETA after more results"
            else:
                eta_text = f"ETA {'at least ' if eta[1] else ''}{clock_text(eta[0])}"
            line.add_row("grading", ProgressBar(total=max(1, self.total), completed=self.completed, width=24),
                         f"{self.completed}/{self.total}", f"{self.failed} failed",
                         f"elapsed {clock_text(now - self.began)}", eta_text)
            running = sorted(self.running.items(), key=lambda item: item[1])
            shown = ", ".join(f"{sid} ({clock_text(now - began)})" for sid, began in running[:SHOWN_RUNNING])
            more = f" and {len(running) - SHOWN_RUNNING} more" if len(running) > SHOWN_RUNNING else ""
            if self.completed >= self.total and not running:
                return line
            now_text = Text(f"now grading: {shown}{more}" if running else "now grading: nothing")
            return Group(line, now_text)

    def __rich__(self) -> RenderableType:
        return self.render()
