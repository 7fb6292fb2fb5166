"""A warm grading worker: torch, transformers, pytest and the reference imported once.

Per submission it forks a judge process (fresh pytest, fresh hidden-test modules) that talks to a
sandbox forked from the worker's zygote. So the cost of a submission is two forks, not an import.

Run as a subprocess (``python -m autograder.grading.worker``; tasks on stdin, results on stdout, one JSON
line each) through :class:`WorkerProcess`: by :class:`autograder.grading.batch.Grader` on one machine, and
by :func:`grade_task` on each Dask worker of a cluster (:mod:`autograder.grading.distributed`). The worker
grades only while its parent lives: when the task pipe closes it kills its judge and sandbox.
"""

from __future__ import annotations

import contextlib
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

from autograder.core.config import CourseConfig, load_config
from autograder.core.errors import SubmissionError
from autograder.core.results import SubmissionResult

SUBMISSION_GRACE_S = 30.0
WORKER_START_TIMEOUT_S = 180.0
PR_SET_PDEATHSIG = 1


class WorkerAbandoned(Exception):
    """The worker's parent went away mid-grade: the judge and sandbox were killed."""


@dataclass(frozen=True)
class GradeTask:
    sheet: str
    path: str
    student_id: str
    protected: tuple[str, ...] = ()
    submitted_at: str | None = None
    skip_tests: tuple[str, ...] = ()  # hidden tests not to run (the release gate's reuse)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> GradeTask:
        data = json.loads(text)
        data["protected"] = tuple(data.get("protected", ()))
        data["skip_tests"] = tuple(data.get("skip_tests", ()))
        return cls(**data)


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

        from autograder.judge import runner

        for sheet in self.config.sheets.values():
            with contextlib.suppress(Exception):  # reported per submission by the judge
                reference = runner.import_reference(self.config, sheet)
                # A reference may compute, once per worker, what every judge would otherwise
                # recompute per submission (data sets the hidden tests build, say).
                hook = getattr(reference, "warm_judge", None)
                if callable(hook):
                    hook()
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
        result = attach_answers(self._judge_in_child(task, loaded, common), loaded, sheet)
        if task.submitted_at:
            result = result.model_copy(update={"submitted_at": dt.datetime.fromisoformat(task.submitted_at)})
        return result

    def _judge_in_child(self, task: GradeTask, loaded: Any, common: dict[str, Any]) -> SubmissionResult:
        zygote = self.zygote
        read_end, write_end = os.pipe()
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:  # the judge process
            os.close(read_end)
            _die_with_parent(signal.SIGKILL)
            if os.getppid() != worker:  # the worker died before that took effect
                os._exit(0)
            _judge_child(self, task, loaded, zygote, write_end)
            os._exit(0)
        os.close(write_end)
        limits = self.config.limits  # a wall-clock backstop: RLIMIT_CPU (cpu_time_s) is the CPU cap
        limit = limits.wall_backstop(limits.submission_timeout_s) + SUBMISSION_GRACE_S
        lines, status = _read_lines(read_end, time.monotonic() + limit, watch=self.parent_fd)
        os.close(read_end)
        finished = status == "finished"
        sandboxes = [int(line["sandbox_pid"]) for line in lines if "sandbox_pid" in line]
        if not finished:
            _kill(pid)
        if not finished or not any("result" in line for line in lines):
            # The judge did not close its sandboxes itself. Kill the pid namespaces' inits now (every
            # process the submission started dies with them). After a normal finish the judge has
            # already done so, and a second kill could hit a recycled pid.
            for sandbox in sandboxes:
                _kill(sandbox)
        peak_mb = 0.0
        try:
            _, _, usage = os.wait4(pid, 0)
            peak_mb = round(usage.ru_maxrss / 1024, 1)  # kB on Linux
        except ChildProcessError:
            pass
        if status == "abandoned":
            raise WorkerAbandoned("the process that asked for this grade is gone")
        for line in lines:
            if "result" in line:
                result = SubmissionResult.model_validate(line["result"])
                return result.model_copy(update={
                    "submission_sha256": loaded.sha256,
                    "extra_data": {**result.extra_data, "judge_peak_mb": peak_mb}})
        message = ("grading ran past the submission limit" if not finished
                   else next((line["error"] for line in lines if "error" in line), "the judge process died"))
        if finished and peak_mb:
            message += f" (the judge's peak memory: {peak_mb:g} MB)"
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
    limit_memory(runtime.config.limits.judge_memory_mb)
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
            protected=list(task.protected), on_sandbox=report_sandbox, skip_tests=task.skip_tests,
        )
        out.write(json.dumps({"result": json.loads(result.model_dump_json())}) + "\n")
    except BaseException:  # noqa: BLE001
        out.write(json.dumps({"error": traceback.format_exc()[-4000:]}) + "\n")
    finally:
        out.flush()


