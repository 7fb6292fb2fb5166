"""The README's layout section lists what `ls` shows: every tracked entry at the top and in autograder/."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_block(readme: Path = ROOT / "README.md") -> list[str]:
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1].strip("\n").splitlines()


def listed(lines: list[str]) -> tuple[set[str], set[str]]:
    """``(top-level entries, entries of autograder/)`` named in the block."""
    top, inner = set(), set()
    for line in lines:
        name = line.split()[0].rstrip("/") if line.strip() else ""
        if not name:
            continue
        (inner if re.match(r"^ {2}\S", line) else top).add(name)
    return top, inner


def tracked() -> tuple[set[str], set[str]]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {f.split("/")[0] for f in files if not f.startswith(".")}
    inner = {f.split("/")[1] for f in files if f.startswith("autograder/") and "__pycache__" not in f}
    return top, inner


def test_the_readme_layout_matches_ls() -> None:
    top, inner = listed(layout_block())
    want_top, want_inner = tracked()
    assert (sorted(want_top - top), sorted(top - want_top)) == ([], []), "README layout vs `ls` (missing, extra)"
    assert (sorted(want_inner - inner), sorted(inner - want_inner)) == ([], []), \
        "README layout vs `ls autograder` (missing, extra)"


def test_a_missing_package_is_caught() -> None:
    lines = ["Makefile   x", "autograder/   y", "  core/   z"]
    assert listed(lines) == ({"Makefile", "autograder"}, {"core"})
