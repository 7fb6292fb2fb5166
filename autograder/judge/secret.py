"""The secret-data rule: what a student call printed, raised or returned on the judge's secret data is staff-only.

Secret data is what the student must never read: held-out splits, hidden inputs, expected values.
It is "in play" in a hidden test, from the moment the judge holds it there, when

- the test carries ``@pytest.mark.secret``;
- the judge opens a file (not ``.py``) under a secret folder — the hidden suite's folder is one by
  default — however it is opened (``open``, ``Path.read_text``, ``json.load``, the reference's
  loaders): an audit hook on ``open`` sees every one;
- the test calls a function that read secret data while the grading worker warmed up (a
  ``functools.cache`` of the reference, say): such functions are wrapped in the judge;
- the test uses a fixture whose set-up had secret data in play, or reads a ``memo`` value computed
  while secret data was in play;
- the test, a fixture or a memo computation calls :func:`secret` (``autograder.judge.testing.secret``);
- the test calls the student's code in a sandbox process that already received secret data in an
  earlier test (the student's code may have kept it): the taint lasts until that process restarts.

The granularity is the whole test: everything the student's code printed during it, its exception
texts, and the test's failure message (which may quote a student value) are replaced, in the
student-facing fields of its ``CaseResult``, by neutral text; the originals go to the staff fields
(``staff_message``, ``staff_printed``), and its charts to ``extra_data.staff_plots``. Messages
the author marks with :func:`safe_message` (the judge's own aggregates) and the engine's fixed
texts (time limit, crash, NotImplementedError) stay. The grade is never changed. Every renderer
reads the student-facing fields only, so this one substitution (:meth:`SecretTracker.withhold`, in
:meth:`autograder.judge.plugin.JudgePlugin.results`) is the whole rule.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any, TypeVar

from autograder.core import pysource
from autograder.core.results import CaseResult

NEUTRAL_MESSAGE = ("This check runs your code on the judge's held-out data, so the details of its "
                   "result (what your code printed, raised or returned) are not shown; course staff "
                   "can see them.")
NEUTRAL_PRINTED = "Your code's output during this check (on the judge's held-out data) is not shown."
NEUTRAL_NOT_IMPLEMENTED = "Your code raised NotImplementedError"

_folders: set[str] = set()
_warm_sources: set[CodeType] = set()
_hooked = False
_active: SecretTracker | None = None
_safe: set[str] = set()

T = TypeVar("T")


class SecretTracker:
    """Which tests, fixtures, memo keys and sandbox processes of one judge run had secret data in play."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.tainted: dict[str, str] = {}  # nodeid -> why (the first reason)
        self.fixtures: set[str] = set()
        self.files: set[str] = set()  # hidden-suite modules that read secret data when imported
        self.memo_keys: set[str] = set()
        self.generations: set[int] = set()  # sandbox processes that received secret data
        self.reads = 0  # secret reads and declarations so far (not markers): fixtures compare it

    def taint(self, reason: str) -> None:
        """Secret data is in play in the running test (and the fixture or memo being computed)."""
        self.reads += 1
        if self.current is not None:
            self.tainted.setdefault(self.current, reason)
        else:  # at import: the hidden test modules on the stack hold secret data
            self.files.update(_hidden_frames())

    def mark(self, nodeid: str, reason: str) -> None:
        self.tainted.setdefault(nodeid, reason)

    def is_tainted(self, nodeid: str | None = None) -> bool:
        nodeid = self.current if nodeid is None else nodeid
        return nodeid is not None and nodeid in self.tainted

    def student_call(self, generation: int) -> None:
        """Called before each request to the sandbox: a tainted test's call taints the process too."""
        if self.current is None:
            return
        if self.is_tainted():
            self.generations.add(generation)
        elif generation in self.generations:
            self.mark(self.current, "the sandbox process received secret data in an earlier check")

    def memo_read(self, key: str) -> None:
        if key in self.memo_keys:
            self.taint(f"memo {key!r} was computed with secret data")

    def memo_computed(self, key: str, reads_before: int) -> None:
        if self.reads > reads_before or self.is_tainted():
            self.memo_keys.add(key)


def tracker() -> SecretTracker | None:
    """The tracker of the judge run in progress (None outside one)."""
    return _active


def start(folders: Iterable[Path] = ()) -> SecretTracker:
    """A fresh tracker for one judge run; ``folders`` (the hidden suite's) hold secret data."""
    global _active
    watch(folders)
    _active = SecretTracker()
    return _active


def stop() -> None:
    global _active
    _active = None


