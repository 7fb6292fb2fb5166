"""Fixtures of the written-answer tests: the tiny authoring course with a written question, cheap results."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "authoring"))

WRITTEN_CELL = ('\n+++ {"autograder": "written", "question": "why-add", "title": "Why add", "exercise": "basics", '
                '"points": 2, "rubric": [{"id": "sum", "points": 1, "text": "RUBRIC-SECRET says it sums"}, '
                '{"id": "types", "points": 1, "text": "mentions types"}]}\n\n'
                "**Written ({{ written['why-add'].points:g }} points).** Why does `add` work on tensors too?\n")


@pytest.fixture
def written_course(tmp_path: Path) -> Path:
    """The tiny course, its master with one written question (2 points, exercise basics), notebook built."""
    from authoring_helpers import COURSE

    from autograder.authoring import assign_sheet
    from autograder.core.config import load_config

    course = Path(shutil.copytree(COURSE, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__")))
    master = course / "sheets" / "tiny" / "master.md"
    text = master.read_text(encoding="utf-8")
    master.write_text(text.replace("\n+++\n\n## Objects", WRITTEN_CELL + "\n+++\n\n## Objects", 1), encoding="utf-8")
    config = load_config(course / "course_config.py")
    assign_sheet(config, config.sheet("tiny"))
    return course
