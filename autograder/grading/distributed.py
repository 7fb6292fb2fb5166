"""Grade a batch on a Dask distributed cluster: the same per-submission job, on many machines.

``autograder grade SHEET ... --scheduler tcp://host:8786`` plans the batch here, keeps the job store
here and writes every result here as soon as it arrives, exactly as :func:`autograder.grading.batch.grade_batch`
does; the cluster's workers only grade, each task through :func:`grade_task` (a
warm worker subprocess per Dask worker: torch is imported once per worker, not once per task).

What the workers need (see docs/scaling.md):

- the ``autograder`` package and the course repository (config, hidden suite, reference, assignment
  files) at the same path as here, e.g. baked into the grading image. Submissions travel with their
  task, so workers need no shared file system;
- for GPU grading, one GPU per worker, declared as a resource (``--resources GPU=1``): every task
  then asks for ``GPU: 1``, so that a worker never grades two submissions on one GPU at once.

Before anything is graded, every worker's hash of the hidden suite and reference is compared with
this machine's: a worker with a stale image would hand out different grades, so the batch is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from autograder.core.config import CourseConfig
from autograder.core.errors import BatchRefused, UsageError
from autograder.core.results import SubmissionResult
from autograder.grading.batch import BatchItem, BatchSummary, OpenBatch, open_batch, submitted_at
from autograder.grading.events import BatchStarted, GradingDone, OnEvent, WorkersReady
from autograder.grading.worker.handle import WorkerProcess
from autograder.grading.worker.task import GradeTask

CONNECT_TIMEOUT_S = 30.0
WORKERS_TIMEOUT_S = 120.0
GPU_RESOURCE = "GPU"


def grade_on_cluster(
    *, config: CourseConfig, config_file: Path, sheet: str, paths: Sequence[Path], out_dir: Path,
    scheduler: str | Any, device: str = "auto", regrade: bool = False,
    on_event: OnEvent | None = None,
) -> BatchSummary:
    """Grade ``paths`` on the Dask cluster at ``scheduler``; results land in ``out_dir`` as they finish.

    ``scheduler`` is an address (``tcp://host:8786``) or a connected ``distributed.Client`` (from Dask
    Gateway, say: ``cluster.get_client()``), which is used and left open.
    """
    batch = open_batch(config=config, sheet=sheet, paths=paths, out_dir=out_dir, regrade=regrade)
    emit: OnEvent = on_event or (lambda event: None)
    emit(BatchStarted(total=len(batch.items), todo=len(batch.todo), skipped=batch.skipped,
                      reused=batch.reused, shared=batch.shared))
    if not batch.todo:
        return batch.finish()
    remote_config = str(config_file.resolve())
    own_client = isinstance(scheduler, str)
    client: Any = connect(scheduler) if isinstance(scheduler, str) else scheduler
    try:
        workers = check_workers(client, config_path=remote_config, sheet=sheet, suite=batch.suite)
        resources = {GPU_RESOURCE: 1} if device != "cpu" and gpu_workers(workers) else None
        if device == "cuda" and resources is None:
            raise UsageError(f"--device cuda: no worker of {scheduler} declares a {GPU_RESOURCE} resource; "
                             f"start GPU workers with `--resources {GPU_RESOURCE}=1` (see docs/scaling.md)")
        emit(WorkersReady(jobs=len(workers), device=device if device != "auto" else "auto (per worker)"))
        _run(client, batch, emit, config_path=remote_config, device=device, resources=resources)
    finally:
        if own_client:
            client.close()
    return batch.finish()


def connect(scheduler: str) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise UsageError(f"--scheduler needs Dask: pip install 'autograder[dask]' ({exc})") from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def check_workers(client: Any, *, config_path: str, sheet: str, suite: str) -> dict[str, Any]:
    """The cluster's workers, once each has shown that it holds this very hidden suite."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        raise UsageError(f"the Dask cluster has no workers (waited {WORKERS_TIMEOUT_S:g} s)") from None
    hashes = client.run(worker_suite_hash, config_path, sheet)
    stale = {address: found for address, found in hashes.items() if found != suite}
    if stale:
        details = "; ".join(f"{address}: {found}" for address, found in sorted(stale.items()))
        raise BatchRefused(
            f"{len(stale)} Dask worker(s) do not hold this machine's hidden suite and reference for {sheet} "
            f"at {config_path} (nothing was graded): {details}. Update the workers' image or mount, "
            "or grade from a machine with the same course version")
    return dict(client.scheduler_info(n_workers=-1)["workers"])


