"""Fixtures for the LMS push: keys, a running LTI 1.3 platform (lti_platform.py), a toy course with results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from lms_course import CLIENT_ID, KID, Course, Keys, toy_result, write_course
from lti_platform import PlatformState, RunningPlatform

from autograder.core.results import write_result
from autograder.grades.grade import AdjustmentEntry, StaffLedger
from autograder.lms.client import public_jwks


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