def _read_lines(fd: int, deadline: float, *, watch: int | None = None) -> tuple[list[dict[str, Any]], str]:
    """The judge's reply lines, and ``finished``, ``timeout`` or ``abandoned`` (``watch`` hung up)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if watch is not None:
        poller.register(watch, 0)  # hang-up and errors only: the parent sends nothing while we grade
    buffer = b""
    status = "timeout"
    while (remaining := deadline - time.monotonic()) > 0:
        events = dict(poller.poll(remaining * 1000))
        if watch is not None and events.get(watch, 0) & (select.POLLHUP | select.POLLERR):
            status = "abandoned"
            break
        if fd not in events:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return [json.loads(line) for line in buffer.splitlines() if line.strip()], "finished"
        buffer += chunk
    return [json.loads(line) for line in buffer.splitlines()[:-1] if line.strip()], status


def _die_with_parent(sig: int) -> None:
    """Ask Linux to send ``sig`` when our parent exits (a no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def limit_memory(extra_mb: int) -> None:
    """Let this process take at most ``extra_mb`` more memory than it holds now (RLIMIT_DATA).

    What the judge decodes from the sandbox is bounded per call (``Limits.max_return_mb``); this
    bounds what a hidden test keeps of many calls, and anything else one submission makes the
    judge hold: past it an allocation raises MemoryError (that check fails) instead of the host's
    OOM killer choosing a victim among N judges. The data segment, not the address space: CUDA
    reserves far more address space than it uses, and torch's and glibc's large blocks are private
    writable mappings, which RLIMIT_DATA counts.
    """
    import resource

    data_kb = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmData:"):
                data_kb = int(line.split()[1])
    limit = data_kb * 1024 + extra_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


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
    warmed = _exit_if_orphaned_until(sys.stdin.fileno())
    runtime = WorkerRuntime(load_config(Path(args.config)), worker_index=args.index, device=args.device,
                            parent_fd=sys.stdin.fileno())
    try:
        runtime.zygote  # noqa: B018 - start it now, while nothing is waiting
        warmed()
        protocol.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            if not line.strip():
                continue
            task = GradeTask.from_json(line)
            try:
                result = runtime.grade(task)
                protocol.write(json.dumps({"result": json.loads(result.model_dump_json())}) + "\n")
            except WorkerAbandoned:
                return
            except Exception:  # noqa: BLE001 - a grader bug: report it, keep serving
                protocol.write(json.dumps({"error": traceback.format_exc()[-4000:]}) + "\n")
    except BrokenPipeError:
        pass  # the parent went away between two lines
    finally:
        runtime.close()


def _exit_if_orphaned_until(task_fd: int) -> Any:
    """Exit at once if the parent goes away before the returned function is called (the warm-up).

    Warming up takes seconds to minutes and reads no task; a parent killed meanwhile would leave
    this worker importing torch for nothing. Once warm, the task loop sees the hang-up itself. The
    watching thread is joined when warm: no thread may be alive when a judge is forked.
    """
    done = threading.Event()

    def watch() -> None:
        poller = select.poll()
        poller.register(task_fd, 0)  # hang-up and errors only
        while not done.is_set():
            if poller.poll(200):
                os._exit(0)  # nothing of ours runs yet but the zygote, which sees its socket close

    thread = threading.Thread(target=watch, name="orphan-watch", daemon=True)
    thread.start()

    def warmed() -> None:
        done.set()
        thread.join()

    return warmed


class WorkerProcess:
    """The parent's end of one warm worker subprocess: one task at a time, one JSON line each way."""

    def __init__(self, config_file: Path, *, index: int, device: str, gpu_slot: str | None) -> None:
        import subprocess

        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")  # judges are forked: no tokenizer thread pools
        if device == "cuda" and gpu_slot is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu_slot
        elif device != "cuda":
            env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU run never takes GPU memory
        self.config_file, self.index, self.device, self.gpu_slot = config_file, index, device, gpu_slot
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.worker", "--config", str(config_file), "--index", str(index),
             "--device", device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1,
            start_new_session=True,  # the terminal's Ctrl-C goes to the parent, which stops us cleanly
        )

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], WORKER_START_TIMEOUT_S)
        line = self.process.stdout.readline() if ready else ""
        if not line or not json.loads(line).get("ready"):
            self.close()
            raise RuntimeError(f"grading worker {self.index} failed to start (see its messages above)")

    def grade(self, task: GradeTask) -> dict[str, Any]:
        """``{"result": ...}`` or ``{"error": ...}``; raises RuntimeError when the worker died."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(task.to_json() + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise RuntimeError(f"the grading worker died ({exc})") from None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the grading worker died (exit status {self.process.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------ Dask entry point

DASK_FIRST_INDEX = 100  # worker indices 0.. belong to `autograder grade --jobs` on the same machine


class WarmPool:
    """This process's idle warm workers (what Dask tasks reuse) and the worker indices it holds.

    One warm worker per concurrent task; an index is claimed with a machine-wide lock file, held
    until this process exits, so no other grader on the machine picks the same sandbox uid.
    """

    def __init__(self, first_index: int = DASK_FIRST_INDEX) -> None:
        self.first_index = first_index
        self.idle: list[WorkerProcess] = []
        self.lock = threading.Lock()
        self.slot_fds: list[int] = []

    def take(self, config_file: Path, device: str) -> WorkerProcess:
        """An idle live worker for ``config_file`` and ``device``, else a new one (started and ready)."""
        with self.lock:
            idle = [w for w in self.idle if w.device == device and w.config_file == config_file]
            for worker in idle:
                self.idle.remove(worker)
                if worker.alive():
                    return worker
                worker.close()
            index = self._claim_index()
        worker = WorkerProcess(config_file, index=index, device=device, gpu_slot=None)
        worker.wait_ready()
        return worker

    def put(self, worker: WorkerProcess) -> None:
        with self.lock:
            self.idle.append(worker)

    def _claim_index(self) -> int:
        """A worker index no other process on this machine holds (it picks the sandbox uid)."""
        import fcntl
        import tempfile

        folder = Path(tempfile.gettempdir()) / "autograder-worker-slots"
        folder.mkdir(mode=0o700, exist_ok=True)
        for index in range(self.first_index, 1000):
            fd = os.open(folder / f"{index}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.slot_fds.append(fd)  # held (and so reserved) until this process exits
            return index
        raise RuntimeError("no free worker index on this machine")


_DASK_POOL = WarmPool()  # grade_task is sent to Dask workers by reference: its pool is per process


def grade_task(task: dict[str, Any], *, config_path: str, device: str = "cpu") -> dict[str, Any]:
    """Grade one submission (``GradeTask`` fields) in a warm worker subprocess of this process.

    What a Dask worker runs. The warm worker is started on first use and kept for later tasks;
    concurrent calls (a Dask worker with several threads) get one warm worker each. ``device`` is
    ``cpu`` or ``cuda`` (this process's CUDA_VISIBLE_DEVICES decides which GPU). Returns the result
    as a JSON-able dict; raises RuntimeError when grading could not run at all.
    """
    grade = GradeTask(**{**task, "protected": tuple(task.get("protected", ()))})
    worker = _DASK_POOL.take(Path(config_path), device)
    try:
        reply = worker.grade(grade)
    except RuntimeError:
        worker.close()
        raise
    _DASK_POOL.put(worker)
    if "result" not in reply:
        raise RuntimeError(f"grading failed: {reply.get('error')}")
    return reply["result"]  # type: ignore[no-any-return]


if __name__ == "__main__":
    main(sys.argv[1:])
