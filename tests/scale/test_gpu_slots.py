"""GPU slots with faked discovery: one worker per slot, never two sandboxes on one GPU unless asked."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest

from autograder.core.config import CourseConfig
from autograder.core.errors import UsageError
from autograder.grading import pool
from autograder.grading.pool import Grader, discover_gpus, resolve_device, worker_slots
from autograder.grading.worker.handle import WorkerProcess
from autograder.grading.worker.task import WorkerReply


class FakeWorker:
    """Stands in for a worker subprocess; records its slot and how many tasks share a GPU at once."""

    started: ClassVar[list[FakeWorker]] = []
    busy: ClassVar[Counter[str | None]] = Counter()
    peak: ClassVar[Counter[str | None]] = Counter()
    lock = threading.Lock()
    fail_next = False

    def __init__(self, config_file: Path, *, index: int, device: str, gpu_slot: str | None) -> None:
        self.index, self.device, self.gpu_slot = index, device, gpu_slot
        FakeWorker.started.append(self)

    def wait_ready(self) -> None:
        pass

    def grade(self, task: Any) -> WorkerReply:
        if FakeWorker.fail_next:
            FakeWorker.fail_next = False
            raise RuntimeError("the grading worker died")
        with FakeWorker.lock:
            FakeWorker.busy[self.gpu_slot] += 1
            FakeWorker.peak[self.gpu_slot] = max(FakeWorker.peak[self.gpu_slot], FakeWorker.busy[self.gpu_slot])
        time.sleep(0.01)
        with FakeWorker.lock:
            FakeWorker.busy[self.gpu_slot] -= 1
        return WorkerReply(error="fake")

    def close(self) -> None:
        pass


@pytest.fixture
def fake_gpus(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    gpus = ["0", "1", "2"]
    monkeypatch.setattr(pool, "discover_gpus", lambda: list(gpus))
    monkeypatch.setattr(pool, "WorkerProcess", FakeWorker)
    FakeWorker.started, FakeWorker.busy, FakeWorker.peak = [], Counter(), Counter()
    return gpus


def test_slots_never_exceed_the_gpus(toy_config: CourseConfig) -> None:
    assert worker_slots(toy_config, jobs=8, device="cuda", gpus=["0", "1"]) == ["0", "1"]
    assert worker_slots(toy_config, jobs=1, device="cuda", gpus=["0", "1"]) == ["0"]
    assert worker_slots(toy_config, jobs=3, device="cpu", gpus=["0", "1"]) == [None, None, None]
    two_each = toy_config.model_copy(update={"sandboxes_per_gpu": 2})
    assert worker_slots(two_each, jobs=3, device="cuda", gpus=["0", "1"]) == ["0", "1", "0"]
    assert worker_slots(two_each, jobs=9, device="cuda", gpus=["0", "1"]) == ["0", "1", "0", "1"]
    pinned = toy_config.model_copy(update={"gpu_slots": ("3",)})
    assert worker_slots(pinned, jobs=4, device="cuda", gpus=["0", "1"]) == ["3"]


def test_device_resolution() -> None:
    assert resolve_device("auto", ["0"]) == "cuda"
    assert resolve_device("auto", []) == "cpu"
    assert resolve_device("cpu", ["0"]) == "cpu"
    with pytest.raises(UsageError, match="no NVIDIA GPU"):
        resolve_device("cuda", [])


def test_discovery_honours_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert discover_gpus() == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert discover_gpus() == []


def test_grader_starts_one_worker_per_gpu_and_shares_none(toy_config: CourseConfig, fake_gpus: list[str],
                                                          tmp_path: Path) -> None:
    grader = Grader(toy_config, jobs=8, device="auto", config_file=tmp_path / "c.py")
    assert grader.device == "cuda"
    assert grader.slots == fake_gpus  # capped at one per GPU
    sub = tmp_path / "s.py"
    sub.write_text("x = 1\n")
    threads = [threading.Thread(target=grader.grade_file, kwargs={"sheet": "toy", "path": sub}) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(FakeWorker.peak) == set(fake_gpus)
    assert max(FakeWorker.peak.values()) == 1


def test_sandboxes_per_gpu_allows_sharing(toy_config: CourseConfig, fake_gpus: list[str], tmp_path: Path) -> None:
    config = toy_config.model_copy(update={"sandboxes_per_gpu": 2})
    grader = Grader(config, jobs=4, device="cuda", config_file=tmp_path / "c.py")
    assert Counter(grader.slots) == {"0": 2, "1": 1, "2": 1}


def test_a_replaced_worker_keeps_its_gpu(toy_config: CourseConfig, fake_gpus: list[str], tmp_path: Path) -> None:
    grader = Grader(toy_config, jobs=1, device="cuda", config_file=tmp_path / "c.py")
    sub = tmp_path / "s.py"
    sub.write_text("x = 1\n")
    FakeWorker.fail_next = True
    result = grader.grade_file(sheet="toy", path=sub)
    assert "grading worker failed" in result.grader_error
    assert [w.gpu_slot for w in FakeWorker.started] == ["0", "0"]


def test_no_gpu_means_cpu_workers(toy_config: CourseConfig, fake_gpus: list[str], tmp_path: Path) -> None:
    fake_gpus.clear()
    grader = Grader(toy_config, jobs=2, device="auto", config_file=tmp_path / "c.py")
    assert grader.device == "cpu" and grader.slots == [None, None]
    with pytest.raises(UsageError):
        Grader(toy_config, jobs=2, device="cuda", config_file=tmp_path / "c.py")


@pytest.mark.parametrize(("device", "slot", "expected"), [("cuda", "1", "1"), ("cpu", None, "")])
def test_worker_process_sees_only_its_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, device: str,
                                          slot: str | None, expected: str) -> None:
    seen: dict[str, Any] = {}

    class FakePopen:
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            seen.update(kwargs["env"])

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    WorkerProcess(tmp_path / "c.py", index=0, device=device, gpu_slot=slot)
    assert seen["CUDA_VISIBLE_DEVICES"] == expected
