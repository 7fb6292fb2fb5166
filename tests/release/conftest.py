"""Fixtures of the release tests: a releasable toy course, and its gates run once, side by side (toy_gates.py)."""

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
from toy_gates import CONSUMERS, GateRun, ToyGates


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
def toy_gates(releasable_course: Path, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Iterator[ToyGates]:
    """The toy gates every selected test reads, started together now (each test waits for its own)."""
    gates = ToyGates(releasable_course, tmp_path_factory.mktemp("toy-gates"))
    wanted = {fixture for item in request.session.items for fixture in getattr(item, "fixturenames", ())}
    gates.start(name for name, fixture in CONSUMERS.items() if fixture in wanted)
    yield gates
    gates.close()


@pytest.fixture(scope="session")
def released(toy_gates: ToyGates):
    """The gate run once on the releasable course, in nbgrader's layout."""
    return toy_gates.run("released").outcome()


@pytest.fixture(scope="session")
def alternative_release(toy_gates: ToyGates) -> GateRun:
    """The releasable course with a known-correct alternative (toy_gates.ALTERNATIVE)."""
    return toy_gates.run("alternative")


@pytest.fixture(scope="session")
def over_strict_release(toy_gates: ToyGates) -> GateRun:
    """That course with ``test_add`` made to insist on an ``int`` (toy_gates.OVER_STRICT_ADD)."""
    return toy_gates.run("over_strict")


@pytest.fixture(scope="session")
def review_dir() -> Path:
    REVIEW.mkdir(parents=True, exist_ok=True)
    return REVIEW
