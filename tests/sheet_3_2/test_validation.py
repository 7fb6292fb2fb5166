"""Sheet 3.2 validated end to end through the real sandbox path, graded once and shared.

The release gate (:func:`autograder.release.gate.run_gate`, the same code `autograder release` runs;
the ``gate_report`` fixture of ``conftest.py``, once per run) grades, in
``build/validation/sheet_3_2/gate`` (resumable: an unchanged submission is not regraded): the wrapped
reference, the untouched notebook, every one-bug variant (tests/variants/sheet_3_2: the reference plus
one cell that redefines one item with a bug; training checks it cannot change take the reference's
outcome) and every alternative correct solution (tests/alternatives/sheet_3_2, as a notebook: the
notebook's cells, the reference, the alternative's cells). This module adds a second batch in
``build/validation/sheet_3_2/extra`` on the same warm workers: the complete example twice (the second
copy with one more, empty-effect cell, so that it is graded again and not shared as identical
content), to show grading is deterministic. ``test_sheet_3_2_release.py`` releases the real sheet
through the real gate and reuses these gradings.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from validation_paths import ROOT

from autograder.core.config import load_config
from autograder.grading.batch import grade_batch
from autograder.release.gate import (
    ALTERNATIVE_PREFIX,
    NOTEBOOK_ID,
    REFERENCE_ID,
    VARIANT_PREFIX,
)

VARIANTS = ROOT / "tests" / "variants" / "sheet_3_2"
ALTERNATIVES = ROOT / "tests" / "alternatives" / "sheet_3_2"
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"
OUT = ROOT / "build" / "validation" / "sheet_3_2"


def complete_cells() -> list[str]:
    nb = nbformat.read(COMPLETE, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def as_notebook(cells: list[str]) -> str:
    """The same bytes for the same cells (fixed cell ids), so that a rerun resumes instead of regrading."""
    from autograder.release.wrap import notebook_from_cells

    return notebook_from_cells(cells)


def declared(path: Path, key: str) -> list[str]:
    return re.findall(rf"^# {key}: (\S+)$", path.read_text(), flags=re.MULTILINE)


VARIANT_FILES = sorted(VARIANTS.glob("*.py"))
ALTERNATIVE_FILES = sorted(ALTERNATIVES.glob("*.py"))
# full marks of the tests: the sheet's written answers (graded by staff) are not autograded
AUTOGRADED = load_config(ROOT / "course_config.py").sheet("sheet_3_2").autograded_points


def _config():
    from autograder.core.config import load_config

    return load_config(ROOT / "course_config.py")


@pytest.fixture(scope="module")
def graded(gate_report, sheet_3_2_grader):
    from autograder.outputs.exports import load_results

    assert gate_report.graded, gate_report.render()
    results = {r.student_id: r for r in load_results(gate_report.results_dir, sheet="sheet_3_2")}
    subs = OUT / "extra" / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    base = complete_cells()
    files = {"complete.ipynb": as_notebook(base),
             "complete_again.ipynb": as_notebook([*base, "# graded again: the same grades, or grading is not deterministic"])}
    for stale in subs.glob("altnb_*.ipynb"):  # the alternatives are the gate's (graded once, as notebooks)
        stale.unlink()
    for name, text in files.items():
        _write_if_changed(subs / name, text)
    summary = grade_batch(config=_config(), sheet="sheet_3_2", paths=[subs], out_dir=OUT / "extra" / "results",
                          jobs=2, device="cpu", config_file=ROOT / "course_config.py", grader=sheet_3_2_grader)
    assert not summary.missing
    return results | {result.student_id: result for result in summary.results}


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def by_exercise(result) -> dict[str, float]:
    return {number: got for number, (got, _) in result.exercise_scores().items()}


def _failed(result) -> list[tuple[str, str]]:
    return [(c.name, c.output[:200]) for c in result.tests if c.status != "passed"]


@pytest.mark.parametrize("name", [REFERENCE_ID, "complete"])
def test_reference_and_complete_solution_score_full_marks(graded, name):
    result = graded[name]
    assert result.score == AUTOGRADED and not result.grader_error, _failed(result)


def test_untouched_notebook_is_gradable_and_scores_zero(graded):
    untouched = graded[NOTEBOOK_ID]
    assert untouched.gradable and untouched.score == 0 and not untouched.grader_error


def test_grading_is_deterministic(graded):
    runs = [[(c.name, c.score) for c in graded[name].tests] for name in ("complete", "complete_again")]
    assert runs[0] == runs[1]


def test_there_are_enough_variants_and_alternatives():
    assert len(VARIANT_FILES) >= 45 and len(ALTERNATIVE_FILES) >= 15


def test_gate_passes_on_the_real_sheet(gate_report):
    assert gate_report.ok, gate_report.render()


@pytest.mark.parametrize("variant", VARIANT_FILES, ids=lambda p: p.stem)
def test_each_bug_loses_points_in_its_own_exercise_only(graded, variant):
    (own,) = declared(variant, "exercise")
    allowed = {own, *declared(variant, "also")}
    full = by_exercise(graded[REFERENCE_ID])
    got = by_exercise(graded[f"{VARIANT_PREFIX}{variant.stem}"])
    assert got[own] < full[own], f"{variant.stem} lost no points in {own}"
    elsewhere = {ex: got[ex] for ex in full if ex not in allowed and got[ex] != full[ex]}
    assert not elsewhere, f"{variant.stem} also lost points in {elsewhere}"


@pytest.mark.parametrize("alternative", ALTERNATIVE_FILES, ids=lambda p: p.stem)
def test_alternative_correct_solutions_score_full_marks(graded, alternative):
    """Each alternative graded once, as a notebook (the gate's grading)."""
    result = graded[f"{ALTERNATIVE_PREFIX}{alternative.stem}"]
    assert result.submission.endswith(".ipynb") and result.score == AUTOGRADED, _failed(result)
