"""The pytest plugin that runs a hidden suite in the judge process and collects its outcomes.

Modelled on pytest's junitxml: one stateful object registered at start-up, fed one report per test
phase, read once at the end. Outcomes come from the reports' exceptions, never from parsing output.
"""

from __future__ import annotations

import os
import signal
import traceback
import zlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from autograder.core.results import CaseResult
from autograder.core.seeding import reseed
from autograder.core.visibility import VISIBILITIES
from autograder.judge import secret as secret_data
from autograder.judge.rpc import (
    SandboxCrashed,
    SandboxFactoryError,
    SandboxProtocolError,
    SandboxTimeout,
    StudentCodeError,
    StudentFailure,
    StudentProxy,
    StudentSession,
)
from autograder.judge.testing import Memo, build_seeded
from autograder.judge.todo import TrackingProxy, todo_message

MARKERS = (
    "points(n): points the test is worth (required)",
    "exercise(id): the exercise id the test belongs to, e.g. 3.2.2 (required)",
    "timeout(seconds): CPU-time limit of the sandbox for the test's student calls (wall clock: a backstop)",
    "gpu: runs on the GPU when the grading run has one",
    ("visibility(value): when students see this check's feedback: visible (default), hidden, "
     "after_due_date or after_published (Gradescope's values; see autograder.core.visibility)"),
    ("secret: the test uses data the student must not see (held-out splits, hidden inputs): what "
     "the student's code printed, raised or returned in it is staff-only (autograder.judge.secret); "
     "secret tests run after the others"),
)
JUDGE_GRACE_S = 15.0
MESSAGE_LIMIT = 4000


class JudgeTimeout(Exception):
    """The judge's own code (test or reference) ran far past the test's limit."""


@dataclass
class _Case:
    nodeid: str
    name: str
    number: str
    points: float
    status: str = "passed"
    output: str = ""
    staff: str = ""
    duration: float = 0.0
    student_output: str = ""
    visibility: str = "visible"
    message_safe: bool = True  # the message is the engine's or the author's own (safe_message) text


@dataclass
class JudgeState:
    cases: dict[str, _Case] = field(default_factory=dict)
    suite_errors: list[str] = field(default_factory=list)


