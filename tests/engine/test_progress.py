"""The batch's progress display tells the truth on long work (issue 20, item 5): elapsed time, who is
being graded and for how long, and an ETA that fast blank notebooks do not set. A fake clock drives it."""

from __future__ import annotations

import io

import pytest
from pydantic import TypeAdapter, ValidationError
from rich.console import Console

from autograder.core.results import SubmissionResult
from autograder.grading.events import (
    BatchEvent,
    BatchStarted,
    GradingDone,
    GradingStarted,
    WorkersReady,
)
from autograder.grading.progress import GradingProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def text(view: GradingProgress) -> str:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(view)
    return console.file.getvalue()  # type: ignore[attr-defined]


def result(sid: str, **extra: object) -> SubmissionResult:
    return SubmissionResult(student_id=sid, sheet="toy", submission=f"{sid}.py", gradable=True, grader_error="",
                            execution_time=0.0, extra_data=extra)


def test_running_students_elapsed_time_and_no_eta_from_fast_blank_notebooks() -> None:
    clock = Clock()
    view = GradingProgress(clock=clock)
    view.on_event(BatchStarted(total=10, todo=10, skipped=0))
    view.on_event(WorkersReady(jobs=2, device="cpu"))
    for blank in ("blank1", "blank2", "blank3"):  # three blank notebooks, a second each
        view.on_event(GradingStarted(student_id=blank))
        clock.now += 1
        view.on_event(GradingDone(result=result(blank)))
        assert "ETA after more results" in text(view) or blank == "blank3"
    view.on_event(GradingStarted(student_id="alice"))
    view.on_event(GradingStarted(student_id="bob"))
    clock.now += 60  # two complete notebooks, still training
    shown = text(view)
    assert "3/10" in shown and "elapsed 0:01:03" in shown
    assert "now grading: alice (0:01:00), bob (0:01:00)" in shown
    # not 7 x 1 s / 2 workers: the running ones already took a minute each
    assert "ETA at least 0:02:30" in shown


def test_the_eta_waits_for_a_share_of_the_batch_and_ignores_shared_copies() -> None:
    clock = Clock()
    view = GradingProgress(clock=clock)
    view.on_event(BatchStarted(total=40, todo=40, skipped=0))
    for index in range(3):
        view.on_event(GradingStarted(student_id=f"s{index}"))
        clock.now += 30
        view.on_event(GradingDone(result=result(f"s{index}")))
    view.on_event(GradingDone(result=result("twin", grading_shared_from="s0")))  # a copy of s0's grading: no time
    assert view.durations == [30.0, 30.0, 30.0] and view.completed == 4
    assert "ETA after more results" in text(view)  # 3 of 40 is not yet a tenth
    view.on_event(GradingStarted(student_id="s3"))
    clock.now += 30
    view.on_event(GradingDone(result=result("s3")))
    assert "ETA 0:17:30" in text(view)  # 35 left x 30 s, one worker
    assert "now grading: nothing" in text(view)


def test_skipped_results_count_as_done_and_failures_are_counted() -> None:
    view = GradingProgress(clock=Clock())
    view.on_event(BatchStarted(total=5, todo=2, skipped=3))
    view.on_event(GradingDone(result=SubmissionResult(student_id="x", sheet="toy", submission="x.py", gradable=False,
                                                      grader_error="", execution_time=0.1, extra_data={})))
    shown = text(view)
    assert "4/5" in shown and "1 failed" in shown


def test_batch_events_are_models_of_one_union_by_kind() -> None:
    started = BatchStarted(total=3, todo=2, skipped=1)
    assert isinstance(started, BatchStarted) and (started.reused, started.shared) == (0, 0)
    assert TypeAdapter(BatchEvent).validate_python({"kind": "workers", "jobs": 2, "device": "cpu"}) == \
        WorkersReady(jobs=2, device="cpu")
    done = GradingDone(result=result("ann"))
    assert isinstance(done, GradingDone) and done.result.student_id == "ann"
    with pytest.raises(ValidationError):
        TypeAdapter(BatchEvent).validate_python({"kind": "finished", "student_id": "ann"})
