"""Fixtures of the authoring tests: a fresh copy of the tiny course (tests/authoring/course) per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from authoring_helpers import COURSE


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the tiny course that a test may change."""
    return Path(shutil.copytree(COURSE, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture
def master(course: Path) -> Path:
    return course / "sheets" / "tiny" / "master.md"
