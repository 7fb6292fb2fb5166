"""Fixtures of the scale tests: one warm grading pool on the toy course, shared by the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scale_helpers import TOY_CONFIG

from autograder.batch import Grader
from autograder.config import CourseConfig


@pytest.fixture(scope="session")
def toy_grader(toy_config: CourseConfig) -> Iterator[Grader]:
    """A warm worker on the CPU (started once: it costs about a cold torch import)."""
    with Grader(toy_config, jobs=1, device="cpu", config_file=TOY_CONFIG) as grader:
        yield grader
