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
import logging
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
    """The ``student`` fixture over a notebook's globals.

    Values pass through :func:`as_data`, which mirrors what the sandbox's wire does to them (a
    ``BatchEncoding`` becomes a dict, a Parameter a plain tensor, a numpy scalar a number, anything
    else a handle whose calls, attributes and items come back the same way), so that every check sees
    the values it sees in this project; but nothing is copied across a process boundary.
    """

    def __init__(self, namespace: dict[str, Any], factories: dict[str, Any]) -> None:
        object.__setattr__(self, "_ns", namespace)
        object.__setattr__(self, "_factories", factories)

    def __getattr__(self, name: str) -> Any:
        namespace = object.__getattribute__(self, "_ns")
        if name not in namespace:
            raise AttributeError(f"name {name!r} is not defined in your notebook")
        return as_data(namespace[name])

    def has(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_ns")

    def make(self, factory: str, *args: Any, **kwargs: Any) -> Any:
        made = object.__getattribute__(self, "_factories")[factory](*raw(args), **raw(kwargs))
        return as_data(made)

    def make_handle(self, factory: str, *args: Any, **kwargs: Any) -> Any:
        return Handle(object.__getattribute__(self, "_factories")[factory](*raw(args), **raw(kwargs)))

    def reseed(self, seed: int) -> None:
        _reseed(seed)


class Handle:
    """An object of the notebook's, used the way the judge uses a remote handle."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_obj", obj)

    def __getattr__(self, name: str) -> Any:
        return as_data(getattr(object.__getattribute__(self, "_obj"), name))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_obj"), name, raw(value))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return as_data(object.__getattribute__(self, "_obj")(*raw(args), **raw(kwargs)))

    def __getitem__(self, key: Any) -> Any:
        return as_data(object.__getattribute__(self, "_obj")[raw(key)])

    def __len__(self) -> int:
        return len(object.__getattribute__(self, "_obj"))

    def __iter__(self) -> Any:
        for index in range(len(self)):
            yield self[index]


_MAPPINGS = ("BatchEncoding", "BatchFeature", "UserDict", "MappingProxyType")


def as_data(value: Any) -> Any:
    import collections.abc

    import numpy
    import torch

    if value is None or type(value) in (bool, int, float, str, bytes):
        return value
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.detach() if value.requires_grad or isinstance(value, torch.nn.Parameter) else value
    if isinstance(value, numpy.ndarray):
        return value
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    if isinstance(value, (list, tuple)):
        items = [as_data(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, collections.abc.Mapping) and (isinstance(value, dict) or type(value).__name__ in _MAPPINGS):
        return {key: as_data(value[key]) for key in value}
    if type(value).__name__.endswith("Config") and hasattr(value, "to_dict"):
        return value
    return Handle(value)


def raw(value: Any) -> Any:
    """Arguments back to the notebook's own objects."""
    if isinstance(value, Handle):
        return object.__getattribute__(value, "_obj")
    if isinstance(value, (list, tuple)):
        return type(value)(raw(item) for item in value)
    if isinstance(value, dict):
        return {key: raw(item) for key, item in value.items()}
    return value


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
        self.failures: dict[str, str] = {}

    def pytest_configure(self, config: Any) -> None:
        for line in ("points(n): points", "exercise(id): exercise", "timeout(s): limit", "gpu: gpu"):
            config.addinivalue_line("markers", line)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.failed:
            self.outcomes[report.nodeid] = self.outcomes.get(report.nodeid, True) and report.passed
        if report.failed:
            self.failures[report.nodeid] = report.longreprtext.strip().splitlines()[-1][:300]

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

            @pytest.fixture
            def plot(self) -> Any:
                return lambda *args, **kwargs: None

            @pytest.fixture(scope="session")
            def memo(self) -> Any:
                from autograder.judge.testing import Memo

                return Memo()

            @pytest.fixture(scope="session")
            def seeded(self) -> Any:
                from autograder.judge.testing import build_seeded

                return build_seeded

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
            "-p", "no:cacheprovider", "-o", "addopts=", "--assert=plain", "-W", "ignore",
            "--tb=native"]
    sink = io.StringIO()
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # a byte on stderr makes nbgrader give the cell 0 points
    logging.disable(logging.WARNING)  # transformers' warnings go to the kernel's stderr: 0 points
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(args, plugins=[plugin, plugin._fixtures()])
    finally:
        logging.disable(logging.NOTSET)
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)
    if os.environ.get("AG_BENCH_TIMINGS"):
        with open(os.environ["AG_BENCH_TIMINGS"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"suite_s": round(time.monotonic() - started, 3), "pid": os.getpid(),
                                  "failed": plugin.failures}) + "\n")
    return plugin.outcomes


def passed(namespace: dict[str, Any], nodeid: str) -> bool:
    """Whether hidden test ``nodeid`` passed for the notebook whose globals are ``namespace``."""
    key = id(namespace)
    if key not in _OUTCOMES:
        _OUTCOMES[key] = run_suite(namespace)
    return _OUTCOMES[key].get(nodeid, False)
