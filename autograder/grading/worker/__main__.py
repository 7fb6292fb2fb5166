"""``python -m autograder.grading.worker``: a warm worker process; tasks on stdin, replies on stdout, one JSON line each.

Started by :class:`autograder.grading.worker.handle.WorkerProcess`. The worker grades only while its
parent lives: when the task pipe closes it kills its judge and sandbox.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from autograder.core.config import load_config
from autograder.grading.worker.runtime import WorkerRuntime
from autograder.grading.worker.task import GradeTask, WorkerAbandoned, WorkerReply


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
        protocol.write(WorkerReply(ready=True).line())
        for line in sys.stdin:
            if not line.strip():
                continue
            task = GradeTask.from_json(line)
            try:
                result = runtime.grade(task)
                protocol.write(WorkerReply(result=result).line())
            except WorkerAbandoned:
                return
            except Exception:  # noqa: BLE001 - a grader bug: report it, keep serving
                protocol.write(WorkerReply(error=traceback.format_exc()[-4000:]).line())
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


if __name__ == "__main__":
    main(sys.argv[1:])
