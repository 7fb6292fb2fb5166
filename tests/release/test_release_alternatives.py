"""The gate grades known-correct alternatives and refuses a sheet whose hidden suite fails one.

The releasable toy course gets an alternative solution written in another legitimate style (``add``
returns the sum as a float); the sound suite passes it, and an over-strict hidden test (``test_add``
made to insist on an ``int``, in a copy) makes the gate refuse, naming that test and the alternative.
Both gates run in the background with the other toy gates, and the first grades only the alternative
(``toy_gates.py``).
"""

from __future__ import annotations

import pytest
from toy_gates import GateRun

from autograder.core.errors import ReleaseRefused


def test_gate_passes_when_the_alternative_scores_full_marks(alternative_release: GateRun) -> None:
    outcome = alternative_release.outcome()
    finding = next(f for f in outcome.report.findings if f.check == "alternatives score full marks")
    assert finding.ok and "1 known-correct alternative(s)" in finding.detail


def test_gate_refuses_an_over_strict_test_and_names_it(over_strict_release: GateRun) -> None:
    with pytest.raises(ReleaseRefused) as refused:
        over_strict_release.outcome()  # its course's test_add insists on an int (toy_gates.py)
    text = str(refused.value)
    assert "FAIL alternatives score full marks" in text
    assert "test_toy.py::test_add fails the correct alternative float_sum" in text
    assert not over_strict_release.out.exists()
