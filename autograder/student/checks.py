"""The one public-check runner: the notebook's ``check()``, ``autograder check`` and the notebook client.

A sheet's ``public_checks.py`` holds only its checks and their table, and gets its ``check`` here::

    from autograder.student.checks import expect, make_check, needs

    @needs("cosine_lr")
    def check_cosine_lr(ns):
        expect(isinstance(ns.cosine_lr(0, base_lr=0.1, total_steps=10), float), "cosine_lr should return a float")

    CHECKS = {"3.2.2": [check_cosine_lr]}
    check = make_check(CHECKS)

Every check is a function ``check_<something>(ns)``: ``ns`` gives the student's names as attributes.
In the notebook it is a :class:`NotebookNamespace` over the notebook's globals; under
``autograder check`` it is the sandbox's :class:`autograder.judge.rpc.StudentProxy`, whose exceptions
carry the student's exception type as ``type_name``. Each check ends as one of three statuses:
``pass``; ``FAIL`` (a :class:`CheckFailed` or other ``AssertionError``, or the student's code
raising); ``to do`` (a name the check :func:`needs` is missing or ``None``, or the code raises
``NotImplementedError``): an unfinished exercise is not a failure.

``check()`` shows a :class:`CheckReport`: in a Jupyter kernel through IPython's ``display`` (the
front end picks HTML, with pass, FAIL and to do in colour, or the plain-text table), elsewhere printed
as text; both end with the same summary line as ``autograder check`` (how many pass, how many fail,
which exercises are still to do).

This module imports only the standard library: the student's notebook imports it (through
``public_checks``) in the grader's sandbox too, and the released bundle ships it as
``_autograder_checks.py`` for kernels without the autograder package. IPython is used only when the
kernel has already loaded it.

The HTML table follows the one-renderer rule (:mod:`autograder.pages`) without a dependency, in
this order: with the autograder package importable it is the template ``checks.html`` rendered by
``autograder.pages`` (the one environment and stylesheet); in the bundle's copy, which must stay this
very file, release (:func:`autograder.release.standalone.runner_source`) puts that template and the
stylesheet's ``checks`` section in the comment block above it, and this copy renders them with
jinja2, which every Jupyter install has (``_shipped_html``); without either there is no HTML
(``_repr_html_`` returns None) and the front end shows the plain-text table, which says the same.
Both are imported by name at call time (:func:`importlib.import_module`), so the release gate's
reading of this file's imports still finds the standard library only, as the bundle needs.
"""

from __future__ import annotations

import ast
import importlib
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FAIL", "PASS", "TODO", "CheckFailed", "CheckFn", "CheckReport", "CheckRow", "NotebookNamespace", "expect",
    "make_check", "needs", "public_check_names", "render", "render_html", "run_check", "run_checks",
    "summary_line",
]

CheckFn = Callable[[Any], None]
Checks = Mapping[str, Sequence[CheckFn]]
# one parse at a time in a process, the lock autograder.core.pysource takes too (why: its docstring)
_PARSE_LOCK: threading.RLock = ast.__dict__.setdefault("_autograder_parse_lock", threading.RLock())

PASS, FAIL, TODO = "pass", "FAIL", "to do"
SUMMARY = "The grade comes from the hidden tests, which check much more."


class NotebookNamespace:
    """The notebook's globals seen as attributes (looked up at call time, so later cells count)."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        try:
            return self._namespace[name]
        except KeyError:
            raise AttributeError(f"{name} is not defined") from None

    def has(self, name: str) -> bool:
        return self._namespace.get(name) is not None


class CheckFailed(AssertionError):
    """A check's message for the student."""


def expect(condition: Any, message: str) -> None:
    """Fail the check with ``message`` (for the student) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def needs(*names: str) -> Callable[[CheckFn], CheckFn]:
    """Declare the names a check uses, so an unfinished exercise reads as "to do", not as a failure."""

    def mark(fn: CheckFn) -> CheckFn:
        fn.needs = names  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class CheckRow:
    """One public check's outcome: ``status`` is :data:`PASS`, :data:`FAIL` or :data:`TODO`."""

    exercise: str
    check: str
    status: str
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS


