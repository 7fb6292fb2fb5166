"""Helpers of the LMS push tests: the toy course, its results, the command as a TA types it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from joserfc.jwk import RSAKey

from autograder.core.results import CaseResult, SubmissionResult, WrittenAnswer

EXE = str(Path(sys.executable).parent / "autograder")
CLIENT_ID = "autograder-tool"
KID = "tool-key-1"
DEADLINE = dt.datetime(2026, 12, 18, 23, 59, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Keys:
    tool: RSAKey
    platform: RSAKey
    stranger: RSAKey  # a key the platform never registered


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
        from autograder.core.config import CourseConfig, LmsConfig, SheetConfig

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
