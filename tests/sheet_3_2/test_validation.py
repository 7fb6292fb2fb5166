"""Sheet 3.2 validated end to end through the real sandbox path.

One batch (graded once per run, resumable under build/validation/) holds: the complete solution,
the untouched notebook, every one-bug variant (tests/variants/sheet_3_2: the complete solution plus
one cell that redefines one item with a bug) and every alternative correct solution
(tests/alternatives/sheet_3_2, as a notebook and as a .py file), plus two more copies of the complete
solution to show grading is deterministic.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.batch import grade_batch

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ROOT / "tests" / "variants" / "sheet_3_2"
ALTERNATIVES = ROOT / "tests" / "alternatives" / "sheet_3_2"
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"
NOTEBOOK = ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb"
OUT = ROOT / "build" / "validation" / "sheet_3_2"


def complete_cells() -> list[str]:
    nb = nbformat.read(COMPLETE, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def as_py(cells: list[str]) -> str:
    return "".join(f"# %%\n{source}\n\n" for source in cells)


def as_notebook(cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nbformat.writes(nb)


def declared(path: Path, key: str) -> list[str]:
    return re.findall(rf"^# {key}: (\S+)$", path.read_text(), flags=re.MULTILINE)


VARIANT_FILES = sorted(VARIANTS.glob("*.py"))
ALTERNATIVE_FILES = sorted(ALTERNATIVES.glob("*.py"))


@pytest.fixture(scope="module")
def graded():
    from autograder.config import load_config

    config = load_config(ROOT / "course_config.py")
    subs = OUT / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    base = complete_cells()
    files = {"complete": as_py(base), "complete_again": as_py(base), "complete_third": as_py(base)}
    for variant in VARIANT_FILES:
        files[f"bug_{variant.stem}"] = as_py(base + [variant.read_text()])
    for alternative in ALTERNATIVE_FILES:
        files[f"alt_{alternative.stem}"] = as_py(base + [alternative.read_text()])
    for name, text in files.items():
        _write_if_changed(subs / f"{name}.py", text)
    for alternative in ALTERNATIVE_FILES:
        _write_if_changed(subs / f"altnb_{alternative.stem}.ipynb", as_notebook(base + [alternative.read_text()]))
    untouched = subs / "untouched.ipynb"
    _write_if_changed(untouched, NOTEBOOK.read_text())
    summary = grade_batch(config=config, sheet="sheet_3_2", paths=[subs], out_dir=OUT / "results", jobs=2,
                          device="cpu", config_file=ROOT / "course_config.py")
    assert not summary.missing
    return {result.student_id: result for result in summary.results}


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def by_exercise(result) -> dict[str, float]:
    return {number: got for number, (got, _) in result.exercise_scores().items()}


def test_complete_solution_scores_full_marks(graded):
    complete = graded["complete"]
    failed = [(c.name, c.output) for c in complete.tests if c.status != "passed"]
    assert not failed and complete.score == 100 and not complete.grader_error, failed


def test_untouched_notebook_is_gradable_and_scores_zero(graded):
    untouched = graded["untouched"]
    assert untouched.gradable and untouched.score == 0 and not untouched.grader_error


def test_grading_is_deterministic(graded):
    runs = [[(c.name, c.score) for c in graded[name].tests]
            for name in ("complete", "complete_again", "complete_third")]
    assert runs[0] == runs[1] == runs[2]


def test_there_are_enough_variants_and_alternatives():
    assert len(VARIANT_FILES) >= 25 and len(ALTERNATIVE_FILES) >= 5


@pytest.mark.parametrize("variant", VARIANT_FILES, ids=lambda p: p.stem)
def test_each_bug_loses_points_in_its_own_exercise_only(graded, variant):
    (own,) = declared(variant, "exercise")
    allowed = {own, *declared(variant, "also")}
    full = by_exercise(graded["complete"])
    got = by_exercise(graded[f"bug_{variant.stem}"])
    assert got[own] < full[own], f"{variant.stem} lost no points in {own}"
    elsewhere = {ex: got[ex] for ex in full if ex not in allowed and got[ex] != full[ex]}
    assert not elsewhere, f"{variant.stem} also lost points in {elsewhere}"


@pytest.mark.parametrize("alternative", ALTERNATIVE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("form", ["alt", "altnb"])
def test_alternative_correct_solutions_score_full_marks(graded, alternative, form):
    result = graded[f"{form}_{alternative.stem}"]
    failed = [(c.name, c.output[:200]) for c in result.tests if c.status != "passed"]
    assert result.score == 100, failed
