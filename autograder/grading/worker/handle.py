"""The parent's end of a warm worker subprocess (:class:`WorkerProcess`): start it, send tasks, stop it.

Used by :class:`autograder.grading.pool.Grader` on one machine, and by the Dask pool of
:mod:`autograder.grading.distributed` on each worker of a cluster.
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

from autograder.grading.worker.task import GradeTask, WorkerReply

WORKER_START_TIMEOUT_S = 180.0


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
        if not line or not WorkerReply.of(line).ready:
            self.close()
            raise RuntimeError(f"grading worker {self.index} failed to start (see its messages above)")

    def grade(self, task: GradeTask) -> WorkerReply:
        """The worker's reply (a result or an error); raises RuntimeError when the worker died."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(task.to_json() + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise RuntimeError(f"the grading worker died ({exc})") from None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the grading worker died (exit status {self.process.wait()})")
        return WorkerReply.of(line)

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
