"""A batch killed with SIGKILL loses no finished result, leaves no corrupt file, and resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scale_helpers import TOY, slow_submissions

from autograder.core.config import CourseConfig
from autograder.grading.batch import grade_batch
from autograder.grading.pool import Grader

COUNT = 8


def _finished_in_store(out: Path) -> set[str]:
    with sqlite3.connect(out / ".jobs.sqlite") as db:
        return {row[0] for row in db.execute("SELECT student_id FROM jobs WHERE status='done'")}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_mid_batch_then_resume(tmp_path: Path, toy_config: CourseConfig, toy_grader: Grader) -> None:
    subs = slow_submissions(tmp_path / "subs", COUNT, delay_s=0.6)
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "autograder"
    batch = subprocess.Popen(
        [str(exe), "grade", "toy", *map(str, subs), "--out", str(out), "--jobs", "1", "-q", "--device", "cpu"],
        cwd=TOY, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 150
    while len(list(out.glob("student*.json"))) < 3:
        assert batch.poll() is None, "the batch ended before it was killed"
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.05)
    workers = _children(batch.pid)
    helpers = [pid for worker in workers for pid in _children(worker)]  # zygotes, judges
    assert workers, "the batch should have started a warm worker"
    os.killpg(batch.pid, signal.SIGKILL)  # the batch's whole process group, mid-run
    batch.wait()

    written = sorted(out.glob("student*.json"))
    assert 3 <= len(written) < COUNT, "the kill should land mid-run"
    for path in written:
        json.loads(path.read_text())  # every result that exists is whole
    done = _finished_in_store(out)
    assert done <= {p.stem for p in written}
    kept = {sid: (out / f"{sid}.json").read_bytes() for sid in done}

    # The warm workers run in their own sessions: they notice that their parent is gone and stop,
    # taking their judge and sandbox with them, instead of grading on for nobody.
    stop_by = time.monotonic() + 30
    while any(map(_alive, workers + helpers)) and time.monotonic() < stop_by:
        time.sleep(0.2)
    assert not [pid for pid in workers + helpers if _alive(pid)], "orphaned grading processes kept running"

    summary = grade_batch(config=toy_config, sheet="toy", paths=subs, out_dir=out, grader=toy_grader)
    assert summary.graded == COUNT - len(done)
    assert summary.skipped == len(done)
    assert not summary.missing
    assert {r.student_id: r.score for r in summary.results} == {p.stem: 10.0 for p in subs}
    for sid, content in kept.items():
        assert (out / f"{sid}.json").read_bytes() == content, f"{sid} was graded again"
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + COUNT


def test_rerun_skips_finished_and_regrade_forces(tmp_path: Path, toy_config: CourseConfig, toy_grader: Grader) -> None:
    subs = slow_submissions(tmp_path / "subs", 2, delay_s=0)
    kwargs: dict[str, Any] = {"config": toy_config, "sheet": "toy", "out_dir": tmp_path / "out", "grader": toy_grader}
    first = grade_batch(paths=subs, **kwargs)
    assert first.graded == 2
    again = grade_batch(paths=subs, **kwargs)
    assert (again.graded, again.skipped) == (0, 2)
    subs[0].write_text(subs[0].read_text() + "\nANSWER = 41\n")  # a new submission hash
    changed = grade_batch(paths=subs, **kwargs)
    assert (changed.graded, changed.skipped) == (1, 1)
    forced = grade_batch(paths=subs, regrade=True, **kwargs)
    assert forced.graded == 2
    assert {r.student_id: r.score for r in forced.results} == {"student00": 9.0, "student01": 10.0}
