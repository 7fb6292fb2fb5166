"""Warm workers on one machine: the pool (:class:`Grader`), and which device and GPU slot each worker gets.

A :class:`Grader` starts its worker processes once (torch imported once per worker) and grades one
submission at a time per worker; a batch (:mod:`autograder.grading.batch`), the release gate, the
service and the regrades all grade on one. The Dask pool of :mod:`autograder.grading.distributed`
keeps the same workers on a cluster's machines.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Self

from autograder.core.config import CourseConfig
from autograder.core.errors import UsageError
from autograder.core.results import SubmissionResult
from autograder.grading.collect import student_id_for
from autograder.grading.worker.handle import WorkerProcess
from autograder.grading.worker.task import GradeTask, WorkerReply

# ------------------------------------------------------------------ devices


def discover_gpus() -> list[str]:
    """The GPUs this process may use, without touching CUDA (a fork after that breaks).

    CUDA_VISIBLE_DEVICES, when set, is the answer (Slurm, Kubernetes and dask-cuda set it; "" means
    none); otherwise one entry per GPU in the driver's /proc listing.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [entry.strip() for entry in visible.split(",") if entry.strip() and entry.strip() != "-1"]
    root = Path("/proc/driver/nvidia/gpus")
    if not root.is_dir():
        return []
    return [str(i) for i, _ in enumerate(sorted(root.iterdir()))]


def resolve_device(setting: str, gpus: Sequence[str]) -> str:
    if setting == "cuda" and not gpus:
        raise UsageError("--device cuda was asked for, but no NVIDIA GPU was found "
                         "(check nvidia-smi and CUDA_VISIBLE_DEVICES, or grade with --device cpu)")
    if setting == "auto":
        return "cuda" if gpus else "cpu"
    if setting not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {setting!r}: use auto, cpu or cuda")
    return setting


def worker_slots(config: CourseConfig, *, jobs: int, device: str, gpus: Sequence[str]) -> list[str | None]:
    """One CUDA_VISIBLE_DEVICES value per worker; never more workers per GPU than configured.

    With ``sandboxes_per_gpu`` > 1 the slots go round the GPUs (0, 1, 0, 1), so that a batch smaller
    than the capacity still spreads over every GPU.
    """
    if device != "cuda":
        return [None] * max(1, jobs)
    gpu_list = list(config.gpu_slots or gpus)
    if not gpu_list:
        raise UsageError("--device cuda was asked for, but the course config's gpu_slots is empty")
    capacity: list[str | None] = [slot for _ in range(config.sandboxes_per_gpu) for slot in gpu_list]
    return capacity[: max(1, min(jobs, len(capacity)))]


# ------------------------------------------------------------------ workers


class Grader:
    """A pool of warm workers. ``grade_file`` is blocking, thread-safe, and never raises for a submission."""

    def __init__(self, config: CourseConfig, *, jobs: int = 1, device: str = "auto",
                 config_file: Path | None = None) -> None:
        self.config = config
        gpus = discover_gpus()
        self.device = resolve_device(config.device if device == "auto" else device, gpus)
        self.config_file = config_file or (config.root / "course_config.py")
        slots = worker_slots(config, jobs=max(1, jobs), device=self.device, gpus=gpus)
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._closing = False
        # Started together (their imports overlap), then waited for; a failure stops the others.
        try:
            for index, slot in enumerate(slots):
                self._all.append(WorkerProcess(self.config_file, index=index, device=self.device, gpu_slot=slot))
            for worker in self._all:
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        for worker in self._all:
            self._idle.put(worker)

    @property
    def jobs(self) -> int:
        return len(self._all)

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def slots(self) -> list[str | None]:
        """The GPU slot of each worker (None on the CPU)."""
        return [worker.gpu_slot for worker in self._all]

    def grade_file(self, *, sheet: str, path: Path, student_id: str | None = None,
                   submitted_at: dt.datetime | None = None, protected: Iterable[str] = (),
                   skip_tests: Sequence[str] = ()) -> SubmissionResult:
        sheet_config = self.config.sheet(sheet)
        sid = student_id or student_id_for(path)
        task = GradeTask(sheet=sheet, path=str(Path(path).resolve()), student_id=sid,
                         protected=tuple(protected) or (str(Path(path).resolve().parent),),
                         submitted_at=submitted_at.isoformat() if submitted_at else None,
                         skip_tests=tuple(skip_tests))
        worker = self._idle.get()
        try:
            reply = worker.grade(task)
        except Exception as exc:  # noqa: BLE001 - the worker died: replace it, record the failure
            reply = WorkerReply(error=f"grading worker failed: {exc}")
            worker = self._replace(worker)
        finally:
            self._idle.put(worker)
        if reply.result is not None:
            return reply.result
        return SubmissionResult.crashed(student_id=sid, sheet=sheet, submission=Path(path).name,
                                        message=str(reply.error), max_score=sheet_config.total_points,
                                        points=sheet_config.points)

    def _replace(self, worker: WorkerProcess) -> WorkerProcess:
        worker.close()
        if self._closing:
            return worker
        fresh = WorkerProcess(self.config_file, index=worker.index, device=self.device, gpu_slot=worker.gpu_slot)
        try:
            fresh.wait_ready()
        except RuntimeError:
            pass  # its next task fails fast and replaces it again
        with self._lock:
            self._all[self._all.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        self._closing = True
        for worker in self._all:
            worker.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