def _is_not_implemented(exc: BaseException) -> bool:
    return isinstance(exc, NotImplementedError) or getattr(exc, "type_name", None) == "NotImplementedError"


def run_check(fn: CheckFn, ns: Any) -> tuple[str, str]:
    """``(status, message)`` of one check; never raises (an ``Exception``, that is)."""
    for name in getattr(fn, "needs", ()):
        try:
            defined = ns.has(name)
        except Exception:  # noqa: BLE001 - a broken namespace is reported, not raised
            defined = False
        if not defined:
            return TODO, f"{name} is not defined yet (or still None)"
    try:
        fn(ns)
    except AssertionError as exc:  # CheckFailed, or a plain assert in a sheet's check
        return FAIL, str(exc)
    except Exception as exc:  # noqa: BLE001 - the student's error becomes feedback
        if _is_not_implemented(exc):
            return TODO, "not implemented yet (raises NotImplementedError)"
        kind = getattr(exc, "type_name", None)
        if kind is None and type(exc).__module__ == "autograder.judge.rpc":
            return FAIL, str(exc)  # the sandbox's own message: a timeout, a crash
        return FAIL, f"raised {kind or type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    return PASS, ""


def run_checks(
    checks: Checks, exercise: str | None = None, *, ns: Any, before_each: Callable[[], None] | None = None,
) -> list[CheckRow]:
    """Run one exercise's checks (all exercises' without one), in order; ``before_each`` runs before each.

    Raises ``KeyError`` naming the exercises there are when ``exercise`` is not one of them.
    """
    if exercise is not None and exercise not in checks:
        raise KeyError(f"unknown exercise {exercise!r}; choose one of {', '.join(checks)}")
    rows = []
    for ex in [exercise] if exercise is not None else list(checks):
        for fn in checks[ex]:
            if before_each is not None:
                before_each()
            rows.append(CheckRow(ex, fn.__name__.removeprefix("check_"), *run_check(fn, ns)))
    return rows


def summary_line(rows: Iterable[CheckRow]) -> str:
    """``3/8 public checks pass, 1 FAIL; to do: 3.2.2, mlm. The grade ...``: the notebook's and the CLI's."""
    rows = list(rows)
    passed = sum(row.passed for row in rows)
    failed = sum(row.status == FAIL for row in rows)
    to_do = list(dict.fromkeys(row.exercise for row in rows if row.status == TODO))
    line = f"{passed}/{len(rows)} public checks pass"
    line += f", {failed} {FAIL}" if failed else ""
    line += f"; {TODO}: {', '.join(to_do)}" if to_do else ""
    return f"{line}. {SUMMARY}"


def render(rows: Iterable[CheckRow]) -> str:
    """The notebook's plain-text table: one line per check, then the summary line."""
    rows = list(rows)
    width = max((len(row.check) for row in rows), default=0)
    lines = [f"{row.exercise:<10} {row.check:<{width}}  {row.status:<5}  {row.message}".rstrip() for row in rows]
    lines.append(summary_line(rows))
    return "\n".join(lines)


SHIPPED_MARK = "#|"
"""Lines of the bundle copy's header that carry a shipped file: ``#| @checks.html``, then its lines."""


def _html_context(rows: list[CheckRow]) -> dict[str, Any]:
    kinds = {PASS: "pass", FAIL: "fail", TODO: "todo"}
    return {"summary": summary_line(rows), "rows": [
        {"exercise": row.exercise, "check": row.check, "status": row.status,
         "kind": kinds.get(row.status, row.status.lower()), "message": row.message} for row in rows]}


