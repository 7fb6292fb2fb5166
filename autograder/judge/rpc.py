"""The judge's view of the student's code: a session with one sandbox, a proxy, and remote handles.

``student.cosine_lr(5, base_lr=1e-3, total_steps=10)`` sends the call to the sandbox and returns the
result as data. A value that is not data stays in the sandbox and comes back as a
:class:`RemoteHandle`, which can be called, indexed, and have attributes read and set.

If the sandbox hangs, crashes or exhausts its memory, it is killed; the next request starts a new
one and replays the submission's cells (skipping cells that hung or crashed the sandbox), so the
remaining tests still run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograder.core import codec
from autograder.core.codec import ConfigValue, HandleRef
from autograder.core.submission import Cell
from autograder.sandbox import wire
from autograder.sandbox.client import SandboxProcess, SandboxSetupError, Zygote
from autograder.sandbox.runtime import FACTORY_ERROR_TYPE, SOFT_TIMEOUT_TYPE


class StudentFailure(Exception):
    """Base class: something the student's code did. The message is meant for the student."""


class StudentCodeError(StudentFailure):
    """The student's code raised an exception."""

    def __init__(self, type_name: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.student_traceback = traceback


class StudentNameMissing(StudentCodeError, AttributeError):
    """The notebook does not define a name the test asked for (an AttributeError, for getattr defaults)."""


class SandboxTimeout(StudentFailure):
    """The student's code ran past its time limit."""


class SandboxCrashed(StudentFailure):
    """The student's process died (crash, os._exit, memory exhausted, killed)."""


class SandboxProtocolError(StudentFailure):
    """The sandbox sent something that is not valid data (too large, too deep, malformed)."""


class SandboxFactoryError(RuntimeError):
    """The hidden suite asked for a factory the sandbox lacks (a typo, or the sheet's given module failed
    to import there): the grader's problem, reported to staff, never blamed on the student."""


@dataclass
class CellReport:
    index: int
    error: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)
    fatal: str = ""
    duration_s: float = 0.0


