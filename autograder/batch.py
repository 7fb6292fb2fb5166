"""Grade many submissions: warm worker processes, a resumable job store, results saved as they finish."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.config import CourseConfig
from autograder.errors import BatchRefused, UsageError
from autograder.results import SubmissionResult, grades_table, read_result, write_result
from autograder.submission import student_id_for
from autograder.worker import GradeTask

WORKER_START_TIMEOUT_S = 180.0


# ------------------------------------------------------------------ devices


def discover_gpus() -> list[str]:
    """GPU indices from the driver's /proc entries: never touches CUDA (a fork after that breaks)."""
    root = Path("/proc/driver/nvidia/gpus")
    if not root.is_dir():
        return []
    return [str(i) for i, _ in enumerate(sorted(root.iterdir()))]


def resolve_device(setting: str, gpus: Sequence[str]) -> str:
    if setting == "cuda" and not gpus:
        raise UsageError("--device cuda was asked for, but no NVIDIA GPU was found")
    if setting == "auto":
        return "cuda" if gpus else "cpu"
    return setting


def worker_slots(config: CourseConfig, *, jobs: int, device: str, gpus: Sequence[str]) -> list[str | None]:
    """One CUDA_VISIBLE_DEVICES value per worker; never more workers per GPU than configured."""
    if device != "cuda":
        return [None] * jobs
    slots = list(config.gpu_slots or gpus)
    capacity = [slot for slot in slots for _ in range(config.sandboxes_per_gpu)]
    return capacity[: max(1, min(jobs, len(capacity)))]


# ------------------------------------------------------------------ workers


class _WorkerProcess:
    def __init__(self, config_file: Path, *, index: int, device: str, gpu_slot: str | None) -> None:
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        if gpu_slot is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu_slot
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.worker", "--config", str(config_file), "--index", str(index),
             "--device", device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1,
            start_new_session=True,
        )
        self.index = index
        ready = self._readline()
        if not ready or not json.loads(ready).get("ready"):
            raise RuntimeError(f"grading worker {index} failed to start")

    def _readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def grade(self, task: GradeTask) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(task.to_json() + "\n")
        self.process.stdin.flush()
        line = self._readline()
        if not line:
            raise RuntimeError("the grading worker died")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.process.kill()
                self.process.wait()


