"""Loading submissions: notebooks and .py files become cells; bad files get a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder.core.errors import SubmissionError
from autograder.core.submission import load_submission, parse_python
from autograder.grading.collect import student_id_for

MB = 1 << 20


def write_notebook(path: Path, sources: list[str], metadata: dict | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# prose")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata.update(metadata or {})
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def test_notebook_code_cells_in_order(tmp_path):
    path = write_notebook(tmp_path / "a.ipynb", ["x = 1", "%%time\ny = 2", "!pip install foo"])
    loaded = load_submission(path, max_bytes=MB)
    assert [c.source for c in loaded.cells] == ["x = 1", "%%time\ny = 2", "!pip install foo"]
    assert [c.index for c in loaded.cells] == [1, 2, 3]
    assert len(loaded.sha256) == 64


def test_python_percent_format_splits_cells():
    cells = parse_python("import os\n# %%\nx = 1\n# %% [markdown]\n# text\n")
    assert [c.source.strip().splitlines()[0] for c in cells] == ["import os", "# %%", "# %% [markdown]"]
    assert len(parse_python("a = 1\nb = 2\n")) == 1


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"\x00\x01\x02binary", "binary"),
    (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}).encode(), "format version 3"),
    (json.dumps({"hello": 1}).encode(), "not a Jupyter notebook"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": {"0": "x = 1"}}).encode(), "not a list of cells"),
    (json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": {"x": 1}}]}).encode(),
     "cell 0 has a malformed source"),
    ("x = 'caf\xe9'".encode("latin-1"), "UTF-8"),
])
def test_unreadable_files_raise_submission_error(tmp_path, content, message):
    suffix = ".py" if message == "UTF-8" else ".ipynb"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=message):
        load_submission(path, max_bytes=MB)


def test_too_large_and_wrong_suffix_and_other_sheet(tmp_path):
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 300_000)
    with pytest.raises(SubmissionError, match="larger than"):
        load_submission(big, max_bytes=MB)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(SubmissionError, match="neither a notebook"):
        load_submission(text, max_bytes=MB)
    other = write_notebook(tmp_path / "o.ipynb", ["x = 1"], {"autograder": {"sheet": "sheet_9_9"}})
    with pytest.raises(SubmissionError, match="belongs to 'sheet_9_9'"):
        load_submission(other, max_bytes=MB, expected_sheet="sheet_3_2")


def test_student_ids_from_nbgrader_layout_and_stems(tmp_path):
    nb = tmp_path / "submitted" / "alice" / "ps1" / "sheet.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text("{}")
    assert student_id_for(nb) == "alice"
    assert student_id_for(tmp_path / "bob smith.ipynb") == "bob smith"  # readable: spaces are kept
    assert student_id_for(tmp_path / "../..ipynb") != ""
