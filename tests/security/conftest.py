"""The security suite's shared batch: every hostile submission graded once, through the real engine.

``attack_run`` grades all attacks, the malformed files, a victim and honest controls in ONE batch
with two warm workers (``autograder.grading.batch.grade_batch``), then records what survived on the host.
Each test in ``test_security_attacks.py`` asserts on its own submission's result.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from security_attacks import ATTACKS, CONTROL, VICTIM
from security_harness import (
    REPO,
    SITE_PACKAGES,
    UID_BASE,
    Course,
    Listener,
    attack_files_on_host,
    make_course,
    render,
    wait_for_no_processes,
)
from security_malformed import MALFORMED

from autograder.core.config import load_config
from autograder.grading.batch import grade_batch

collect_ignore = ["course"]  # the template course's hidden suite is not a test of ours

JOBS = 2


@dataclass
class AttackRun:
    course: Course
    summary: object
    results: dict
    seconds: float
    survivors: list[str]
    host_files: list[str]
    listener: Listener
    watched: dict[str, bytes | None]


def _snapshot(paths: list[Path]) -> dict[str, bytes | None]:
    return {str(p): (p.read_bytes() if p.exists() else None) for p in paths}


@pytest.fixture(scope="session")
def attack_run() -> AttackRun:
    course = make_course()
    listener = Listener().start()
    try:
        yield _grade_everything(course, listener)
    finally:
        listener.stop()
        for path in attack_files_on_host():
            Path(path).unlink(missing_ok=True)
        if not os.environ.get("AUTOGRADER_SECURITY_KEEP"):  # keep the scratch course to debug
            course.cleanup()


def _grade_everything(course: Course, listener: Listener) -> AttackRun:
    paths: list[Path] = []

    def add(name: str, content: bytes) -> None:
        path = course.submissions / name
        path.write_bytes(content)
        paths.append(path)

    add("victim.py", render(VICTIM, course).encode())
    add("c00_control.py", CONTROL.encode())
    for index, attack in enumerate(ATTACKS):
        add(f"{attack.name}.py", render(attack.source, course, port=listener.port,
                                        abstract=listener.abstract).encode())
        if index == len(ATTACKS) // 2:
            add("c50_control.py", CONTROL.encode())
    for item in MALFORMED:
        add(item.filename, item.content)
    add("c99_control.py", CONTROL.encode())

    watched = [REPO / "autograder" / "judge" / "compare.py", course.hidden_dir / "test_sec.py",
               course.reference_dir / "__init__.py", Path(SITE_PACKAGES) / "sitecustomize.py",
               Path(SITE_PACKAGES) / "zzz-sec-attack.pth", course.hidden_dir / "test_zzz_free_points.py",
               course.submissions / "victim.py"]
    before = _snapshot(watched)
    host_before = set(attack_files_on_host())
    os.environ["AUTOGRADER_SEC_TOKEN"] = course.env_token  # the workers inherit it; students must not
    started = time.monotonic()
    try:
        config = load_config(course.config_file)
        summary = grade_batch(config=config, sheet="sec", paths=paths, out_dir=course.out, jobs=JOBS,
                              device="cpu", regrade=True, config_file=course.config_file)
    finally:
        os.environ.pop("AUTOGRADER_SEC_TOKEN", None)
    seconds = time.monotonic() - started
    survivors = wait_for_no_processes(range(UID_BASE, UID_BASE + JOBS))
    host_files = sorted(set(attack_files_on_host()) - host_before)
    after = _snapshot(watched)
    changed = {path: after[path] for path in after if after[path] != before[path]}
    results = {result.student_id: result for result in summary.results}  # type: ignore[attr-defined]
    return AttackRun(course, summary, results, seconds, survivors, host_files, listener, changed)


def pytest_report_header() -> list[str]:
    return [f"security suite: {len(ATTACKS)} attacks, {len(MALFORMED)} malformed files"]