class Grader:
    """A pool of warm workers. ``grade_file`` is blocking, thread-safe, and never raises for a submission."""

    def __init__(self, config: CourseConfig, *, jobs: int = 1, device: str = "auto",
                 config_file: Path | None = None) -> None:
        self.config = config
        gpus = discover_gpus()
        self.device = resolve_device(device, gpus)
        self.config_file = config_file or (config.root / "course_config.py")
        slots = worker_slots(config, jobs=max(1, jobs), device=self.device, gpus=gpus)
        self._idle: queue.Queue[_WorkerProcess] = queue.Queue()
        self._all: list[_WorkerProcess] = []
        self._lock = threading.Lock()
        with ThreadPoolExecutor(len(slots)) as pool:
            started = list(pool.map(
                lambda item: _WorkerProcess(self.config_file, index=item[0], device=self.device, gpu_slot=item[1]),
                enumerate(slots)))
        for worker in started:
            self._all.append(worker)
            self._idle.put(worker)

    @property
    def jobs(self) -> int:
        return len(self._all)

    def grade_file(self, *, sheet: str, path: Path, student_id: str | None = None,
                   submitted_at: dt.datetime | None = None, protected: Iterable[str] = ()) -> SubmissionResult:
        sheet_config = self.config.sheet(sheet)
        sid = student_id or student_id_for(path)
        task = GradeTask(sheet=sheet, path=str(Path(path).resolve()), student_id=sid,
                         protected=tuple(protected) or (str(Path(path).resolve().parent),),
                         submitted_at=submitted_at.isoformat() if submitted_at else None)
        worker = self._idle.get()
        try:
            reply = worker.grade(task)
        except Exception as exc:  # noqa: BLE001 - the worker died: replace it, record the failure
            worker = self._replace(worker)
            reply = {"error": f"grading worker failed: {exc}"}
        finally:
            self._idle.put(worker)
        if "result" in reply:
            return SubmissionResult.model_validate(reply["result"])
        return SubmissionResult.crashed(student_id=sid, sheet=sheet, submission=Path(path).name,
                                        message=str(reply.get("error")), max_score=sheet_config.total_points,
                                        points=sheet_config.points)

    def _replace(self, worker: _WorkerProcess) -> _WorkerProcess:
        worker.close()
        fresh = _WorkerProcess(self.config_file, index=worker.index, device=self.device, gpu_slot=None)
        with self._lock:
            self._all[self._all.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        for worker in self._all:
            worker.close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ job store


class JobStore:
    """SQLite: which (student, submission hash, suite hash) already has a finished result."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (student_id TEXT PRIMARY KEY, submission_sha TEXT, "
            "suite_sha TEXT, status TEXT, updated TEXT)")
        self.lock = threading.Lock()

    def finished(self, student_id: str, submission_sha: str, suite_sha: str) -> bool:
        with self.lock:
            row = self.db.execute("SELECT submission_sha, suite_sha, status FROM jobs WHERE student_id=?",
                                  (student_id,)).fetchone()
        return row == (submission_sha, suite_sha, "done")

    def mark(self, student_id: str, submission_sha: str, suite_sha: str, status: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO jobs VALUES (?,?,?,?,?) ON CONFLICT(student_id) DO UPDATE SET "
                "submission_sha=excluded.submission_sha, suite_sha=excluded.suite_sha, "
                "status=excluded.status, updated=excluded.updated",
                (student_id, submission_sha, suite_sha, status, dt.datetime.now(dt.timezone.utc).isoformat()))


# ------------------------------------------------------------------ batches


@dataclass(frozen=True)
class BatchItem:
    student_id: str
    path: Path
    sha256: str


@dataclass
class BatchSummary:
    results: list[SubmissionResult]
    skipped: int
    graded: int
    missing: list[str]


def plan_batch(paths: Sequence[Path]) -> list[BatchItem]:
    """Student ids for every file; two files with one id are refused before anything is graded."""
    import hashlib

    items: dict[str, BatchItem] = {}
    for path in expand_paths(paths):
        sid = student_id_for(path)
        if sid in items:
            raise BatchRefused(
                f"two submissions have the student id {sid!r}: {items[sid].path} and {path}; "
                "grade them in separate batches or rename one (nothing was graded)")
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise BatchRefused(f"cannot read {path}: {exc.strerror}") from None
        items[sid] = BatchItem(sid, path, digest)
    if not items:
        raise UsageError("no submissions found (give .ipynb or .py files, or nbgrader's submitted/ folder)")
    return list(items.values())


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given; folders searched for notebooks and Python files (nbgrader's layout included)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".ipynb", ".py") and p.is_file()
                                and ".ipynb_checkpoints" not in p.parts))
        elif path.exists():
            found.append(path)
        else:
            raise BatchRefused(f"{path} does not exist (nothing was graded)")
    return found


def protected_roots(items: Sequence[BatchItem]) -> tuple[str, ...]:
    """Folders a sandbox must not see: every submission's folder, and nbgrader's submitted/ root."""
    roots = set()
    for item in items:
        parent = item.path.resolve().parent
        roots.add(str(parent))
        parts = parent.parts
        if "submitted" in parts:
            roots.add(str(Path(*parts[: parts.index("submitted") + 1])))
    return tuple(sorted(roots))


def grade_batch(
    *, config: CourseConfig, sheet: str, paths: Sequence[Path], out_dir: Path, jobs: int = 1,
    device: str = "auto", regrade: bool = False, on_event: Callable[[str, Any], None] | None = None,
    config_file: Path | None = None,
) -> BatchSummary:
    """Grade ``paths`` into ``out_dir``; finished results are kept across interrupted runs."""
    from autograder.judge.runner import suite_hash

    sheet_config = config.sheet(sheet)
    items = plan_batch(paths)
    suite = suite_hash(config, sheet_config)
    store = JobStore(out_dir / ".jobs.sqlite")
    todo = [item for item in items if regrade or not _done(store, item, suite, out_dir)]
    emit = on_event or (lambda kind, payload: None)
    emit("start", {"total": len(items), "todo": len(todo), "skipped": len(items) - len(todo)})
    protected = (*protected_roots(items), str(out_dir.resolve()))
    if todo:
        with Grader(config, jobs=min(jobs, len(todo)), device=device, config_file=config_file) as grader:
            emit("workers", {"jobs": grader.jobs, "device": grader.device})
            with ThreadPoolExecutor(grader.jobs) as pool:
                futures = {pool.submit(_grade_one, grader, store, sheet, item, suite, out_dir, protected): item
                           for item in todo}
                for future in as_completed(futures):
                    emit("done", future.result())
    results, missing = [], []
    for item in items:
        path = out_dir / f"{item.student_id}.json"
        try:
            results.append(read_result(path))
        except (OSError, ValueError):
            missing.append(item.student_id)
    (out_dir / "grades.csv").write_text(
        grades_table(results, sheet_config.points, id_column=config.student_id_column), encoding="utf-8")
    return BatchSummary(results=results, skipped=len(items) - len(todo), graded=len(todo), missing=missing)


def _done(store: JobStore, item: BatchItem, suite: str, out_dir: Path) -> bool:
    if not store.finished(item.student_id, item.sha256, suite):
        return False
    try:
        read_result(out_dir / f"{item.student_id}.json")
        return True
    except (OSError, ValueError):
        return False


def _grade_one(grader: Grader, store: JobStore, sheet: str, item: BatchItem, suite: str, out_dir: Path,
               protected: tuple[str, ...]) -> SubmissionResult:
    store.mark(item.student_id, item.sha256, suite, "running")
    submitted = dt.datetime.fromtimestamp(item.path.stat().st_mtime, dt.timezone.utc)
    stamp = _nbgrader_timestamp(item.path)
    result = grader.grade_file(sheet=sheet, path=item.path, student_id=item.student_id,
                               submitted_at=stamp or submitted, protected=protected)
    write_result(out_dir, result)
    store.mark(item.student_id, item.sha256, suite, "done")
    return result


def _nbgrader_timestamp(path: Path) -> dt.datetime | None:
    stamp = path.parent / "timestamp.txt"
    if not stamp.is_file():
        return None
    try:
        value = dt.datetime.fromisoformat(stamp.read_text().strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