def gpu_workers(workers: dict[str, Any]) -> list[str]:
    return [address for address, info in workers.items() if info.get("resources", {}).get(GPU_RESOURCE)]


def worker_suite_hash(config_path: str, sheet: str) -> str:
    """Runs on each worker: the suite hash there, or why there is none."""
    from autograder.core.config import load_config
    from autograder.judge.fingerprint import suite_hash

    try:
        config = load_config(Path(config_path))
        return suite_hash(config, config.sheet(sheet))
    except Exception as exc:  # noqa: BLE001 - reported to the user by check_workers
        return f"no usable course config ({type(exc).__name__}: {exc})"


def _run(client: Any, batch: OpenBatch, emit: OnEvent, *, config_path: str, device: str,
         resources: dict[str, int] | None) -> None:
    from distributed import as_completed

    futures: dict[Any, BatchItem] = {}
    try:
        for item in batch.todo:
            task = RemoteTask(sheet=batch.sheet, student_id=item.student_id, filename=item.file.name,
                              submitted_at=when.isoformat() if (when := submitted_at(item)) else None)
            batch.started(item)
            future = client.submit(
                grade_remote, task, item.file.read_bytes(), config_path=config_path, device=device,
                key=f"autograder-{item.student_id}-{uuid.uuid4().hex[:12]}", resources=resources,
                pure=False, retries=1)
            futures[future] = item
        for future in as_completed(futures, loop=client.loop):
            for result in batch.record_all(futures[future], _result_of(future, batch, futures[future])):
                emit(GradingDone(result=result))
    finally:
        client.cancel(list(futures))  # Ctrl-C: nothing more is graded; finished results are kept


def _result_of(future: Any, batch: OpenBatch, item: BatchItem) -> SubmissionResult:
    try:
        return SubmissionResult.model_validate(future.result())
    except Exception as exc:  # noqa: BLE001 - a lost worker, a grader bug: a result, marked for a rerun
        points = batch.config.sheet(batch.sheet).points
        return SubmissionResult.crashed(
            student_id=item.student_id, sheet=batch.sheet, submission=item.file.name, sha256=item.sha256,
            message=f"the cluster could not grade it: {type(exc).__name__}: {exc}"[:4000],
            max_score=float(sum(points.values())), points=points)


# ------------------------------------------------------------------ on the workers


class RemoteTask(BaseModel):
    """What a Dask task carries besides the submission's bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sheet: str
    student_id: str
    filename: str
    submitted_at: str | None = None


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


def grade_task(task: GradeTask, *, config_path: str, device: str = "cpu") -> dict[str, Any]:
    """Grade one submission in a warm worker subprocess of this process.

    What a Dask worker runs. The warm worker is started on first use and kept for later tasks;
    concurrent calls (a Dask worker with several threads) get one warm worker each. ``device`` is
    ``cpu`` or ``cuda`` (this process's CUDA_VISIBLE_DEVICES decides which GPU). Returns the result
    as a JSON-able dict; raises RuntimeError when grading could not run at all.
    """
    worker = _DASK_POOL.take(Path(config_path), device)
    try:
        reply = worker.grade(task)
    except RuntimeError:
        worker.close()
        raise
    _DASK_POOL.put(worker)
    if reply.result is None:
        raise RuntimeError(f"grading failed: {reply.error}")
    return json.loads(reply.result.model_dump_json())  # type: ignore[no-any-return]


_PRIVATE_ROOT: list[Path] = []


def grade_remote(task: RemoteTask, content: bytes, *, config_path: str, device: str) -> dict[str, Any]:
    """Runs on a Dask worker: write the submission to a private folder, grade it, remove it."""
    from autograder.grading.pool import discover_gpus, resolve_device

    root = _private_root()
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        path = folder / Path(task.filename).name
        path.write_bytes(content)
        return grade_task(
            GradeTask(sheet=task.sheet, path=str(path), student_id=task.student_id,
                      submitted_at=task.submitted_at, protected=(str(root),)),
            config_path=config_path, device=resolve_device(device, discover_gpus()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _private_root() -> Path:
    """This process's folder for submissions in flight: owner-only, hidden from every sandbox."""
    if not _PRIVATE_ROOT:
        _PRIVATE_ROOT.append(Path(tempfile.mkdtemp(prefix="autograder-submissions-")))
    return _PRIVATE_ROOT[0]
