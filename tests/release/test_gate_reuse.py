"""The gate runs a variant's training checks only where the variant can change them (issue 20, item 2b).

A copy of the releasable toy course whose ``test_softmax`` (exercise ``tensors``) carries a time limit,
so it counts as a training check, and a variant that declares ``basics`` and changes only ``ANSWER``:
the gate does not run ``test_softmax`` for it, uses the reference's outcome, and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.release.gate import REFERENCE_ID

SOFTMAX = "test_toy.py::test_softmax"


@pytest.fixture(scope="module")
def gated(toy_gates):
    """That copy's gate report (toy_gates.py: run in the background with the other toy gates)."""
    return toy_gates.run("reuse").outcome()


def test_an_unreached_training_check_is_not_run_and_the_reference_outcome_stands(gated) -> None:
    from autograder.core.results import read_result

    assert gated.ok, gated.render()
    variant = read_result(gated.results_dir / "variant-answer_41.json")
    reference = read_result(gated.results_dir / f"{REFERENCE_ID}.json")
    assert variant.extra_data["reused_from_reference"] == [SOFTMAX]
    assert SOFTMAX not in variant.extra_data["timings"]["per_test"]  # it did not run for the variant
    assert SOFTMAX in reference.extra_data["timings"]["per_test"]
    case = next(c for c in variant.tests if c.nodeid == SOFTMAX)
    assert case.status == "passed" and case.score == case.max_score
    assert [c.nodeid for c in variant.tests] == [c.nodeid for c in reference.tests]
    assert variant.score == sum(c.score for c in variant.tests) < reference.score  # it still loses ANSWER's point


def test_variants_without_a_declaration_run_everything_and_the_report_says_what_was_reused(gated) -> None:
    from autograder.core.results import read_result

    for name in ("off_by_one", "unnormalised_and_slow"):
        assert "reused_from_reference" not in read_result(gated.results_dir / f"variant-{name}.json").extra_data
    assert "1 training check(s) of 1 variant(s) not run" in gated.render()
    assert gated.catchers[SOFTMAX] == ["unnormalised_and_slow"]


def test_an_alternative_is_staged_as_the_same_notebook_every_run(releasable_course: Path, tmp_path: Path) -> None:
    """Same bytes each run (no random cell ids), so a rerun of the gate resumes instead of grading it again."""
    from autograder.release.gate import ALTERNATIVE_PREFIX, stage_submissions

    alternative = tmp_path / "float_sum.py"
    alternative.write_text("def add(a, b):\n    return float(a) + float(b)\n")
    config = load_config(releasable_course / "course_config.py")
    runs = []
    for run in ("first", "second"):
        staged = stage_submissions(config, config.sheet("toy"), [], tmp_path / run, [alternative])
        (notebook,) = [p for p in staged if p.name.startswith(ALTERNATIVE_PREFIX)]
        runs.append(notebook.read_bytes())
    assert notebook.suffix == ".ipynb" and runs[0] == runs[1]
