"""Every module, name and file of the package that the README and docs/ mention exists.

A move (issue 23) rewrites imports, which the tests catch, and prose, which nothing else checks: a
page that sends the next maintainer to ``autograder.grading.worker.grade_task`` after it moved to
``autograder.grading.distributed`` is wrong without failing anything. This reads every dotted name
``autograder.x.y`` and every path ``autograder/x/y.py`` in the README and docs/*.md and resolves it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOTTED = re.compile(r"(?<![\w.])autograder(?:\.\w+)+")
PATH = re.compile(r"(?<![\w/.])autograder/[\w/]+\.(?:py|html|css)\b")
NOT_CODE = re.compile(r"metadata\.autograder")  # a notebook's metadata keys, not modules


def resolves(dotted: str) -> bool:
    """``dotted`` is a module of the package, or a name (an attribute chain) in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            continue
        value: object = importlib.import_module(module)
        for attribute in parts[cut:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


def mentions() -> list[tuple[str, str, str]]:
    """``(page, kind, text)`` for every dotted name and path of the package on the pages."""
    found = []
    for page in PAGES:
        text = NOT_CODE.sub("", page.read_text(encoding="utf-8"))
        found += [(page.name, "name", m.rstrip(".")) for m in sorted(set(DOTTED.findall(text)))]
        found += [(page.name, "path", m) for m in sorted(set(PATH.findall(text)))]
    return found


def test_the_pages_mention_the_package_at_all() -> None:
    assert len(mentions()) > 50


def current(text: str, page: str) -> bool:
    """An old name kept for files written before the move (``autograder.MOVED``) is not one to send a
    reader to: only architecture.md, which lists them, may name them."""
    from autograder import MOVED

    old = any(text == name or text.startswith(name + ".") for name in MOVED)
    return resolves(text) and (not old or page == "architecture.md")


@pytest.mark.parametrize("page", [page.name for page in PAGES])
def test_every_name_and_path_a_page_mentions_exists(page: str) -> None:
    missing = [text for name, kind, text in mentions() if name == page
               and not (current(text, page) if kind == "name" else (ROOT / text).exists())]
    assert missing == [], f"{page} mentions what does not exist"


def test_the_check_sees_a_stale_name() -> None:
    assert resolves("autograder.grading.distributed.grade_task")
    assert not resolves("autograder.grading.worker.grade_task")
    assert not resolves("autograder.feedback")
    assert resolves("autograder.testing") and not current("autograder.testing.safe_message", "writing-tests.md")
