"""What a warm worker keeps between tasks: the config, torch and the references imported once, the sandbox zygote."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from autograder.core.config import CourseConfig
from autograder.core.errors import SubmissionError
from autograder.core.results import SubmissionResult
from autograder.grading.worker.judge_child import judge_in_child
from autograder.grading.worker.task import GradeTask


class WorkerRuntime:
    """Holds the warm state of one worker: config, imported modules, the sandbox zygote."""

    def __init__(self, config: CourseConfig, *, worker_index: int = 0, device: str = "cpu",
                 parent_fd: int | None = None) -> None:
        self.config = config
        self.worker_index = worker_index
        self.device = device
        self.parent_fd = parent_fd  # the task pipe: when it hangs up, grading stops
        self._zygote: Any = None
        # The zygote imports torch in its own process: start it now, so that it warms up while
        # this process does (about half the start-up time of a worker on 2 cores).
        self._zygote_starting: Future[Any] | None = _start_in_thread(_new_zygote)
        self.warm()
        iso = config.isolation
        if iso.switch_uid and os.geteuid() == 0:
            from autograder.sandbox import uids

            # Leased here, before any judge is forked: the lock lives as long as this worker, and
            # every judge's sandbox_request finds the same uid.
            uids.lease(iso.uid_base + worker_index, base=iso.uid_base)

    def warm(self) -> None:
        import torch

        torch.set_num_threads(1)  # before any op: a fork after a multi-threaded op deadlocks
        import hypothesis  # noqa: F401
        import pytest  # noqa: F401
        import transformers  # noqa: F401
        from transformers import GPT2Config, GPT2Model  # noqa: F401

        from autograder.judge import runner, warmup

        for sheet in self.config.sheets.values():
            with contextlib.suppress(Exception):  # reported per submission by the judge
                reference = runner.import_reference(self.config, sheet)
                # A reference may compute, once per worker, what every judge would otherwise
                # recompute per submission (data sets the hidden tests build, say).
                hook = getattr(reference, "warm_judge", None)
                if callable(hook):
                    hook()
        warmup.warm_judge(self.config)
        # Everything imported so far is moved out of the collector's reach. A judge process is a
        # fork of this one; without this, each gc.collect() there walks (and so copies, page by
        # page) every object torch and transformers made: about 0.2 s a collection on 2 cores.
        gc.collect()
        gc.freeze()

    @property
    def zygote(self) -> Any:
        from autograder.sandbox.client import Zygote

        if self._zygote_starting is not None:
            starting, self._zygote_starting = self._zygote_starting, None
            try:
                self._zygote = starting.result()
            except Exception:  # noqa: BLE001 - try once more, in the open, so that the error shows
                self._zygote = None
        if self._zygote is None or not self._zygote.alive():
            self._zygote = Zygote()
        return self._zygote

    def close(self) -> None:
        if self._zygote_starting is not None:
            with contextlib.suppress(Exception):
                self._zygote = self._zygote_starting.result()
            self._zygote_starting = None
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def grade(self, task: GradeTask) -> SubmissionResult:
        """Grade one submission. Always returns a result; never raises for the student's doing."""
        from autograder.core.submission import load_submission
        from autograder.grades.written import attach_answers

        sheet = self.config.sheet(task.sheet)
        limits = self.config.limits
        path = Path(task.path)
        common = {"student_id": task.student_id, "sheet": sheet.name, "submission": path.name,
                      "max_score": sheet.total_points, "points": sheet.points}
        try:
            loaded = load_submission(path, max_bytes=limits.max_submission_mb * 1024 * 1024,
                                     expected_sheet=sheet.name)
        except SubmissionError as exc:
            return SubmissionResult.not_gradable(message=str(exc), **common)  # type: ignore[arg-type]
        result = attach_answers(judge_in_child(self, task, loaded, common), loaded, sheet)
        if task.submitted_at:
            result = result.model_copy(update={"submitted_at": dt.datetime.fromisoformat(task.submitted_at)})
        return result


def _new_zygote() -> Any:
    from autograder.sandbox.client import Zygote

    return Zygote()


def _start_in_thread(function: Any) -> Future[Any]:
    """Run ``function`` in a daemon thread that ends before this process first forks a judge."""
    future: Future[Any] = Future()

    def target() -> None:
        try:
            future.set_result(function())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=target, name="zygote-start", daemon=True).start()
    return future
