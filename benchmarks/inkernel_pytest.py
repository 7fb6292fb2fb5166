"""The hidden suite run *inside the student's kernel*, as nbgrader and otter-grader run their tests.

Used only by ``compare_graders.py``: each nbgrader hidden test cell and each otter test case asks
:func:`passed` whether one hidden test passed. The first call runs the whole hidden suite once with
pytest in this process (the notebook's globals are the ``student``), the rest read the outcome. So
nbgrader and otter apply exactly this project's checks, but the way they run tests: student code and
checks share one interpreter, and nothing is isolated.

The fixtures mirror the judge's (``student``, ``ref``, ``device``, ``seed``, the same per-test
seeds); ``student.make`` calls the sheet's factories directly. How long the suite took is appended
(one JSON line) to the file named by ``AG_BENCH_TIMINGS``, if set, so that the benchmark can say
how much of the competitors' time was this harness.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import random
import sys
import time
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
HIDDEN = PROJECT / "tests" / "hidden" / "sheet_3_2"
REFERENCE = "reference.sheet_3_2"
GIVEN = "sheet_3_2_given"

_OUTCOMES: dict[int, dict[str, bool]] = {}


class NotebookStudent:
    """The ``student`` fixture over a notebook's globals (no proxy, no copies: the real objects)."""

    def __init__(self, namespace: dict[str, Any], factories: dict[str, Any]) -> None:
        object.__setattr__(self, "_ns", namespace)
        object.__setattr__(self, "_factories", factories)

    def __getattr__(self, name: str) -> Any:
        namespace = object.__getattribute__(self, "_ns")
        if name not in namespace:
            raise AttributeError(f"name {name!r} is not defined in your notebook")
        return namespace[name]

    def has(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_ns")

    def make(self, factory: str, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_factories")[factory](*args, **kwargs)

    def reseed(self, seed: int) -> None:
        _reseed(seed)


def _reseed(seed: int) -> None:
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class KernelPlugin:
    """The judge plugin's fixtures and outcome collection, minus the sandbox."""

    def __init__(self, student: NotebookStudent, reference: ModuleType) -> None:
        self.student = student
        self.reference = reference
        self.outcomes: dict[str, bool] = {}

    def pytest_configure(self, config: Any) -> None:
        for line in ("points(n): points", "exercise(id): exercise", "timeout(s): limit", "gpu: gpu"):
            config.addinivalue_line("markers", line)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.failed:
            self.outcomes[report.nodeid] = self.outcomes.get(report.nodeid, True) and report.passed

    def _fixtures(self) -> Any:
        import pytest

        plugin = self

        class Fixtures:
            @pytest.fixture(scope="session")
            def student(self) -> NotebookStudent:
                return plugin.student

            @pytest.fixture(scope="session")
            def ref(self) -> ModuleType:
                return plugin.reference

            @pytest.fixture
            def device(self) -> str:
                return "cpu"

            @pytest.fixture
            def seed(self, request: Any) -> int:
                return zlib.crc32(request.node.nodeid.encode()) % 2**31

            @pytest.fixture(autouse=True)
            def _same_seed_as_the_judge(self, request: Any) -> None:
                _reseed(zlib.crc32(request.node.nodeid.encode()) % 2**31)

        return Fixtures()


def run_suite(namespace: dict[str, Any]) -> dict[str, bool]:
    """Run the hidden suite against ``namespace`` once; nodeid -> passed."""
    import pytest

    started = time.monotonic()
    for folder in (str(PROJECT), str(PROJECT / "assignments" / "sheet_3_2")):
        if folder not in sys.path:
            sys.path.append(folder)
    from autograder.sandbox.factories import BUILTIN

    factories = dict(BUILTIN)
    with contextlib.suppress(ImportError):
        factories.update(getattr(importlib.import_module(GIVEN), "FACTORIES", {}))
    plugin = KernelPlugin(NotebookStudent(namespace, factories), importlib.import_module(REFERENCE))
    args = [str(HIDDEN), "--rootdir", str(HIDDEN), "--confcutdir", str(HIDDEN), "-q", "--no-header",
            "-p", "no:cacheprovider", "-o", "addopts=", "--assert=plain", "-W", "ignore"]
    sink = io.StringIO()
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # a byte on stderr makes nbgrader give the cell 0 points
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(args, plugins=[plugin, plugin._fixtures()])
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)
    if os.environ.get("AG_BENCH_TIMINGS"):
        with open(os.environ["AG_BENCH_TIMINGS"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"suite_s": round(time.monotonic() - started, 3), "pid": os.getpid()}) + "\n")
    return plugin.outcomes


def passed(namespace: dict[str, Any], nodeid: str) -> bool:
    """Whether hidden test ``nodeid`` passed for the notebook whose globals are ``namespace``."""
    key = id(namespace)
    if key not in _OUTCOMES:
        _OUTCOMES[key] = run_suite(namespace)
    return _OUTCOMES[key].get(nodeid, False)
