"""The service with the real engine (``autograder.grading.pool.Grader``, warm worker, sandbox) on the
project's toy course: a correct and a wrong submission, graded end to end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from svc_support import Service

from autograder.core.config import ServiceConfig, load_config
from autograder.grading.pool import Grader
from autograder.service.queue import default_grader_factory

TOY = Path(__file__).resolve().parents[1] / "toy_course"


@pytest.mark.slow
def test_real_grader_grades_toy_submissions(make_service, tmp_path: Path) -> None:
    config = load_config(TOY / "course_config.py")
    config = config.model_copy(update={"device": "cpu", "service": ServiceConfig(
        data_dir=tmp_path / "service",
        database_url=f"sqlite:///{tmp_path / 'service' / 'autograder.db'}",
    )})
    service: Service = make_service(config=config, grader_factory=default_grader_factory)
    correct = (TOY / "submissions" / "correct.py").read_bytes()
    wrong = (TOY / "submissions" / "wrong.py").read_bytes()
    good = service.submit("alice", correct, sheet="toy", filename="answers.py").json()
    bad = service.submit("bob", wrong, sheet="toy", filename="answers.py").json()

    good_view = service.wait("alice", good["id"], timeout=300)
    assert isinstance(service.grader, Grader)
    result = good_view["result"]
    assert good_view["status"] == "done", result
    assert result["gradable"] and result["score"] == result["max_score"] == 10
    assert {row["exercise"]: row["score"] for row in result["exercises"]} == {
        "basics": 4, "tensors": 3, "objects": 3}
    assert result["student_id"] == "alice"
    stamped = dt.datetime.fromisoformat(result["submitted_at"])
    assert stamped == dt.datetime.fromisoformat(good_view["submitted_at"])

    bad_result = service.wait("bob", bad["id"], timeout=300)["result"]
    assert bad_result["score"] == 8
    messages = [t["output"] for t in bad_result["tests"] if t["status"] == "failed"]
    assert "add(2, 3) is wrong" in messages
