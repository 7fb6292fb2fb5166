"""Fixtures for the LMS push: keys, a running LTI 1.3 platform (tests/lms/lti_platform.py), a toy course with results."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from lti_platform import PlatformState, RunningPlatform

from autograder.grade import AdjustmentEntry, StaffLedger
from autograder.lms.client import public_jwks
from autograder.results import CaseResult, SubmissionResult, WrittenAnswer, write_result

EXE = str(Path(sys.executable).parent / "autograder")
CLIENT_ID = "autograder-tool"
KID = "tool-key-1"
DEADLINE = dt.datetime(2026, 12, 18, 23, 59, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Keys:
    tool: RSAKey
    platform: RSAKey
    stranger: RSAKey  # a key the platform never registered


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(*(RSAKey.generate_key(2048, private=True) for _ in range(3)))


@pytest.fixture
def platform(keys: Keys) -> Iterator[PlatformState]:
    state = PlatformState(
        issuer="https://lms.example.test", client_id=CLIENT_ID,
        platform_private_pem=keys.platform.as_pem(private=True).decode(),
        platform_public_pem=keys.platform.as_pem(private=False).decode(),
        tool_jwks=public_jwks(keys.tool, KID))
    running = RunningPlatform(state)
    try:
        yield state
    finally:
        running.stop()


@dataclass
class Course:
    root: Path
    results: Path
    key_file: Path

    @property
    def config(self) -> Path:
        return self.root / "course_config.py"

    def push(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``autograder lms-push toy RESULTS ...`` as a TA types it."""
        return subprocess.run([EXE, "lms-push", "toy", str(self.results), "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def write_course(root: Path, *, base: str, key_file: Path, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "course_config.py").write_text(textwrap.dedent(f"""\
        import datetime as dt
        from autograder.config import CourseConfig, LmsConfig, SheetConfig

        config = CourseConfig(
            course="toy",
            sheets={{"toy": SheetConfig(
                name="toy", title="Toy sheet", assignment_dir="assignments/toy", notebook="toy.ipynb",
                reference_module="toy_reference", hidden_dir="hidden/toy",
                points={{"basics": 4, "tensors": 3, "objects": 3}},
                deadline=dt.datetime(2026, 12, 18, 23, 59), timezone="UTC",
                late_penalty="per_day", late_penalty_per_day=0.1)}},
            lms=LmsConfig(
                issuer="https://lms.example.test", client_id="{CLIENT_ID}", deployment_id="deployment-1",
                token_url="{base}/token", lineitems_url="{base}/ags/lineitems",
                nrps_url="{base}/nrps/memberships", private_key_file={str(key_file)!r}, key_id="{KID}",
                roster_field="lis_person_sourcedid", timeout_s=10{extra}),
        )
        """), encoding="utf-8")
    return root / "course_config.py"


def toy_result(student: str, scores: tuple[float, float, float], *, late_days: int = 0,
               written: bool = False) -> SubmissionResult:
    """A toy result as grading writes it: basics (4), tensors (3), objects (3)."""
    maxima = {"basics": 4.0, "tensors": 3.0, "objects": 3.0}
    cases = tuple(
        CaseResult(name=f"test_{ex}", number=ex, score=got, max_score=maxima[ex],
                   status="passed" if got == maxima[ex] else "failed", nodeid=f"hidden/toy/test_toy.py::test_{ex}")
        for ex, got in zip(maxima, scores, strict=True))
    answers = (WrittenAnswer(question="why", exercise="objects", max_points=2.0, text="because"),) if written else ()
    return SubmissionResult(student_id=student, sheet="toy", submission=f"{student}.ipynb", score=sum(scores),
                            max_score=10.0, tests=cases, written=answers,
                            submitted_at=DEADLINE - dt.timedelta(hours=1) + dt.timedelta(days=late_days))


@pytest.fixture
def course(tmp_path: Path, platform: PlatformState, keys: Keys) -> Course:
    """The toy course: four results (one late, one with a staff adjustment, one awaiting a written mark)."""
    key_file = tmp_path / "secrets" / "lms-key.pem"
    key_file.parent.mkdir()
    key_file.write_bytes(keys.tool.as_pem(private=True))
    root = tmp_path / "course"
    write_course(root, base=platform.base, key_file=key_file)
    results = root / "results"
    for result in (toy_result("alice", (4, 3, 3)), toy_result("bob", (4, 1, 0), late_days=2),
                   toy_result("carol", (2, 3, 3)), toy_result("dave", (4, 3, 1), written=True)):
        write_result(results, result)
    StaffLedger.for_results(results).add_adjustment(AdjustmentEntry(
        student_id="carol", test="hidden/toy/test_toy.py::test_basics", points=4.0, reason="appeal accepted",
        by="ta1"))
    platform.members[:] = [
        {"user_id": f"lms-{name}", "lis_person_sourcedid": name, "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]}
        for name in ("alice", "bob", "carol", "dave")
    ] + [{"user_id": "lms-ta", "lis_person_sourcedid": "ta1",
          "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]}]
    return Course(root=root, results=results, key_file=key_file)
