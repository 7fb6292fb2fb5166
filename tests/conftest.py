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
    from autograder.core.config import load_config

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
    from autograder.grading.pool import Grader

    with Grader(toy_config, jobs=1, device="cpu", config_file=TOY / "course_config.py") as grader:
        yield grader


@pytest.fixture(scope="session")
def sheet_3_2_grader():
    """Two warm workers on the CPU for the real course (Sheet 3.2), shared by every directory that grades
    it (tests/sheet_3_2's gate and extra notebooks, tests/security's held-out data batch)."""
    from autograder.core.config import load_config
    from autograder.grading.pool import Grader

    config_file = ROOT / "course_config.py"
    with Grader(load_config(config_file), jobs=2, device="cpu", config_file=config_file) as grader:
        yield grader


class DeepFolders:
    """Folders nested deeper than Python's recursion allows, made and removed without recursion
    (os.makedirs and shutil.rmtree recurse on 3.11; pytest's own clean-up of its temporary folders
    would fail in every later run if one were left behind)."""

    @staticmethod
    def make(base: Path, levels: int) -> None:
        """``levels`` nested folders named ``d`` below ``base``, made one by one."""
        fd = os.open(base, os.O_RDONLY)
        try:
            for _ in range(levels):
                os.mkdir("d", dir_fd=fd)
                inner = os.open("d", os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = inner
        finally:
            os.close(fd)

    @staticmethod
    def remove(top: Path) -> None:
        """Each folder's sub-folders moved up next to ``top`` before it goes: the depth never grows."""
        stack, serial = [top], 0
        while stack:
            path = stack[-1]
            if not path.exists():
                stack.pop()
                continue
            inner = [entry for entry in path.iterdir() if entry.is_dir() and not entry.is_symlink()]
            for entry in path.iterdir():
                if entry not in inner:
                    entry.unlink()
            if not inner:
                path.rmdir()
                stack.pop()
            for entry in inner:
                serial += 1
                hoisted = top.parent / f".deep-{serial}"
                entry.rename(hoisted)
                stack.append(hoisted)


@pytest.fixture(scope="session")
def deep_folders() -> type[DeepFolders]:
    """:class:`DeepFolders`: ``deep_folders.make(base, levels)`` and ``deep_folders.remove(top)``."""
    return DeepFolders
