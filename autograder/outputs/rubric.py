"""The TA rubric of a sheet: every hidden test with its exercise, points, limits and what it checks.

:func:`collect` runs pytest's collection of the hidden suite in a child process (the suite imports
the reference and registers its own plugins; the caller's interpreter stays clean) with this module
as a plugin, which writes one record per test. "What it checks" is the test's docstring, else the
messages of its ``assert`` statements (the student-facing sentences the author wrote), read from the
source with :mod:`ast`. :func:`render_markdown` turns the records into the rubric page. Staff only:
nothing here goes into a student bundle.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import UsageError

OUT_ENV = "AUTOGRADER_RUBRIC_OUT"


@dataclass(frozen=True)
class RubricItem:
    nodeid: str
    exercise: str
    points: float
    timeout_s: float | None
    gpu: bool
    checks: list[str]


def collect(config: CourseConfig, sheet: SheetConfig) -> list[RubricItem]:
    """The hidden suite's tests, in collection order (a child process runs pytest --collect-only)."""
    hidden = config.resolve(sheet.hidden_dir)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rubric.json"
        env = {**os.environ, OUT_ENV: str(out), "PYTHONPATH": os.pathsep.join(
            [str(config.root), str(config.resolve(sheet.assignment_dir)), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "autograder.outputs.rubric",
                               "-p", "no:cacheprovider", "--rootdir", str(hidden), "--confcutdir", str(hidden),
                               str(hidden)], env=env, capture_output=True, text=True, cwd=hidden, check=False)
        if not out.exists():
            raise UsageError(f"collecting {hidden} failed:\n{(done.stdout + done.stderr)[-3000:]}")
        return [RubricItem(**item) for item in json.loads(out.read_text(encoding="utf-8"))]


def pytest_configure(config: Any) -> None:
    for line in ("points(n): points", "exercise(id): exercise", "timeout(seconds): limit", "gpu: GPU"):
        config.addinivalue_line("markers", line)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Plugin hook (in the child process): one record per collected test, written as JSON."""
    records = []
    for item in items:
        mark = item.get_closest_marker
        points, exercise, timeout = mark("points"), mark("exercise"), mark("timeout")
        records.append(asdict(RubricItem(
            nodeid=item.nodeid, exercise=str(exercise.args[0]) if exercise else "?",
            points=float(points.args[0]) if points else 0.0,
            timeout_s=float(timeout.args[0]) if timeout else None, gpu=mark("gpu") is not None,
            checks=what_it_checks(getattr(item, "function", None)))))
    Path(os.environ[OUT_ENV]).write_text(json.dumps(records, indent=1), encoding="utf-8")


def what_it_checks(function: Any) -> list[str]:
    """The docstring's first paragraph, else the (string parts of the) messages of its asserts."""
    function = inspect.unwrap(getattr(function, "hypothesis", None) and function.hypothesis.inner_test or function)
    if function is None:
        return []
    doc = inspect.getdoc(function)
    if doc:
        return [" ".join(doc.split("\n\n")[0].split())]
    try:
        tree = pysource.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    messages = []
    for node in ast.walk(tree):
        found = [node.msg] if isinstance(node, ast.Assert) and node.msg is not None else []
        if isinstance(node, ast.Call):  # msg=..., or a sentence handed to a checking helper
            found += [k.value for k in node.keywords if k.arg == "msg"]
            found += [a for a in node.args if isinstance(a, (ast.Constant, ast.JoinedStr, ast.BinOp))]
        for text in map(_text, found):
            if len(text) > 25 and " " in text and text not in messages:
                messages.append(text)
    return messages


def _text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " ".join(node.value.split())
    if isinstance(node, ast.JoinedStr):
        return " ".join("".join(_text(v) if isinstance(v, ast.Constant) else "…" for v in node.values).split())
    if isinstance(node, ast.BinOp):
        return _text(node.left) + _text(node.right)
    return ""


def render_markdown(items: list[RubricItem], sheet: SheetConfig, default_timeout_s: float | None = None) -> str:
    """One table per exercise (points as configured and as the tests add up), then the limits."""
    lines = [f"# Rubric: {sheet.title or sheet.name}", "",
             f"{len(items)} hidden tests; a test scores its points when it passes, else 0. Staff only.", ""]
    for exercise, configured in sheet.points.items():
        mine = [item for item in items if item.exercise == exercise]
        total = sum(item.points for item in mine)
        lines += [f"## {exercise}: {configured:g} points (tests add up to {total:g})", "",
                  "| test | points | limit | what it checks and accepts |", "|---|---:|---|---|"]
        for item in mine:
            timeout = item.timeout_s or default_timeout_s
            limit = f"{timeout:g} s" if timeout else "none"
            limit += ", GPU" if item.gpu else ""
            checks = "<br>".join(c.replace("|", "\\|") for c in item.checks) or "(no message)"
            lines.append(f"| `{item.nodeid.split('::', 1)[-1]}` | {item.points:g} | {limit} | {checks} |")
        lines.append("")
    stray = [item.nodeid for item in items if item.exercise not in sheet.points]
    if stray:
        lines += ["## Tests of no configured exercise", "", *(f"- `{n}`" for n in stray), ""]
    for question in sheet.written:  # graded by staff, from the master's written cells
        unit = "point" if question.points == 1 else "points"
        lines += [f"## Written {question.id} ({question.exercise}): {question.points:g} {unit}, graded by staff", "",
                  question.title, "", "| rubric item | points | what the answer says |", "|---|---:|---|",
                  *(f"| `{item.id}` | {item.points:g} | {item.text.replace('|', chr(92) + '|')} |"
                    for item in question.rubric), ""]
    return "\n".join(lines)
