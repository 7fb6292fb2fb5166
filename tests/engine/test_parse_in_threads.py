"""Parsing Python source from several threads at once (CPython 3.11's shared AST-constructor state).

Two threads turning source into ``ast`` nodes at the same moment can make one raise ``SystemError:
AST constructor recursion depth mismatch`` (gh-106905); in CI it once stopped the Sheet 3.2 gate,
whose batch threads built the batch's feedback context (public checks, parsed) side by side. Every
parse of the package now takes one process-wide lock (:mod:`autograder.core.pysource`), the
public-check runner takes the same one, and what a batch builds once is built once.
"""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autograder.core import pysource
from autograder.student import checks

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"
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
