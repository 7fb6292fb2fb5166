"""`--scheduler`: the same per-submission job on a Dask cluster, with results and resume as locally."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scale_helpers import TOY, TOY_CONFIG

from autograder.core.config import CourseConfig
from autograder.core.errors import BatchRefused, UsageError
from autograder.judge import fingerprint

pytest.importorskip("distributed")
from distributed import LocalCluster

from autograder.grading import distributed as cluster_grading
from autograder.grading.distributed import grade_on_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as local:
        yield local


def _submissions(folder: Path) -> list[Path]:
    folder.mkdir()
    for name in ("correct", "wrong", "crash"):
        shutil.copy(TOY / "submissions" / f"{name}.py", folder / f"{name}.py")
    (folder / "empty.ipynb").write_text("")
    return sorted(folder.iterdir())


def test_cluster_grades_like_a_local_batch_and_resumes(cluster: LocalCluster,
                                                       toy_config: CourseConfig, tmp_path: Path) -> None:
    subs = _submissions(tmp_path / "subs")
    out = tmp_path / "out"
    kwargs: dict[str, Any] = {"config": toy_config, "config_file": TOY_CONFIG, "sheet": "toy", "paths": subs, "out_dir": out,
              "scheduler": cluster.scheduler_address, "device": "cpu"}
    events: list[str] = []
    summary = grade_on_cluster(**kwargs, on_event=lambda event: events.append(event.kind))
    scores = {r.student_id: (r.score, r.gradable) for r in summary.results}
    assert scores == {"correct": (10, True), "wrong": (8, True), "crash": (9, True), "empty": (0, False)}
    assert not summary.missing and summary.graded == 4
    assert events.count("done") == 4 and events[0] == "start"
    assert len((out / "grades.csv").read_text().splitlines()) == 5
    assert {r.extra_data.get("device") for r in summary.results if r.gradable} == {"cpu"}

    again = grade_on_cluster(**kwargs)  # the job store: nothing left to do
    assert (again.graded, again.skipped) == (0, 4)
    forced = grade_on_cluster(**{**kwargs, "paths": subs[:1]}, regrade=True)
    assert forced.graded == 1


def test_the_cli_runs_on_the_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    sub = tmp_path / "wrong.py"
    shutil.copy(TOY / "submissions" / "wrong.py", sub)
    exe = Path(sys.executable).parent / "autograder"
    done = subprocess.run([str(exe), "grade", "toy", str(sub), "--out", str(tmp_path / "o"),
                           "--scheduler", cluster.scheduler_address, "--device", "cpu"],
                          cwd=TOY, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "8/10" in done.stdout
    # the progress display is fed by the cluster's events, as for a local batch
    assert "warm worker(s) on cpu" in done.stderr, done.stderr
    assert "grading" in done.stderr and "1/1" in done.stderr, done.stderr


def test_workers_with_another_suite_are_refused(cluster: LocalCluster, toy_config: CourseConfig,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprint, "suite_hash", lambda config, sheet: "a-newer-suite")  # here only
    with pytest.raises(BatchRefused, match="do not hold this machine's hidden suite"):
        grade_on_cluster(config=toy_config, config_file=TOY_CONFIG, sheet="toy", paths=_submissions(tmp_path / "s"),
                         out_dir=tmp_path / "out", scheduler=cluster.scheduler_address, device="cpu")
    assert not list((tmp_path / "out").glob("*.json"))


def test_cuda_needs_gpu_workers(cluster: LocalCluster, toy_config: CourseConfig,
                                tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="GPU resource"):
        grade_on_cluster(config=toy_config, config_file=TOY_CONFIG, sheet="toy", paths=_submissions(tmp_path / "s"),
                         out_dir=tmp_path / "out", scheduler=cluster.scheduler_address, device="cuda")


def test_an_unreachable_scheduler_is_a_usage_error(toy_config: CourseConfig, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_grading, "CONNECT_TIMEOUT_S", 2.0)
    with pytest.raises(UsageError, match="cannot reach"):
        grade_on_cluster(config=toy_config, config_file=TOY_CONFIG, sheet="toy", paths=_submissions(tmp_path / "s"),
                         out_dir=tmp_path / "out", scheduler="tcp://127.0.0.1:9", device="cpu")
