"""Helpers of the release tests: a copy of the toy course, made releasable.

The toy course itself is *not* releasable, on purpose: its ``test_factory_roundtrip`` only exercises
the sandbox's factories, so the untouched notebook passes it and no variant can fail it (the refusal
test uses exactly that). The releasable copy swaps that test for one a wrong ``Counter`` fails, which
also attaches a chart through the judge's ``plot`` fixture.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "toy_course"
REVIEW = ROOT / "build" / "review"

REPLACEMENT_TEST = '''
@pytest.mark.points(1)
@pytest.mark.exercise("objects")
def test_counter_counts_in_steps(student, plot):
    counter = student.Counter(0)
    got = [counter.bump(by=2) for _ in range(5)]
    want = [2, 4, 6, 8, 10]
    plot("Counter after each bump(by=2)", {"your counter": got, "expected": want}, x_label="call",
         y_label="value")
    assert got == want, "bump(by=2) should add 2 each time"
'''


def remove_function(source: str, name: str) -> str:
    """``source`` without the top-level function ``name`` (decorators included)."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    lines = source.splitlines(keepends=True)
    return "".join(lines[: first - 1] + lines[node.end_lineno:])


def copy_toy_course(target: Path) -> Path:
    shutil.copytree(TOY, target, ignore=shutil.ignore_patterns("__pycache__", "build", "submissions"))
    return target


def readable_folder(prefix: str) -> Path:
    """A fresh folder the sandbox's own uid can read (pytest's tmp folders are private to root)."""
    base = ROOT / "build" / "test-tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    folder.chmod(0o755)
    return folder


class _Lent:
    """A warm :class:`autograder.grading.pool.Grader` lent for one ``with`` block: left open after it."""

    def __init__(self, grader: Any) -> None:
        self.grader = grader

    def __enter__(self) -> Any:
        return self.grader

    def __exit__(self, *exc: object) -> None:
        pass  # its owner closes it


def lend_grader(monkeypatch: Any, grader: Any) -> None:
    """Until the test ends, code that would start its own workers for ``grader``'s course file and device
    (``grade_batch`` without ``grader=``, as the CLI calls it) grades on ``grader`` instead; any other
    course or device still gets workers of its own."""
    from autograder.grading import batch, pool

    real = batch.Grader  # grade_batch's name for the pool

    def grader_for(config: Any, *, jobs: int = 1, device: str = "auto", config_file: Path | None = None) -> Any:
        wanted = Path(config_file or config.root / "course_config.py").resolve()
        resolved = pool.resolve_device(config.device if device == "auto" else device, pool.discover_gpus())
        if wanted == Path(grader.config_file).resolve() and resolved == grader.device:
            return _Lent(grader)
        return real(config, jobs=jobs, device=device, config_file=config_file)

    monkeypatch.setattr(batch, "Grader", grader_for)
