"""Shared fixtures for the project's own tests (the hidden suites are never collected here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "toy_course"

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def toy_config():
    from autograder.config import load_config

    return load_config(TOY / "course_config.py")


@pytest.fixture(scope="session")
def zygote():
    from autograder.sandbox.client import Zygote

    z = Zygote()
    yield z
    z.close()


@pytest.fixture(scope="session")
def toy_grader(toy_config):
    """One warm worker on the CPU for the toy course, shared by every test directory (each costs a cold
    torch import to start)."""
    from autograder.batch import Grader

    with Grader(toy_config, jobs=1, device="cpu", config_file=TOY / "course_config.py") as grader:
        yield grader