def _shipped_files() -> dict[str, str]:
    """The files release put in this copy's header (name -> text); none in the package's own file."""
    try:
        text = Path(__file__).read_text(encoding="utf-8")
    except OSError:
        return {}
    files: dict[str, list[str]] = {}
    name = ""
    for line in text.splitlines():
        if not line.startswith("#"):
            break  # the header ends where this file's own text begins
        if line.startswith(SHIPPED_MARK + " @"):
            name = line[len(SHIPPED_MARK) + 2:].strip()
            files[name] = []
        elif line.startswith(SHIPPED_MARK) and name:
            files[name].append(line[len(SHIPPED_MARK) + 1:])
    return {key: "\n".join(lines) for key, lines in files.items()}


def _shipped_html(context: dict[str, Any]) -> str | None:
    """The bundle copy's table: its shipped template and stylesheet section, rendered with jinja2."""
    shipped = _shipped_files()
    if "checks.html" not in shipped:
        return None
    try:
        jinja2 = importlib.import_module("jinja2")
    except ImportError:
        return None
    css = importlib.import_module("markupsafe").Markup(shipped.get("style.css", ""))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["stylesheet"] = lambda *sections: css
    return str(env.from_string(shipped["checks.html"]).render(**context))


def render_html(rows: Iterable[CheckRow]) -> str | None:
    """The same table as HTML for front ends that render it: the status as a coloured badge, the
    summary first; None where no template engine is at hand (the module docstring says which)."""
    context = _html_context(list(rows))
    try:
        pages = importlib.import_module("autograder.pages")
    except ImportError:  # the bundle's copy in a kernel without the package, or no jinja2
        return _shipped_html(context)
    return str(pages.render("checks.html", **context))


class CheckReport:
    """What ``check()`` shows: plain text as its ``repr`` and HTML as ``_repr_html_`` (IPython picks)."""

    def __init__(self, rows: Iterable[CheckRow]) -> None:
        self.rows = list(rows)

    def __repr__(self) -> str:
        return render(self.rows)

    __str__ = __repr__

    def _repr_html_(self) -> str | None:
        return render_html(self.rows)


def show(report: CheckReport) -> None:
    """``display`` the report in a Jupyter kernel (the front end picks HTML or text); print it elsewhere."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        importlib.import_module("IPython.display").display(report)
    else:
        print(report)


def as_namespace(ns: Any) -> Any:
    """A notebook's globals (a dict) as a :class:`NotebookNamespace`; anything else (a proxy) as it is."""
    return NotebookNamespace(ns) if isinstance(ns, dict) else ns


def make_check(checks: Checks) -> Callable[..., None]:
    """The ``check(exercise=None, ns=None)`` a sheet's ``public_checks.py`` exposes for its ``CHECKS``.

    ``check("3.2.2")`` runs one exercise's checks, ``check()`` all; each shows a
    :class:`CheckReport` (:func:`show`). Without ``ns`` it reads the globals of the caller (the notebook).
    """

    def check(exercise: str | None = None, ns: Any = None) -> None:
        """Run the public checks of one exercise (or all) and show a table of results."""
        if ns is None:
            ns = sys._getframe(1).f_globals  # the caller's: the notebook that called check()
        try:
            rows = run_checks(checks, exercise, ns=as_namespace(ns))
        except KeyError as exc:
            print(exc.args[0])
            return
        show(CheckReport(rows))

    return check


def public_check_names(config: Any, sheet: Any) -> dict[str, tuple[str, ...]]:
    """Exercise id -> names of its public checks, read from ``CHECKS`` in the public checks (parsed only).

    ``config`` and ``sheet`` are the course's ``CourseConfig`` and ``SheetConfig`` (not imported: this
    module needs only the standard library)."""
    if not sheet.public_checks:
        return {}
    path = config.resolve(sheet.assignment_dir) / sheet.public_checks
    try:
        with _PARSE_LOCK:
            tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "CHECKS" and isinstance(value, ast.Dict):
            found: dict[str, tuple[str, ...]] = {}
            for key, items in zip(value.keys, value.values):
                if isinstance(key, ast.Constant) and isinstance(items, (ast.List, ast.Tuple)):
                    found[str(key.value)] = tuple(
                        item.id.removeprefix("check_") for item in items.elts if isinstance(item, ast.Name))
            return found
    return {}
