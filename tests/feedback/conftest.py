"""Real results to render: a few toy submissions graded once through the sandbox, shared by these tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "toy_course"
REVIEW = ROOT / "build" / "review"


@pytest.fixture(scope="session")
def toy_graded(tmp_path_factory: pytest.TempPathFactory, toy_config):
    """``(results folder, {student id: result})`` for a correct, a wrong, a crashing and an untouched submission."""
    from autograder.grading.batch import grade_batch

    folder = tmp_path_factory.mktemp("feedback_subs") / "submitted"
    folder.mkdir()
    for name in ("correct", "wrong", "crash"):
        shutil.copyfile(TOY / "submissions" / f"{name}.py", folder / f"{name}.py")
    shutil.copyfile(TOY / "assignments" / "toy" / "toy.ipynb", folder / "untouched.ipynb")
    out = tmp_path_factory.mktemp("feedback_results")
    summary = grade_batch(config=toy_config, sheet="toy", paths=[folder], out_dir=out, jobs=2, device="cpu",
                          config_file=TOY / "course_config.py")
    assert not summary.missing
    return out, {result.student_id: result for result in summary.results}


@pytest.fixture(scope="session")
def review_dir() -> Path:
    """Where tests leave pages and charts for a person to look at (build/review/)."""
    REVIEW.mkdir(parents=True, exist_ok=True)
    return REVIEW
