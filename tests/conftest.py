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
