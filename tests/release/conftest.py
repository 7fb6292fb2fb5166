"""Fixtures of the release tests: one gated release of a releasable toy course, shared by the tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from release_helpers import (
    REPLACEMENT_TEST,
    REVIEW,
    copy_toy_course,
    readable_folder,
    remove_function,
)


@pytest.fixture(scope="session")
def releasable_course() -> Iterator[Path]:
    """Outside pytest's tmp folders: the sandbox runs as another uid and must read the assignment folder."""
    folder = readable_folder("releasable-")
    course = copy_toy_course(folder / "course")
    suite = course / "hidden" / "toy" / "test_toy.py"
    suite.write_text(remove_function(suite.read_text(), "test_factory_roundtrip") + REPLACEMENT_TEST)
    yield course
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def released(releasable_course: Path, tmp_path_factory: pytest.TempPathFactory):
    """The gate run once on the releasable course, in nbgrader's layout."""
    from autograder.core.config import load_config
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