class StudentSession:
    """One submission's sandbox, started lazily and restarted (with the cells replayed) after a kill."""

    def __init__(
        self, zygote: Zygote, request: dict[str, Any], cells: list[Cell], *,
        cell_timeout: float, default_timeout: float, output_limit: int,
        wall_backstop: tuple[float, float] = (3.0, 30.0),
    ) -> None:
        """Time limits (``cell_timeout``, ``default_timeout``, :meth:`begin_check`) are CPU seconds of
        the sandbox; ``wall_backstop`` = (factor, margin): the wall clock stops a call after
        factor x its limit + margin (code that sleeps uses no CPU)."""
        self.zygote = zygote
        self.request_template = request
        self.cells = cells
        self.cell_timeout = cell_timeout
        self.default_timeout = default_timeout
        self.output_limit = output_limit
        self.process: SandboxProcess | None = None
        self.generation = 0
        self.skipped: set[int] = set()
        self.load_reports: list[CellReport] | None = None
        self.load_output = ""
        self.restarts = 0
        self.deadline: float | None = None
        self.layers: dict[str, Any] = {}
        self.load_time_s = 0.0
        self.load_cpu_s = 0.0
        self.pending_seed: int | None = None
        # told the process generation before every request (the judge's secret-data tracker)
        self.on_call: Callable[[int], None] | None = None
        self.wall_factor, self.wall_margin = wall_backstop
        self.cpu_limit: float | None = None  # the CPU seconds of the check that runs (begin_check)
        self.check_times: dict[str, dict[str, float]] = {}  # per check: sandbox CPU and wall seconds
        self._check: tuple[str, float] | None = None
        self._cpu_spent = 0.0  # by the running check, in sandboxes killed since it began
        self._cpu_base: tuple[int, float] | None = None  # (sandbox generation, its CPU when counting began)

    def backstop(self, cpu_limit: float) -> float:
        """Wall-clock seconds allowed for a CPU-time limit of ``cpu_limit`` seconds."""
        return cpu_limit * self.wall_factor + self.wall_margin

    # ---------------------------------------------------------------- time limits

    def begin_check(self, limit: float, name: str = "") -> None:
        """A check (hidden test) begins: its calls together may use ``limit`` CPU seconds of the sandbox."""
        self.cpu_limit = limit
        self.deadline = time.monotonic() + self.backstop(limit)
        self._cpu_spent, self._cpu_base = 0.0, None
        self._check = (name, time.monotonic())

    def end_check(self) -> dict[str, float]:
        """The check is over: its sandbox CPU and wall seconds (also kept in ``check_times``)."""
        spent = {"cpu_s": round(self._check_cpu(), 4), "wall_s": 0.0}
        if self._check is not None:
            name, began = self._check
            spent["wall_s"] = round(time.monotonic() - began, 4)
            if name:
                self.check_times[name] = spent
        self.cpu_limit, self.deadline, self._check, self._cpu_base = None, None, None, None
        return spent

    def _check_cpu(self, now: float | None = None) -> float:
        """CPU seconds the running check has used in the sandbox (restarts included, replays not)."""
        if self.process is None or self._cpu_base is None or self._cpu_base[0] != self.generation:
            return self._cpu_spent
        current = self.process.cpu_seconds() if now is None else now
        return self._cpu_spent + max(0.0, current - self._cpu_base[1])

    def _count_from(self, now: float) -> None:
        """Charge the running check from ``now`` on, in the current sandbox (after a start or restart)."""
        if self._cpu_base is None or self._cpu_base[0] != self.generation:
            self._cpu_base = (self.generation, now)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start a sandbox and run the submission's cells in it (the first time, record the log)."""
        first = self.load_reports is None
        started = time.monotonic()
        fatal: list[CellReport] = []
        while True:
            if self.process is None:
                self.process = SandboxProcess(self.zygote, self.request_template, output_limit=self.output_limit)
                self.layers = self.process.layers
                self.generation += 1
            reports: list[CellReport] = []
            for cell in self.cells:
                if cell.index in self.skipped:
                    continue
                report = self._exec_cell(cell)
                if report.fatal:  # the process is gone: skip this cell and replay the rest anew
                    self.skipped.add(cell.index)
                    fatal.append(report)
                    break
                reports.append(report)
            else:
                break
        if first:
            self.load_reports = sorted(reports + fatal, key=lambda r: r.index)
            self.load_output = self.process.output.take() if self.process else ""
            self.load_time_s = time.monotonic() - started
            self.load_cpu_s = self.process.cpu_seconds() if self.process else 0.0
        elif self.process is not None:
            self.process.output.take()

    def _exec_cell(self, cell: Cell) -> CellReport:
        assert self.process is not None
        began = time.monotonic()
        deadline = began + self.backstop(self.cell_timeout) + 2.0
        report = CellReport(cell.index)
        try:
            kind, value = self.process.request(
                "exec", {"source": cell.source, "index": cell.index}, deadline=deadline, soft_margin=2.0,
                cpu_budget=self.cell_timeout + 2.0)
        except wire.WireTimeout:
            report.fatal = f"cell {cell.index} ran past the {self.cell_timeout:g} s limit and was stopped"
            self._kill()
        except (wire.PeerClosed, OSError):
            report.fatal = f"cell {cell.index} crashed the Python process (it was skipped)"
            self._kill()
        except codec.CodecError as exc:
            report.fatal = f"cell {cell.index} produced an invalid reply: {exc}"
            self._kill()
        else:
            if kind == "ok":
                report.error = value["error"]
                report.notes = list(value["notes"])
            elif value.get("type") == SOFT_TIMEOUT_TYPE:
                report.error = {"type": "TimeoutError", "traceback": "",
                                "message": f"cell {cell.index} ran past the {self.cell_timeout:g} s limit"}
            else:
                report.error = value
        report.duration_s = time.monotonic() - began
        return report

    def _kill(self) -> None:
        if self.process is not None:
            self._cpu_spent = self._check_cpu()  # what the running check used in this sandbox
            self._cpu_base = None
            self.process.kill()
            self.process = None
            self.restarts += 1

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None

    def take_output(self) -> str:
        return self.process.output.take() if self.process is not None else ""

    # ---------------------------------------------------------------- requests

    def call(self, op: str, args: dict[str, Any]) -> Any:
        if self.process is None:
            self.start()
        assert self.process is not None
        if self.on_call is not None:
            self.on_call(self.generation)
        cpu_now = self.process.cpu_seconds()
        if self.cpu_limit is not None:  # a check's CPU budget, what is left of it
            self._count_from(cpu_now)
            budget: float | None = self.cpu_limit - self._check_cpu(cpu_now)
            deadline = self.deadline or (time.monotonic() + self.backstop(self.cpu_limit))
        elif self.deadline is not None:  # a bare wall-clock deadline, set by the caller
            budget, deadline = None, self.deadline
        else:  # outside any check (a session fixture, say): the default limit for this call alone
            budget, deadline = self.default_timeout, time.monotonic() + self.backstop(self.default_timeout)
        if deadline - time.monotonic() <= 0 or (budget is not None and budget <= 0):
            raise SandboxTimeout("this check ran past its time limit")
        try:
            encoded = _outgoing(args)
            seed, self.pending_seed = self.pending_seed, None
            kind, value = self.process.request(op, encoded, deadline=deadline, seed=seed, cpu_budget=budget,
                                               cpu_now=cpu_now)
        except wire.WireTimeout:
            self._kill()
            raise SandboxTimeout("your code ran past the time limit for this check and was stopped") from None
        except (wire.PeerClosed, BrokenPipeError, ConnectionResetError):
            self._kill()
            raise SandboxCrashed(
                "your code crashed the Python process (for example os._exit, a segmentation fault, "
                "or running out of memory)"
            ) from None
        except codec.CodecError as exc:
            self._kill()
            raise SandboxProtocolError(f"your code returned a value that cannot be graded: {exc}") from None
        except MemoryError:  # the judge's own limit (worker.limit_memory): this reply is lost mid-way
            self._kill()
            raise SandboxProtocolError("your code returned more data than the grader can hold in memory; "
                                       "return smaller values") from None
        if kind == "ok":
            return self._incoming(value)
        if value.get("type") == SOFT_TIMEOUT_TYPE:
            raise SandboxTimeout("your code ran past the time limit for this check")
        if op == "make" and value.get("type") == FACTORY_ERROR_TYPE:
            raise SandboxFactoryError(str(value.get("message")))
        kind_name = str(value.get("type"))
        error_class = StudentNameMissing if kind_name in ("NameError", "AttributeError") else StudentCodeError
        raise error_class(kind_name, str(value.get("message")), str(value.get("traceback", "")))

    def _incoming(self, value: Any) -> Any:
        if isinstance(value, HandleRef):
            return RemoteHandle(self, value, self.generation)
        if isinstance(value, ConfigValue):
            import transformers

            return getattr(transformers, value.class_name).from_dict(value.data)
        if type(value) is list:
            return [self._incoming(v) for v in value]
        if type(value) is tuple:
            return tuple(self._incoming(v) for v in value)
        if type(value) is dict:
            return {k: self._incoming(v) for k, v in value.items()}
        return value


