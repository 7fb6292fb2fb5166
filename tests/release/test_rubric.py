"""`autograder rubric sheet_3_2`: every hidden test with its exercise and points, a solutions notebook;
both staff-only (written outside the assignment folder, so no bundle can hold them)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder import api
from autograder.core.config import load_config
from autograder.release.bundle import build_bundle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("staff")
    written = api.rubric(sheet="sheet_3_2", out=out, config_path=ROOT / "course_config.py")
    return written.rubric, written.solutions


def test_rubric_lists_every_hidden_test_with_points_adding_up(written) -> None:
    rubric, _ = written
    text = rubric.read_text(encoding="utf-8")
    config = load_config(ROOT / "course_config.py")
    for exercise, points in config.sheet("sheet_3_2").points.items():
        assert f"## {exercise}: {points:g} points (tests add up to {points:g})" in text
    from reference.sheet_3_2 import QA_TRAINING_TIMEOUT

    assert f"`test_train_extractive_qa_reaches_the_held_out_threshold` | 5 | {QA_TRAINING_TIMEOUT} s, GPU |" in text
    assert "(no message)" not in text.split("## 3.2.1.1")[1].split("## 3.2.1.2")[0]


def test_solutions_notebook_solves_every_stub_with_notes(written) -> None:
    _, solutions = written
    notebook = nbformat.read(solutions, as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "raise NotImplementedError" not in code
    assert "def cosine_lr(" in code and "class ExtractiveQAModel(" in code and "FOX_ANSWER_SPAN = (" in code
    notes = [c.source for c in notebook.cells if c.cell_type == "markdown" and c.source.startswith("**Notes")]
    assert len(notes) == 8 and any("(6, 9)" in n and "(7, 9)" in n for n in notes)
    assert notebook.metadata["autograder"]["staff_only"] is True


def test_solutions_notebook_states_the_values_not_the_masters_placeholders(written) -> None:
    """The reference's docstrings hold the master's ``{{ }}`` values; staff read them filled in."""
    _, solutions = written
    code = "\n".join(c.source for c in nbformat.read(solutions, as_version=4).cells if c.cell_type == "code")
    assert "{{" not in code
    from reference.sheet_3_2 import QA_SETTINGS

    assert f"n_steps={QA_SETTINGS['n_steps']}" in code


def test_neither_goes_into_the_student_bundle(written, tmp_path: Path) -> None:
    config = load_config(ROOT / "course_config.py")
    sheet = config.sheet("sheet_3_2")
    assignment = config.resolve(sheet.assignment_dir).resolve()
    assert all(assignment not in path.resolve().parents for path in written)
    built, _ = build_bundle(config, sheet, tmp_path)
    names = [p.name for p in built.rglob("*")]
    assert not [n for n in names if "rubric" in n or "solutions" in n], names


def test_rubric_command_writes_both_files_without_the_course_on_the_path(tmp_path: Path) -> None:
    """`autograder rubric` as a TA types it: the reference is imported with the course root on the path
    (no PYTHONPATH, run from another folder), so the solutions notebook is written next to rubric.md."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [str(Path(sys.executable).with_name("autograder")), "rubric", "sheet_3_2", "--out", str(tmp_path),
         "--config", str(ROOT / "course_config.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "rubric.md").is_file()
    assert (tmp_path / "sheet_3_2_solutions.ipynb").is_file()
