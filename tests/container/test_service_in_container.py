"""`autograder serve` in the course image, as docs/deploy.md runs it: reached through a published port,
grading inside the container with the sandbox's layers; without the recommended capabilities it still
grades safely; SIGTERM stops it cleanly and a restart grades what was left in the queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctr_support import RECOMMENDED, ROOT, Podman, jobs_in_volume, start_service, toy_notebook

pytestmark = pytest.mark.slow

# Student code that tries to read what it must not: the hidden suite, the reference, the service's data.
# It answers ANSWER = 42 (a toy test checks it) only when every read failed or came back empty.
PROBE = '''
import os
def _leaks(path):
    try:
        return bool(os.listdir(path)) if os.path.isdir(path) else bool(open(path, "rb").read())
    except OSError:
        return False
_leaked = [p for p in ("/srv/course/tests/hidden/toy/test_toy.py", "/srv/course/toy_reference/__init__.py",
                       "/srv/course/build/service", "/srv/course/course_config.py") if _leaks(p)]
print("probe: uid", os.getuid(), "leaked", _leaked)
ANSWER = 42 if not _leaked else -1
'''


def test_complete_notebook_graded_inside_with_isolation(image: str, course: Path, hub_port: int,
                                                        containers: Podman) -> None:
    service = start_service(containers, course=course, volume=containers.volume("data"), hub_port=hub_port,
                            flags=RECOMMENDED)
    service.wait_healthy()
    submission = service.submit("alice", "sheet_3_2", (ROOT / "examples/submissions/complete.ipynb").read_bytes())
    view = service.wait_result("alice", submission)
    # the tests' full marks; the written answers (5 points) await staff
    assert view["status"] == "done" and view["result"]["raw_score"] == 95 and view["result"]["provisional"], view
    assert "extra_data" not in view["result"]  # students do not see the sandbox report ...
    isolation = service.view("tara", submission)["result"]["extra_data"]["isolation"]  # ... TAs do
    assert isolation["pid"] and isolation["network"] and isolation["mount"], isolation
    assert isolation["separate_uid"] and isolation["uid"] >= 61000, isolation
    # an allow-listed root: nothing of the course is bound (the package is installed in the image's venv)
    assert isolation["read_only"] and isolation["root"] == "pivot_root", isolation
    assert not [path for path in isolation["bound"] if path == "/srv/course" or path.startswith("/srv/course/")], \
        isolation


def test_without_the_capabilities_it_still_grades_safely(image: str, course: Path, hub_port: int,
                                                         containers: Podman) -> None:
    # No --user 0, no CAP_SYS_ADMIN: the image's non-root grader user, with the runtime's defaults.
    service = start_service(containers, course=course, volume=containers.volume("data"), hub_port=hub_port,
                            flags=[])
    service.wait_healthy()
    submission = service.submit("alice", "toy", toy_notebook(PROBE))
    result = service.wait_result("tara", submission, timeout=600)["result"]
    isolation = result["extra_data"].get("isolation") or {}
    if result["score"] == 0 and "refusing to grade" in str(result):
        return  # a clear refusal is allowed: student code never ran
    # Otherwise: the documented fallback, a user namespace of the grader user with the same layers.
    assert isolation.get("user_namespace") and isolation["pid"] and isolation["network"] and isolation["mount"], \
        isolation
    assert result["score"] == 10, result  # full marks: the probe read nothing it must not


def test_sigterm_stops_cleanly_and_a_restart_grades_the_queue(image: str, course: Path, hub_port: int,
                                                              containers: Podman) -> None:
    volume = containers.volume("data")
    service = start_service(containers, course=course, volume=volume, hub_port=hub_port, flags=RECOMMENDED)
    service.wait_healthy()
    submissions = [service.submit(student, "toy", toy_notebook(f"# {student}")) for student in ("alice", "bob", "s01")]
    assert service.stop(timeout=90) == 0, service.logs()  # 137 had it needed SIGKILL
    assert "SIGTERM: stopping the grading service" in service.logs()
    left = jobs_in_volume(containers, volume)
    assert len(left) == 3 and "queued" in left and "running" not in left, left  # nothing lost, nothing stuck
    service.start()
    service.wait_healthy()
    for submission in submissions:
        view = service.wait_result("tara", submission, timeout=600)
        assert view["status"] == "done" and view["result"]["score"] == 10, view