def watch(folders: Iterable[Path]) -> None:
    """Treat every non-``.py`` file under ``folders`` as secret from now on (in this process)."""
    global _hooked
    for folder in folders:
        for form in {os.path.abspath(folder), os.path.realpath(folder)}:
            _folders.add(form.rstrip(os.sep) + os.sep)
    if _folders and not _hooked:
        sys.addaudithook(_audit)
        _hooked = True


def secret(value: T = None) -> T:  # type: ignore[assignment]
    """Declare that secret data is in play here (a test, a fixture, a memo computation); returns ``value``."""
    if _active is not None:
        _active.taint("declared secret")
    return value


def safe_message(text: str) -> str:
    """Mark a failure message as safe to show even in a check that used secret data; returns ``text``.

    Only for text the judge composed from its own aggregates (``"held-out NLL 3.10 is above
    2.9"``), never for text that quotes a value the student's code returned.
    """
    _safe.add(text)
    return text


def is_safe(text: str) -> bool:
    return text in _safe


def literal_messages(path: Path) -> set[str]:
    """The string literals of a hidden test module (not the parts of f-strings): an assertion
    message that is one of them is the author's fixed text and cannot carry a student's value."""
    try:
        tree = pysource.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                       for part in ast.walk(node)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstrings
            and len(node.value) >= 20}


def withhold(case: CaseResult, *, message_safe: bool, reason: str) -> CaseResult:
    """``case`` as the student may see it after secret data was in play in it: the printed output
    and any message that is not safe replaced by neutral text, the originals in the staff fields."""
    message = case.output
    if not message_safe:
        message = (NEUTRAL_NOT_IMPLEMENTED if message.startswith(NEUTRAL_NOT_IMPLEMENTED) else NEUTRAL_MESSAGE)
    return case.model_copy(update={
        "output": message if case.output else "",
        "student_output": NEUTRAL_PRINTED if case.student_output.strip() else "",
        "staff_message": case.output, "staff_printed": case.student_output,
        "secret": True, "secret_reason": reason,
    })


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _folders:
        return
    try:
        _on_open(args)
    except Exception:  # noqa: BLE001 - a hook that raised would break every open() in the judge
        if _active is not None and _active.current is not None:  # fail closed: withhold this check
            _active.mark(_active.current, "the secret-data check of an open() failed")


def _on_open(args: tuple[Any, ...]) -> None:
    path = args[0] if args else None
    if not isinstance(path, (str, bytes, os.PathLike)):
        return
    try:
        name = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return
    if name.endswith((".py", ".pyc")) or not any(name.startswith(folder) for folder in _folders):
        return
    if _active is not None:
        _active.taint(f"read {os.path.basename(name)} from the hidden folder")
    # The functions on the stack now hold (or cache) secret data: a later judge in this process (a
    # fork of a warm worker, say) wraps them, so that a cached answer taints its caller too.
    frame: Any = sys._getframe(1)
    while frame is not None:
        _warm_sources.add(frame.f_code)
        frame = frame.f_back


def _hidden_frames() -> set[str]:
    frame: Any = sys._getframe(1)
    found = set()
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if filename.endswith(".py") and any(filename.startswith(folder) for folder in _folders):
            found.add(filename)
        frame = frame.f_back
    return found


def wrap_warm_sources(package: str) -> int:
    """In the modules of ``package``, wrap each function that read secret data during warm-up (or
    a cache around one), so that calling it again, cached or not, taints the running test."""
    wrapped = 0
    cache: dict[int, Callable[..., Any]] = {}
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or not (name == package or name.startswith(package + ".")):
            continue
        for attr, value in list(vars(module).items()):
            if id(value) in cache:
                setattr(module, attr, cache[id(value)])
            elif _reads_secret(value):
                cache[id(value)] = _tainting(value)
                setattr(module, attr, cache[id(value)])
                wrapped += 1
    return wrapped


_CACHE_TYPE = type(functools.cache(lambda: None))


def _reads_secret(value: Any) -> bool:
    """Whether ``value`` is a function (or a cache or ``functools.wraps`` wrapper around one) whose
    code read secret data. Plain functions and caches only: no attribute of an arbitrary object is
    read (a lazy module's ``__getattr__`` could import, or raise)."""
    inner = value
    for _ in range(4):
        if not isinstance(inner, (FunctionType, _CACHE_TYPE)):
            return False
        if getattr(inner, "__autograder_secret__", False):
            return False
        if isinstance(inner, FunctionType) and inner.__code__ in _warm_sources:
            return True
        inner = getattr(inner, "__wrapped__", None)
    return False


def _tainting(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _active is not None:
            _active.taint(f"{getattr(function, '__name__', 'a function')} returns secret data")
        return function(*args, **kwargs)

    call.__autograder_secret__ = True  # type: ignore[attr-defined]
    return call
