"""Fixtures of the release tests: one gated release of a releasable toy course, shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from release_helpers import REPLACEMENT_TEST, REVIEW, copy_toy_course, remove_function


@pytest.fixture(scope="session")
def releasable_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = copy_toy_course(tmp_path_factory.mktemp("releasable") / "course")
    suite = course / "hidden" / "toy" / "test_toy.py"
    suite.write_text(remove_function(suite.read_text(), "test_factory_roundtrip") + REPLACEMENT_TEST)
    return course


@pytest.fixture(scope="session")
def released(releasable_course: Path, tmp_path_factory: pytest.TempPathFactory):
    """The gate run once on the releasable course, in nbgrader's layout."""
    from autograder.config import load_config
    from autograder.release import release_sheet

    config_file = releasable_course / "course_config.py"
    out = tmp_path_factory.mktemp("course_root")
    return release_sheet(config=load_config(config_file), sheet="toy", out=out, nbgrader=True, jobs=2,
                         device="cpu", config_file=config_file,
                         work_dir=tmp_path_factory.mktemp("gate") / "work")


@pytest.fixture(scope="session")
def review_dir() -> Path:
    REVIEW.mkdir(parents=True, exist_ok=True)
    return REVIEW
