"""Issue 19, items 3, 4, 8 and 11: one student's submission never stops the similarity report for the class.

Small notebooks (the released one plus a few own cells), so each run takes about a second.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import similarity_corpus as corpus

from autograder.similarity import extract, run_similarity

SHARED = '''
def own_helper(values, scale):
    """Scale the positive values and keep their running total."""
    kept, total = [], 0.0
    for value in values:
        if value > 0:
            total += value * scale
            kept.append(total)
    return kept, total
'''


def _class(folder: Path, **extra: str) -> Path:
    """alice and bob share a function; each name in ``extra`` gets its own notebook text."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("alice", "bob"):
        (folder / f"{name}.ipynb").write_text(corpus.notebook_with([SHARED]), encoding="utf-8")
    for name, text in extra.items():
        (folder / f"{name}.ipynb").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def deep_folder(deep_folders: Any) -> Iterator[Callable[[Path, int], None]]:
    """Makes ``levels`` nested folders below a folder and removes them after the test (conftest's
    DeepFolders: neither recurses)."""
    made: list[Path] = []

    def make(base: Path, levels: int) -> None:
        made.append(base)
        deep_folders.make(base, levels)

    yield make
    for base in made:
        deep_folders.remove(base / "d")


def test_a_lone_surrogate_in_a_comment_does_not_stop_the_report(tmp_path: Path) -> None:
    """Item 3: ``"\\ud800"`` is valid JSON, and json.loads keeps the lone surrogate."""
    hostile = corpus.notebook_with([SHARED.replace("running total", "running \ud800 total")])
    assert "\\ud800" in hostile
    folder = _class(tmp_path / "class", carol=hostile)
    (folder / "bob.ipynb").write_text(hostile, encoding="utf-8")
    run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path / "out", sheet="sheet_3_2")
    assert {(p.a, p.b) for p in run.pairs} >= {("bob", "carol")}
    pages = [(tmp_path / "out" / "pairs" / f"{rank:04d}.html").read_text(encoding="utf-8")
             for rank in range(1, len(run.pairs) + 1)]
    assert any("running \ufffd total" in page for page in pages)
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "pairs.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 1 + len(run.pairs)
    assert (tmp_path / "out" / "index.html").is_file()


def test_a_folder_nested_a_thousand_deep_is_left_out_and_the_rest_compared(
        tmp_path: Path, deep_folder: Callable[[Path, int], None]) -> None:
    """Item 4: os.walk recursed and raised RecursionError for the whole class."""
    folder = _class(tmp_path / "class")
    deep = folder / "mallory"
    deep.mkdir()
    (deep / "sheet_3_2.ipynb").write_text(corpus.notebook_with([SHARED]), encoding="utf-8")
    deep_folder(deep, 1000)
    run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path / "out", sheet="sheet_3_2")
    assert [(p.a, p.b) for p in run.pairs] == [("alice", "bob")]
    why = dict(run.left_out)
    assert "nested more than" in why["mallory"]


def test_an_id_two_submissions_share_is_left_out_and_everyone_else_compared(tmp_path: Path) -> None:
    """Item 8: a collision (here bob.ipynb and bob.py) refused the whole class."""
    folder = _class(tmp_path / "class", carol=corpus.notebook_with([SHARED]))
    (folder / "bob.py").write_text(SHARED, encoding="utf-8")
    run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path / "out", sheet="sheet_3_2")
    assert [(p.a, p.b) for p in run.pairs] == [("alice", "carol")]
    why = dict(run.left_out)
    assert "2 submissions have the student id 'bob'" in why["bob"]


def test_own_code_is_capped_before_it_is_lexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 11: a 2.4 MB cell was lexed whole (about 16 s of CPU) before the cap left it out."""
    lexed: list[int] = []
    real = extract.normalise

    def counting(code: str) -> str:
        lexed.append(len(code))
        return real(code)

    monkeypatch.setattr(extract, "normalise", counting)
    padding = "x = 1  # padding\n" * (2_400_000 // 17)
    folder = _class(tmp_path / "class", carol=corpus.notebook_with([SHARED, padding]))
    run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path / "out", sheet="sheet_3_2")
    assert max(lexed) < extract.MAX_OWN_CHARS
    carol = next(own for own in run.submissions if own.student_id == "carol")
    assert "only the first" in carol.note and carol.cells == 1


def test_the_surrogate_is_cleaned_where_the_notebook_is_parsed(tmp_path: Path) -> None:
    from autograder.core.submission import load_submission

    path = tmp_path / "nb.ipynb"
    path.write_text(corpus.notebook_with(["# \ud800 and \udfff\nx = 1\n"]), encoding="utf-8")
    cells = load_submission(path, max_bytes=1 << 20).cells
    assert cells[-1].source.startswith("# \ufffd and \ufffd")
    assert all(cell.source.encode("utf-8") for cell in cells)


def test_the_cli_writes_the_report_despite_a_surrogate(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from autograder.cli.main import app

    hostile = corpus.notebook_with([SHARED.replace("running total", "running \ud800 total")])
    folder = _class(tmp_path / "class", carol=hostile)
    shutil.copyfile(folder / "carol.ipynb", folder / "dave.ipynb")
    answer = CliRunner().invoke(app, ["similarity", "sheet_3_2", str(folder), "--out", str(tmp_path / "out"),
                                      "--config", str(corpus.ROOT / "course_config.py")])
    assert answer.exit_code == 0, answer.output
    assert (tmp_path / "out" / "index.html").is_file()
