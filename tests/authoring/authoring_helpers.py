"""Helpers of the authoring tests: build the tiny course's notebook, change its master."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring import build_notebook
from autograder.core.config import load_config

COURSE = Path(__file__).resolve().parent / "course"

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def built(course: Path) -> str:
    config = load_config(course / "course_config.py")
    return build_notebook(config, config.sheet("tiny"))


def cells(course: Path) -> dict[str, nbformat.NotebookNode]:
    """The built notebook's cells by id."""
    return {cell.id: cell for cell in nbformat.reads(built(course), as_version=4).cells}


def code_cell(body: str, *options: str) -> str:
    return "\n```{code-cell} ipython3\n" + "".join(f"{option}\n" for option in options) + "\n" + body + "\n```\n"


def write_master(course: Path, *parts: str) -> None:
    """Replace the master by the header and ``parts`` (markdown text and code_cell()s)."""
    (course / "sheets" / "tiny" / "master.md").write_text(HEADER + "\n".join(parts), encoding="utf-8")
