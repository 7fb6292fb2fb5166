"""Which training checks a variant cannot change (issue 20, item 2b), read statically from the real sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.release.reach import (
    EVERYTHING,
    changed_names,
    hidden_tests,
    reusable_training_checks,
    uses_graph,
)
from autograder.release.wrap import variant_cells

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ROOT / "tests" / "variants" / "sheet_3_2"
QA = {"test_qa_model.py::test_train_extractive_qa_returns_model_and_losses", "test_qa_model.py::test_train_extractive_qa_learns",
      "test_qa_model.py::test_train_extractive_qa_reaches_the_held_out_threshold"}


@pytest.fixture(scope="module")
def suite():
    tests = hidden_tests(ROOT / "tests" / "hidden" / "sheet_3_2")
    graph = uses_graph(path.read_text() for path in (ROOT / "reference" / "sheet_3_2").glob("*.py"))
    return tests, graph


def _reusable(suite, cells, declared):
    tests, graph = suite
    return set(reusable_training_checks(tests, graph, cells, set(declared)))


def test_training_checks_are_the_tests_with_a_time_limit(suite):
    training = {t.nodeid for t in suite[0] if t.training}
    assert QA <= training and all(t.exercise for t in suite[0] if t.training)
    assert "test_heads.py" not in {nodeid.split("::")[0] for nodeid in training}


def test_a_variant_of_an_unrelated_exercise_reuses_every_training_check(suite):
    training = {t.nodeid for t in suite[0] if t.training}
    cells = variant_cells(VARIANTS / "heads_all_wrong.py")
    assert _reusable(suite, cells, ["3.2.1.3"]) == training


def test_a_variant_reaching_an_exercise_through_the_reference_runs_its_training(suite):
    """qa_loss is 3.2.1.2's, but the QA model calls it: the QA training must run for that variant."""
    cells = variant_cells(VARIANTS / "qa_loss_no_squeeze.py")
    reusable = _reusable(suite, cells, ["3.2.1.2"])
    assert reusable and not reusable & QA


def test_a_declared_exercise_runs_its_training(suite):
    reusable = _reusable(suite, variant_cells(VARIANTS / "qa_train_no_step.py"), ["3.2.3.2"])
    assert reusable and not reusable & QA


def test_anything_but_definitions_or_no_declaration_reuses_nothing(suite):
    assert changed_names(["import torch\ntorch.manual_seed = lambda s: None"]) == {EVERYTHING}
    assert _reusable(suite, ["import torch\ntorch.manual_seed = lambda s: None"], ["3.2.1.3"]) == set()
    assert _reusable(suite, variant_cells(VARIANTS / "heads_all_wrong.py"), []) == set()


def test_a_name_the_variant_defines_and_an_item_uses_counts_as_reached(suite):
    """The variant's own helper, used by its redefinition of a QA item, reaches 3.2.3.2 through the variant."""
    cells = ["def helper(x):\n    return x", "def make_extractive_example(*a, **k):\n    return helper(None)"]
    assert not _reusable(suite, cells, ["3.2.1.3"]) & QA
