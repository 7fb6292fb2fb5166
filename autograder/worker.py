"""A warm grading worker: torch, transformers, pytest and the reference imported once.

Per submission it forks a judge process (fresh pytest, fresh hidden-test modules) that talks to a
sandbox forked from the worker's zygote. So the cost of a submission is two forks, not an import.

Run as a subprocess by :class:`autograder.batch.Grader` (``python -m autograder.worker``; tasks on
stdin, results on stdout, one JSON line each), or in-process by a Dask worker via :func:`grade_task`.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import select
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.config import CourseConfig, load_config
from autograder.errors import SubmissionError
from autograder.results import SubmissionResult

SUBMISSION_GRACE_S = 30.0


@dataclass(frozen=True)
class GradeTask:
    sheet: str
    path: str
    student_id: str
    protected: tuple[str, ...] = ()
    submitted_at: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> GradeTask:
        data = json.loads(text)
        data["protected"] = tuple(data.get("protected", ()))
        return cls(**data)


class WorkerRuntime:
    """Holds the warm state of one worker: config, imported modules, the sandbox zygote."""

    def __init__(self, config: CourseConfig, *, worker_index: int = 0, device: str = "cpu") -> None:
        self.config = config
        self.worker_index = worker_index
        self.device = device
        self._zygote: Any = None
        # The zygote imports torch in its own process: start it now, so that it warms up while
        # this process does (about half the start-up time of a worker on 2 cores).
        self._zygote_starting: Future[Any] | None = _start_in_thread(_new_zygote)
        self.warm()

    def warm(self) -> None:
        import torch

        torch.set_num_threads(1)  # before any op: a fork after a multi-threaded op deadlocks
        import hypothesis  # noqa: F401
        import pytest  # noqa: F401
        import transformers  # noqa: F401
        from transformers import GPT2Config, GPT2Model  # noqa: F401

        from autograder.judge import runner

        for sheet in self.config.sheets.values():
            try:
                runner.import_reference(self.config, sheet)
            except Exception:  # noqa: BLE001 - reported per submission by the judge
                pass
        runner.warm_judge(self.config)
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
            try:
                self._zygote = self._zygote_starting.result()
            except Exception:  # noqa: BLE001
                pass
            self._zygote_starting = None
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def grade(self, task: GradeTask) -> SubmissionResult:
        """Grade one submission. Always returns a result; never raises for the student's doing."""
        from autograder.submission import load_submission

        sheet = self.config.sheet(task.sheet)
        limits = self.config.limits
        path = Path(task.path)
        common = dict(student_id=task.student_id, sheet=sheet.name, submission=path.name,
                      max_score=sheet.total_points, points=sheet.points)
        try:
            loaded = load_submission(path, max_bytes=limits.max_submission_mb * 1024 * 1024,
                                     expected_sheet=sheet.name)
        except SubmissionError as exc:
            return SubmissionResult.not_gradable(message=str(exc), **common)  # type: ignore[arg-type]
        result = self._judge_in_child(task, loaded, common)
        if task.submitted_at:
            result = result.model_copy(update={"submitted_at": dt.datetime.fromisoformat(task.submitted_at)})
        return result

    def _judge_in_child(self, task: GradeTask, loaded: Any, common: dict[str, Any]) -> SubmissionResult:
        zygote = self.zygote
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the judge process
            os.close(read_end)
            _judge_child(self, task, loaded, zygote, write_end)
            os._exit(0)
        os.close(write_end)
        limit = self.config.limits.submission_timeout_s + SUBMISSION_GRACE_S
        lines, finished = _read_lines(read_end, time.monotonic() + limit)
        os.close(read_end)
        sandboxes = [int(line["sandbox_pid"]) for line in lines if "sandbox_pid" in line]
        if not finished:
            _kill(pid)
        for sandbox in sandboxes:
            _kill(sandbox)  # a pid namespace's init: every process the submission started dies with it
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        for line in lines:
            if "result" in line:
                return SubmissionResult.model_validate(line["result"]).model_copy(
                    update={"submission_sha256": loaded.sha256})
        message = ("grading ran past the submission limit" if not finished
                   else next((line["error"] for line in lines if "error" in line), "the judge process died"))
        return SubmissionResult.crashed(message=message, sha256=loaded.sha256, **common)  # type: ignore[arg-type]


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


def _judge_child(runtime: WorkerRuntime, task: GradeTask, loaded: Any, zygote: Any, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pytest's chatter must not reach the worker's protocol stream
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        from autograder.judge import runner

        def report_sandbox(pid: int) -> None:
            out.write(json.dumps({"sandbox_pid": pid}) + "\n")

        sheet = runtime.config.sheet(task.sheet)
        result = runner.run_judge(
            config=runtime.config, sheet=sheet, submission=loaded, student_id=task.student_id,
            zygote=zygote, worker_index=runtime.worker_index, device=runtime.device,
            protected=list(task.protected), on_sandbox=report_sandbox,
        )
        out.write(json.dumps({"result": json.loads(result.model_dump_json())}) + "\n")
    except BaseException:  # noqa: BLE001
        out.write(json.dumps({"error": traceback.format_exc()[-4000:]}) + "\n")
    finally:
        out.flush()


def _read_lines(fd: int, deadline: float) -> tuple[list[dict[str, Any]], bool]:
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return [json.loads(line) for line in buffer.splitlines() if line.strip()], True
        buffer += chunk
    return [json.loads(line) for line in buffer.splitlines()[:-1] if line.strip()], False


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------ Dask entry point

_RUNTIMES: dict[tuple[str, str], WorkerRuntime] = {}


def grade_task(task: dict[str, Any], *, config_path: str, device: str = "cpu") -> dict[str, Any]:
    """One submission, as a plain function a Dask worker runs; the warm runtime is cached per process."""
    key = (config_path, device)
    if key not in _RUNTIMES:
        _RUNTIMES[key] = WorkerRuntime(load_config(Path(config_path)), worker_index=os.getpid() % 1000,
                                       device=device)
    result = _RUNTIMES[key].grade(GradeTask(**{**task, "protected": tuple(task.get("protected", ()))}))
    return json.loads(result.model_dump_json())


# ------------------------------------------------------------------ subprocess entry point


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="autograder worker (started by `autograder grade`)")
    parser.add_argument("--config", required=True)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    runtime = WorkerRuntime(load_config(Path(args.config)), worker_index=args.index, device=args.device)
    runtime.zygote  # noqa: B018 - start it now, while nothing is waiting
    protocol.write(json.dumps({"ready": True}) + "\n")
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            task = GradeTask.from_json(line)
            try:
                result = runtime.grade(task)
                protocol.write(json.dumps({"result": json.loads(result.model_dump_json())}) + "\n")
            except Exception:  # noqa: BLE001 - a grader bug: report it, keep serving
                protocol.write(json.dumps({"error": traceback.format_exc()[-4000:]}) + "\n")
    finally:
        runtime.close()


if __name__ == "__main__":
    main(sys.argv[1:])
