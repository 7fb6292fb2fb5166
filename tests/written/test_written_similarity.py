"""The similarity report lists written answers that several students share (``written.csv``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from written_helpers import answer_cell, notebook_with

ANSWER = "The learning rate rises during warm-up, then follows half a cosine down to its minimum at the end."


def _code(source: str) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}


def test_shared_answers_are_listed_whatever_the_spacing_and_case(tmp_path: Path) -> None:
    from autograder.similarity import run_similarity

    notebook = tmp_path / "sheet.ipynb"
    notebook.write_text(notebook_with([_code("import math")]), encoding="utf-8")
    files = {}
    for student, code, text in (("ann", "def f(x):\n    return x + 1\n", ANSWER),
                                ("ben", "def g(y):\n    return y * 2\n", "  " + ANSWER.upper().replace(" ", "\n")),
                                ("cat", "def h(z):\n    return z - 3\n", "My own words about warm-up and decay here."),
                                ("dan", "def k(w):\n    return w\n", "too short")):
        path = tmp_path / f"{student}.ipynb"
        path.write_text(notebook_with([_code(code), answer_cell(text, "cosine-why")]), encoding="utf-8")
        files[student] = path
    run_similarity(notebook=notebook, submissions=files, out=tmp_path / "out", sheet="tiny")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "written.csv").read_text(encoding="utf-8"))))
    assert [(r["question"], r["students"], r["ids"]) for r in rows] == [("cosine-why", "2", "ann ben")]