class JudgePlugin:
    def __init__(
        self, *, session: StudentSession, reference: ModuleType, device: str, default_timeout: float,
        points: dict[str, float], base_seed: int = 0, secret_folders: Sequence[Path] = (),
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.session = session
        self.proxy = TrackingProxy(session)
        self.reference = reference
        self.run_device = device
        self.default_timeout = default_timeout
        self.points = points
        self.base_seed = base_seed
        self.skip = skip  # node ids not to run (the release gate reuses the reference's outcome for them)
        self.state = JudgeState()
        self.reference_file = str(Path(getattr(reference, "__file__", "") or "").parent)
        self.secrets = secret_data.start(secret_folders)
        self.literal_messages: set[str] = set()
        secret_data.wrap_warm_sources(reference.__name__)
        if hasattr(session, "on_call"):
            session.on_call = self.secrets.student_call

    # ---------------------------------------------------------------- set-up

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in MARKERS:
            config.addinivalue_line("markers", line)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        totals: dict[str, float] = {}
        for item in items:
            points = item.get_closest_marker("points")
            exercise = item.get_closest_marker("exercise")
            if points is None or exercise is None or not points.args or not exercise.args:
                self.state.suite_errors.append(f"{item.nodeid} lacks a points or exercise marker")
                continue
            number = str(exercise.args[0])
            visibility = _visibility(item)
            if visibility is None:
                self.state.suite_errors.append(
                    f"{item.nodeid}: visibility must be one of {', '.join(VISIBILITIES)}")
                continue
            totals[number] = totals.get(number, 0.0) + float(points.args[0])
            self.state.cases[item.nodeid] = _Case(item.nodeid, item.name, number, float(points.args[0]),
                                                  visibility=visibility)
        for number, want in self.points.items():
            if abs(totals.get(number, 0.0) - want) > 1e-9:
                self.state.suite_errors.append(
                    f"exercise {number}: the hidden tests give {totals.get(number, 0.0):g} points, "
                    f"the course config {want:g}"
                )
        for number in totals.keys() - self.points.keys():
            self.state.suite_errors.append(f"exercise {number} is not in the course config")
        if self.skip:  # after the totals: the suite as a whole is still checked
            dropped = [item for item in items if item.nodeid.split("[")[0] in self.skip or item.nodeid in self.skip]
            for item in dropped:
                self.state.cases.pop(item.nodeid, None)
            items[:] = [item for item in items if item not in dropped]
            config.hook.pytest_deselected(items=dropped)
        # Secret tests last (stable): a sandbox that received secret data taints every later check
        # until it restarts, so the other checks keep their full feedback.
        items.sort(key=lambda item: item.get_closest_marker("secret") is not None)
        for path in {str(item.path) for item in items}:
            self.literal_messages |= secret_data.literal_messages(Path(path))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.suite_errors.append(f"collecting {report.nodeid} failed:\n{report.longreprtext[-3000:]}")

    # ---------------------------------------------------------------- fixtures

    @pytest.fixture(scope="session")
    def student(self) -> StudentProxy:
        return self.proxy

    @pytest.fixture(scope="session")
    def ref(self) -> ModuleType:
        return self.reference

    @pytest.fixture
    def device(self, request: pytest.FixtureRequest) -> str:
        wants_gpu = request.node.get_closest_marker("gpu") is not None
        return "cuda" if wants_gpu and self.run_device == "cuda" else "cpu"

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        return self._seed_for(request.node.nodeid)

    @pytest.fixture
    def plot(self, request: pytest.FixtureRequest) -> Any:
        """Attach a chart to this test's feedback: ``plot(title, {label: values}, x_label=..., hlines=...)``.

        Stored as data in ``self.recorded_plots[nodeid]`` (see :mod:`autograder.outputs.plots`); the runner
        copies them to ``extra_data.plots`` and the feedback page draws them.
        """
        from autograder.judge.plots import PlotRecorder

        store = self.__dict__.setdefault("recorded_plots", {})
        return PlotRecorder(store, request.node.nodeid)

    @pytest.fixture(scope="session")
    def memo(self) -> Memo:
        """A :class:`autograder.judge.testing.Memo` for this submission: ``memo.once(key, compute)``."""
        return Memo()

    @pytest.fixture(scope="session")
    def seeded(self) -> Callable[[int, Callable[[], Any]], Any]:
        """:func:`autograder.judge.testing.build_seeded`, for tests that build judge-side models."""
        return build_seeded

    def _seed_for(self, nodeid: str) -> int:
        return (zlib.crc32(nodeid.encode()) + self.base_seed) % 2**31

    @pytest.fixture(autouse=True)
    def _autograder_test_context(self, request: pytest.FixtureRequest) -> Any:
        """Per test: a deadline for student calls, a hard stop for the judge, the same seeds everywhere."""
        marker = request.node.get_closest_marker("timeout")
        limit = float(marker.args[0]) if marker and marker.args else self.default_timeout
        seed = self._seed_for(request.node.nodeid)
        reseed(seed)
        self.session.begin_check(limit, request.node.nodeid)  # CPU seconds of the sandbox
        self.session.take_output()
        previous = signal.signal(signal.SIGALRM, _judge_timeout)
        signal.setitimer(signal.ITIMER_REAL, self.session.backstop(limit) + JUDGE_GRACE_S + self.session.load_time_s)
        try:
            self.proxy.reseed(seed)
            self.proxy.reset_none_reads()
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            self.session.end_check()

    # ---------------------------------------------------------------- secret data

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        self.secrets.current = item.nodeid
        if item.get_closest_marker("secret") is not None:
            self.secrets.mark(item.nodeid, "marked secret")
        if os.path.abspath(str(item.path)) in self.secrets.files:
            self.secrets.mark(item.nodeid, "its module read secret data")
        try:
            yield
        finally:
            self.secrets.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        used = set(getattr(item, "fixturenames", ())) & self.secrets.fixtures
        if used:
            self.secrets.mark(item.nodeid, f"fixture {min(used)} holds secret data")
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, None, None]:
        before = self.secrets.reads
        yield
        if self.secrets.reads > before or set(fixturedef.argnames) & self.secrets.fixtures:
            self.secrets.fixtures.add(fixturedef.argname)
            if self.secrets.current is not None:
                self.secrets.mark(self.secrets.current, f"fixture {fixturedef.argname} holds secret data")

    # ---------------------------------------------------------------- outcomes

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        case = self.state.cases.get(item.nodeid)
        if case is None:
            return
        case.duration += report.duration
        if call.when == "teardown":
            case.student_output = self.session.take_output()
        if not report.failed or case.status != "passed":
            if report.skipped and case.status == "passed":
                case.status, case.output = "failed", "This check did not run."
            return
        excinfo = call.excinfo
        exc = excinfo.value if excinfo is not None else None
        case.staff = staff_traceback(excinfo)[-6000:]
        case.status, case.output = self.classify(exc, excinfo)
        case.message_safe = self.message_is_safe(exc, case.output)
        if case.status == "failed" and self.proxy.none_reads() and not case.output.startswith(
                secret_data.NEUTRAL_NOT_IMPLEMENTED):  # a constant stub still None: to do, not wrong
            case.output, case.message_safe = todo_message(self.proxy.none_reads()), True
        if len(case.output) > MESSAGE_LIMIT:  # a message may quote a huge student value
            case.output = case.output[:MESSAGE_LIMIT] + " ... [message truncated]"
        if isinstance(exc, JudgeTimeout):
            self.session._kill()

    def classify(self, exc: BaseException | None, excinfo: Any) -> tuple[str, str]:
        """``(status, student message)``: the student's fault is "failed", the grader's is "error"."""
        if isinstance(exc, AssertionError):
            return "failed", str(exc) or "The result is not correct."
        broken = _find_in_chain(exc, SandboxFactoryError)
        if broken is not None:  # the suite or the sheet's given module is broken: staff must fix it
            problem = f"sandbox factory: {broken}"
            if problem not in self.state.suite_errors:
                self.state.suite_errors.append(problem)
            return "error", "The checker failed on our side; course staff have been told."
        student = _find_student_failure(exc)
        if isinstance(student, StudentCodeError):
            text = f"Your code raised {student.type_name}: {student.message}"
            if student.student_traceback and student.type_name != "NotImplementedError":
                text += f"\n{student.student_traceback}"
            return "failed", text
        if isinstance(student, (SandboxTimeout, SandboxCrashed, SandboxProtocolError, StudentFailure)):
            return "failed", str(student)
        if isinstance(exc, pytest.fail.Exception):
            return "failed", str(exc.msg)
        if isinstance(exc, JudgeTimeout):
            return "error", "The checker itself ran out of time; course staff have been told."
        if exc is not None and self._raised_in_reference(excinfo):
            return "error", "The checker failed on our side; course staff have been told."
        name = type(exc).__name__ if exc is not None else "an error"
        return "failed", (
            f"The checker could not use what your code returned ({name}); check the type and "
            "shape your function returns against its docstring."
        )

    def message_is_safe(self, exc: BaseException | None, message: str) -> bool:
        """Whether ``message`` may be shown in a check that had secret data in play: the engine's
        fixed texts and what the author marked with ``safe_message``; never a student's text."""
        if secret_data.is_safe(message) or message in self.literal_messages:
            return True
        student = _find_student_failure(exc)
        if isinstance(student, (SandboxTimeout, SandboxCrashed)):
            return True  # fixed texts of rpc
        if isinstance(student, StudentCodeError):
            return False
        return message in (
            "The checker failed on our side; course staff have been told.",
            "The checker itself ran out of time; course staff have been told.",
            "The result is not correct.",
        )

    def _raised_in_reference(self, excinfo: Any) -> bool:
        if excinfo is None or not self.reference_file:
            return False
        frames = traceback.extract_tb(excinfo.tb)
        return bool(frames) and frames[-1].filename.startswith(self.reference_file)

    def results(self) -> list[CaseResult]:
        """The cases, with the secret-data rule applied (:func:`autograder.judge.secret.withhold`)."""
        out = []
        for case in self.state.cases.values():
            passed = case.status == "passed"
            result = CaseResult(
                name=case.name, number=case.number, score=case.points if passed else 0.0,
                max_score=case.points, status=case.status,  # type: ignore[arg-type]
                output="" if passed else case.output, nodeid=case.nodeid,
                duration_s=round(case.duration, 4), student_output=case.student_output,
                staff_output=case.staff, visibility=case.visibility,  # type: ignore[arg-type]
            )
            if self.secrets.is_tainted(case.nodeid):
                result = secret_data.withhold(result, message_safe=case.message_safe,
                                              reason=self.secrets.tainted[case.nodeid])
            out.append(result)
        return out

    def student_plots(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(plots, staff_plots)``: a check that had secret data in play keeps its charts for staff."""
        plots = dict(self.__dict__.get("recorded_plots", {}))
        staff = {nodeid: plots.pop(nodeid) for nodeid in list(plots) if self.secrets.is_tainted(nodeid)}
        return plots, staff


def _visibility(item: pytest.Item) -> str | None:
    """The ``visibility`` marker's value (``visible`` without one), or None when it is not valid."""
    marker = item.get_closest_marker("visibility")
    if marker is None:
        return "visible"
    value = marker.args[0] if marker.args else marker.kwargs.get("value")
    return value if value in VISIBILITIES else None


def staff_traceback(excinfo: Any) -> str:
    """The failure as Python prints it, from the hidden test's own frame on (pytest's frames cut)."""
    if excinfo is None:
        return ""
    tb = excinfo.tb
    while tb is not None and _is_pytest_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    try:
        return "".join(traceback.format_exception(excinfo.type, excinfo.value, tb))
    except Exception:  # noqa: BLE001 - a hostile message must not cost the grade
        return f"{excinfo.typename} (traceback could not be formatted)"


def _is_pytest_frame(filename: str) -> bool:
    parts = Path(filename).parts
    return "_pytest" in parts or "pluggy" in parts


_E = TypeVar("_E", bound=BaseException)


def _find_student_failure(exc: BaseException | None) -> StudentFailure | None:
    return _find_in_chain(exc, StudentFailure)


def _find_in_chain(exc: BaseException | None, kind: type[_E]) -> _E | None:
    """``exc`` or the first ``kind`` among its causes, contexts and exception-group members."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                found = _find_in_chain(inner, kind)
                if found is not None:
                    return found
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _judge_timeout(signum: int, frame: Any) -> None:
    raise JudgeTimeout("the test ran past its hard limit")
