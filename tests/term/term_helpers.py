"""Helpers of the term tests: a readable copy of the toy course, submissions, a changed hidden test."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "toy_course"


def readable_folder(prefix: str) -> Path:
    """A fresh folder the sandbox's uid can read (pytest's tmp folders are private to root)."""
    base = ROOT / "build" / "test-tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    folder.chmod(0o755)
    return folder


def toy_course_copy(target: Path) -> Path:
    shutil.copytree(TOY, target, ignore=shutil.ignore_patterns("__pycache__", "build", "submissions"))
    return target


def sloppy(source: str, comment: str = "") -> str:
    """The correct submission with an ``add`` that is right for small numbers only."""
    return source.replace("def add(a, b):\n    return a + b",
                          f"def add(a, b):{comment}\n    return a + b if a < 100 else 0")


STRICTER_ADD = '''    assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"
    assert student.add(200, 1) == ref.add(200, 1), "add(200, 1) is wrong"'''


def make_add_stricter(course: Path) -> None:
    path = course / "hidden" / "toy" / "test_toy.py"
    text = path.read_text()
    old = '    assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"'
    assert old in text
    path.write_text(text.replace(old, STRICTER_ADD))


def tree_digest(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (top-level names in ``skip`` left out)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).parts[0] not in skip}
