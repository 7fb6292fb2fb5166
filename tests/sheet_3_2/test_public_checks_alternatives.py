"""The public checks are never stricter than the grade (issue 22 item 7).

Every known-correct alternative of Sheet 3.2 (``tests/alternatives/sheet_3_2/``, which the release
gate grades to full marks) must read ``pass`` in ``check()`` too: each is run in-process over the
complete example solution, as a later notebook cell would redefine names, and the public checks of
every exercise it rewrites run on it. Both the checks and the hidden suite take their tolerances
from the given module's ``TOLERANCES`` (one table), so a float32 schedule passes both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from local_judge import ROOT, complete_namespace, hidden_module

import reference.sheet_3_2 as ref
from autograder.release.reach import changed_names
from autograder.release.wrap import variant_cells
from autograder.student.checks import PASS, NotebookNamespace, run_check

ALTERNATIVES = sorted((ROOT / "tests" / "alternatives" / "sheet_3_2").glob("*.py"))


def _exercises(cells: list[str]) -> list[str]:
    """The exercises whose contract names ``cells`` redefine (every exercise when that cannot be told)."""
    changed = changed_names(cells)
    touched = [ex for ex, names in ref.CONTRACT.items() if changed & set(names)]
    return touched or list(ref.CONTRACT)


def test_there_is_a_float32_schedule_among_the_alternatives() -> None:
    assert any("float32" in path.read_text() and "make_cosine_scheduler" in path.read_text() for path in ALTERNATIVES)


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[p.stem for p in ALTERNATIVES])
def test_public_checks_pass_on_every_correct_alternative(alternative: Path) -> None:
    import public_checks

    cells = variant_cells(alternative)
    ns = NotebookNamespace(complete_namespace(*cells))
    verdicts = {fn.__name__: run_check(fn, ns) for ex in _exercises(cells) for fn in public_checks.CHECKS[ex]}
    failing = {name: verdict for name, verdict in verdicts.items() if verdict[0] != PASS}
    assert verdicts and not failing, failing


def test_public_checks_and_hidden_suite_share_one_tolerance_table() -> None:
    import public_checks
    import sheet_3_2_given

    assert public_checks.TOLERANCES is sheet_3_2_given.TOLERANCES
    rtol, atol = sheet_3_2_given.lr_tolerance(0.5)
    schedules = hidden_module("test_schedules")
    assert (schedules.RTOL, schedules.lr_atol(0.5)) == (rtol, atol)
    assert hidden_module("test_utilities").GRAD_RTOL == sheet_3_2_given.TOLERANCES["gradients"][0]
