"""One judge per submission: forked from the warm worker, its result read back over a pipe, killed past its limit.

The judge process is a fork of the worker (fresh pytest, fresh hidden-test modules, nothing left from
the previous submission); it dies with the worker (PR_SET_PDEATHSIG), and the worker kills it and the
sandboxes it reported when it runs past the submission's wall-clock backstop.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from typing import TYPE_CHECKING, Any

from autograder.core.results import SubmissionResult
from autograder.grading.worker.fdio import read_lines
from autograder.grading.worker.memory import limit_memory
from autograder.grading.worker.task import GradeTask, WorkerAbandoned, WorkerReply

if TYPE_CHECKING:
    from autograder.grading.worker.runtime import WorkerRuntime

SUBMISSION_GRACE_S = 30.0
PR_SET_PDEATHSIG = 1


def judge_in_child(runtime: WorkerRuntime, task: GradeTask, loaded: Any, common: dict[str, Any]) -> SubmissionResult:
    """Fork a judge for ``task``, collect its result (or why there is none), and clean up after it."""
    zygote = runtime.zygote
    read_end, write_end = os.pipe()
    worker = os.getpid()
    pid = os.fork()
    if pid == 0:  # the judge process
        os.close(read_end)
        _die_with_parent(signal.SIGKILL)
        if os.getppid() != worker:  # the worker died before that took effect
            os._exit(0)
        _judge_child(runtime, task, loaded, zygote, write_end)
        os._exit(0)
    os.close(write_end)
    limits = runtime.config.limits  # a wall-clock backstop: RLIMIT_CPU (cpu_time_s) is the CPU cap
    limit = limits.wall_backstop(limits.submission_timeout_s) + SUBMISSION_GRACE_S
    raw, status = read_lines(read_end, time.monotonic() + limit, watch=runtime.parent_fd)
    lines = [WorkerReply.of(line) for line in raw]
    os.close(read_end)
    finished = status == "finished"
    sandboxes = [line.sandbox_pid for line in lines if line.sandbox_pid is not None]
    if not finished:
        _kill(pid)
    if not finished or not any(line.result is not None for line in lines):
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
        if line.result is not None:
            result = line.result
            return result.with_extra(judge_peak_mb=peak_mb).model_copy(update={"submission_sha256": loaded.sha256})
    message = ("grading ran past the submission limit" if not finished
               else next((line.error for line in lines if line.error is not None), "the judge process died"))
    if finished and peak_mb:
        message += f" (the judge's peak memory: {peak_mb:g} MB)"
    return SubmissionResult.crashed(message=message, sha256=loaded.sha256, **common)  # type: ignore[arg-type]


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
            out.write(WorkerReply(sandbox_pid=pid).line())

        sheet = runtime.config.sheet(task.sheet)
        result = runner.run_judge(
            config=runtime.config, sheet=sheet, submission=loaded, student_id=task.student_id,
            zygote=zygote, worker_index=runtime.worker_index, device=runtime.device,
            protected=list(task.protected), on_sandbox=report_sandbox, skip_tests=task.skip_tests,
        )
        out.write(WorkerReply(result=result).line())
    except BaseException:  # noqa: BLE001
        out.write(WorkerReply(error=traceback.format_exc()[-4000:]).line())
    finally:
        out.flush()


def _die_with_parent(sig: int) -> None:
    """Ask Linux to send ``sig`` when our parent exits (a no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
