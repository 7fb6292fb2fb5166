"""Parsing Python source from several threads at once (CPython 3.11's shared AST-constructor state).

Two threads turning source into ``ast`` nodes at the same moment can make one raise ``SystemError:
AST constructor recursion depth mismatch`` (gh-106905); in CI it once stopped the Sheet 3.2 gate,
whose batch threads built the batch's feedback context (public checks, parsed) side by side. Every
parse of the package now takes one process-wide lock (:mod:`autograder.core.pysource`), the
public-check runner takes the same one, and what a batch builds once is built once.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autograder.core import pysource
from autograder.student import checks

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "autograder"
RACE = textwrap.dedent("""
    import gc, sys, threading, time
    from pathlib import Path
    {setup}
    # Python code at every collection, as dask.distributed installs: the GIL can move to another
    # thread while one is inside the C code that builds the ast nodes
    gc.callbacks.append(lambda phase, info: time.sleep(0))
    gc.set_threshold(100)
    errors = []
    def nest(depth, then):
        return then() if depth == 0 else nest(depth - 1, then)
    def work(depth):
        def go():
            for _ in range(20):
                try:
                    {call}
                except SystemError as exc:
                    errors.append(str(exc))
        nest(depth, go)
    threads = [threading.Thread(target=work, args=(depth,)) for depth in (0, 5)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    print(len(errors))
""")


def _race(setup: str, call: str) -> int:
    """How many parses failed with two threads parsing at once (in a process of its own)."""
    code = RACE.format(setup=setup, call=call)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                         timeout=300)
    return int(run.stdout.strip())
TOY_CONFIG = Path(__file__).resolve().parents[1] / "toy_course" / "course_config.py"


def _bare_parses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "parse"
            and getattr(node.func.value, "id", "") == "ast"]


def test_every_parse_of_the_package_takes_the_lock() -> None:
    bare = {str(path.relative_to(PACKAGE)): lines for path in sorted(PACKAGE.rglob("*.py"))
            if (lines := _bare_parses(path))}
    assert set(bare) == {"core/pysource.py", "student/checks.py"}, bare
    source = (PACKAGE / "student" / "checks.py").read_text(encoding="utf-8")
    assert "with _PARSE_LOCK:\n            tree = ast.parse(" in source


def test_the_check_runner_takes_the_same_lock() -> None:
    assert checks._PARSE_LOCK is pysource.LOCK


def test_parses_from_many_threads_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    active, most = [0], [0]
    real = ast.parse

    def slow_parse(*args: Any, **kwargs: Any) -> ast.Module:
        active[0] += 1
        most[0] = max(most[0], active[0])
        time.sleep(0.01)  # the GIL goes to another thread here, as it may inside the C constructor
        active[0] -= 1
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", slow_parse)
    threads = [threading.Thread(target=pysource.parse, args=("x = 1\n",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_the_sheet_s_public_checks_are_read_from_two_threads_at_once_without_a_system_error() -> None:
    """What stopped the gate: two of a batch's threads reading Sheet 3.2's public checks side by side."""
    setup = ("from autograder.core.config import load_config\nfrom autograder.student.checks import public_check_names\n"
             "config = load_config(Path('course_config.py'))\nsheet = config.sheet('sheet_3_2')")
    assert _race(setup, "public_check_names(config, sheet)") == 0
    assert _race("from autograder.core import pysource\nsource = Path('assignments/sheet_3_2/public_checks.py').read_text()",
                 "pysource.parse(source)") == 0


def test_a_batch_builds_its_feedback_context_once_however_many_threads_ask(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from autograder.core.config import load_config
    from autograder.grading import batch

    calls: list[int] = []

    def slow_context(config: Any, sheet: Any) -> object:
        calls.append(1)
        time.sleep(0.05)
        return object()

    monkeypatch.setattr(batch, "context_for", slow_context)
    config = load_config(TOY_CONFIG)
    submission = next((TOY_CONFIG.parent / "submissions").glob("correct*"))
    opened = batch.open_batch(config=config, sheet="toy", paths=[submission], out_dir=tmp_path / "out",
                              regrade=False)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(opened.feedback_context())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(context) for context in seen}) == 1