def _outgoing(value: Any) -> Any:
    """Judge values to wire values: handles to references, transformers configs to ConfigValue."""
    if isinstance(value, RemoteHandle):
        return object.__getattribute__(value, "_ref")
    if type(value) in (list, tuple):
        return type(value)(_outgoing(v) for v in value)
    if type(value) is dict:
        return {k: _outgoing(v) for k, v in value.items()}
    name = type(value).__name__
    if name in codec.CONFIG_CLASSES and hasattr(value, "to_dict"):
        return ConfigValue(name, value.to_dict())
    return value


class RemoteHandle:
    """An object that lives in the sandbox. Every operation is a request with the test's deadline."""

    __slots__ = ("_generation", "_ref", "_session")

    def __init__(self, session: StudentSession, ref: HandleRef, generation: int) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_generation", generation)

    def _request(self, op: str, **args: Any) -> Any:
        session: StudentSession = object.__getattribute__(self, "_session")
        if object.__getattribute__(self, "_generation") != session.generation or session.process is None:
            raise SandboxCrashed("this object was lost when your code was restarted after an earlier failure")
        return session.call(op, {"target": self, **args})

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("__", "hypothesis_", "_pytest")):
            raise AttributeError(name)  # introspection by pytest or hypothesis, not a student attribute
        return self._request("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._request("setattr", name=name, value=value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._request("call", name=None, args=list(args), kwargs=kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._request("getitem", key=key)

    def __len__(self) -> int:
        value = self._request("len")
        if type(value) is not int or value < 0:
            raise SandboxProtocolError("len() of your object is not a non-negative int")
        return value

    def __iter__(self) -> Any:
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        ref = object.__getattribute__(self, "_ref")
        return f"<student {ref.type_name} #{ref.id}>"

    @property
    def type_name(self) -> str:
        return object.__getattribute__(self, "_ref").type_name


class StudentProxy:
    """The ``student`` fixture: attribute access reads the student's namespace in the sandbox."""

    def __init__(self, session: StudentSession) -> None:
        object.__setattr__(self, "_session", session)

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("__", "hypothesis_", "_pytest")):
            raise AttributeError(name)  # introspection by pytest or hypothesis, not a student name
        return object.__getattribute__(self, "_session").call("get", {"name": name})

    def has(self, name: str) -> bool:
        return bool(object.__getattribute__(self, "_session").call("has", {"name": name}))

    def make(self, factory: str, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_session").call(
            "make", {"name": factory, "args": list(args), "kwargs": kwargs}
        )

    def make_handle(self, factory: str, *args: Any, **kwargs: Any) -> RemoteHandle:
        """Like :meth:`make`, but the result stays in the sandbox, even plain data: a handle to it.

        For large inputs the student's functions take (a data set the sheet's given module loads):
        they never cross the wire, and every call makes a fresh object.
        """
        handle = object.__getattribute__(self, "_session").call(
            "make", {"name": factory, "args": list(args), "kwargs": kwargs, "keep": True}
        )
        if not isinstance(handle, RemoteHandle):
            raise SandboxProtocolError(f"the sandbox did not return a handle for factory {factory!r}")
        return handle

    def reseed(self, seed: int) -> None:
        """Seed the sandbox's Python, NumPy and torch generators before the student's next call.

        The seed travels with that call (no round trip of its own): the student's code cannot tell.
        """
        object.__getattribute__(self, "_session").pending_seed = seed

    @property
    def session(self) -> StudentSession:
        return object.__getattribute__(self, "_session")


__all__ = [
    "RemoteHandle", "SandboxCrashed", "SandboxProtocolError", "SandboxSetupError", "SandboxTimeout",
    "StudentCodeError", "StudentFailure", "StudentProxy", "StudentSession",
]
