"""Fake grading engines with the interface of :class:`autograder.grading.pool.Grader`.

``FakeGrader`` grades by looking for markers in the file: ``bug:<exercise>`` fails that
exercise's check, ``not a notebook`` makes the file not gradable, ``explode`` makes it raise.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from autograder.core.config import CourseConfig
from autograder.core.results import CaseResult, SubmissionResult


class FakeGrader:
    def __init__(self, config: CourseConfig, *, delay: float = 0.0) -> None:
        self.config = config
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.closed = False
        self._lock = threading.Lock()

    def grade_file(
        self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime
    ) -> SubmissionResult:
        with self._lock:
            self.calls.append((student_id, Path(path).name))
        time.sleep(self.delay)
        data = Path(path).read_bytes()
        config = self.config.sheet(sheet)
        if b"explode" in data:
            raise RuntimeError("the fake engine exploded")
        if b"not a notebook" in data:
            return SubmissionResult.not_gradable(
                student_id=student_id, sheet=sheet, submission=Path(path).name,
                message="the file is not valid notebook JSON", max_score=config.total_points,
                points=config.points,
            )
        tests = []
        for exercise, points in config.points.items():
            broken = f"bug:{exercise}".encode() in data
            tests.append(CaseResult(
                name=f"test_{exercise.replace('.', '_')}", number=exercise,
                score=0.0 if broken else points, max_score=points,
                status="failed" if broken else "passed",
                output="the learning rate should follow a half cosine after warm-up" if broken else "",
                staff_output="Traceback: AssertionError in the hidden suite" if broken else "",
            ))
        first = next(iter(config.points))
        tests.append(CaseResult(
            name="test_secret_detail", number=first, score=0.0, max_score=0.0, status="passed",
            output="SECRET hidden-suite detail", visibility="hidden",
        ))
        return SubmissionResult(
            student_id=student_id, sheet=sheet, submission=Path(path).name,
            score=sum(t.score for t in tests), max_score=config.total_points, tests=tuple(tests),
            submitted_at=submitted_at, extra_data={"device": "cpu"},
        )

    def close(self) -> None:
        self.closed = True


class HangingGrader:
    """Signals that grading started (a marker file), then blocks until closed."""

    def __init__(self, config: CourseConfig, marker: Path) -> None:
        self.config = config
        self.marker = marker
        self._closed = threading.Event()

    def grade_file(
        self, *, sheet: str, path: Path, student_id: str, submitted_at: dt.datetime
    ) -> SubmissionResult:
        self.marker.write_text(f"{student_id} {Path(path).name}\n")
        self._closed.wait()
        raise RuntimeError("grader closed")

    def close(self) -> None:
        self._closed.set()
