"""The grade's parts: tests + written answers + staff adjustments - late penalty, from the staff ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autograder.core.results import (
    CaseResult,
    SubmissionResult,
    WrittenAnswer,
    read_result,
    to_gradescope,
    write_result,
)
from autograder.grades.grade import AdjustmentEntry, StaffLedger, WrittenEntry, apply_staff, parts


def _result() -> SubmissionResult:
    tests = (
        CaseResult(name="t_a", number="1", score=2.0, max_score=4.0, status="failed", nodeid="h.py::t_a"),
        CaseResult(name="t_b", number="1", score=3.0, max_score=3.0, status="passed", nodeid="h.py::t_b"),
        CaseResult(name="t_c", number="2", score=0.0, max_score=3.0, status="failed", nodeid="h.py::t_c"),
    )
    written = (WrittenAnswer(question="w1", exercise="1", max_points=5.0, text="a dense layer"),
               WrittenAnswer(question="w2", exercise="2", max_points=5.0, text="cosine"))
    return SubmissionResult(student_id="s1", sheet="toy", submission="s1.ipynb", score=5.0, max_score=20.0,
                            tests=tests, written=written)


def test_parts_add_up_and_survive_a_new_result(tmp_path: Path) -> None:
    ledger = StaffLedger(tmp_path / "staff")
    ledger.add_adjustment(AdjustmentEntry(student_id="s1", test="h.py::t_a", points=4.0, reason="appeal accepted",
                                          staff_note="ok per Slack", by="ta1"))
    ledger.mark_written(WrittenEntry(student_id="s1", question="w1", points=4.0, comment="good", by="ta1"))
    staffed = apply_staff(_result(), ledger)
    assert staffed.adjustment_total == 2.0
    assert staffed.written_score == 4.0
    assert staffed.provisional  # w2 awaits staff
    assert staffed.final_score == 5.0 + 4.0 + 2.0
    assert parts(staffed)["written_pending"] == ["w2"]
    # a regrade gives the adjusted test 1 point: the adjustment still sets it to 4
    regraded = _result().model_copy(update={"tests": (
        _result().tests[0].model_copy(update={"score": 1.0}), *_result().tests[1:])})
    assert apply_staff(regraded, ledger).adjustment_total == 3.0


def test_exercise_adjustment_sets_the_exercise_total_after_test_adjustments(tmp_path: Path) -> None:
    ledger = StaffLedger(tmp_path / "staff")
    ledger.add_adjustment(AdjustmentEntry(student_id="s1", test="h.py::t_a", points=4.0, reason="r"))
    ledger.add_adjustment(AdjustmentEntry(student_id="s1", exercise="1", points=6.0, reason="r2"))
    staffed = apply_staff(_result(), ledger)
    assert staffed.score + staffed.adjustment_total == 6.0 + 0.0  # exercise 1 is 6, exercise 2 keeps 0


def test_removal_is_logged_and_undoes(tmp_path: Path) -> None:
    ledger = StaffLedger(tmp_path / "staff")
    entry = ledger.add_adjustment(AdjustmentEntry(student_id="s1", exercise="2", points=3.0, reason="r"))
    ledger.remove_adjustment(entry.id, by="head-ta", reason="mistake")
    assert ledger.adjustments() == []
    assert [e.action for e in ledger.audit()] == ["set", "remove"]
    assert apply_staff(_result(), ledger).adjustment_total == 0.0
    with pytest.raises(KeyError):
        ledger.remove_adjustment(entry.id)


def test_an_adjustment_names_one_target(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        StaffLedger(tmp_path).add_adjustment(AdjustmentEntry(student_id="s1", points=1.0))


def test_late_penalty_is_a_fraction_of_all_parts() -> None:
    from autograder.core.config import SheetConfig
    from autograder.grades.late import apply_late_policy
    sheet = SheetConfig(name="toy", assignment_dir=Path("a"), notebook="n.ipynb", reference_module="r",
                        hidden_dir=Path("h"), points={"1": 10, "2": 10}, deadline=dt.datetime(2026, 1, 1),
                        late_penalty="per_day", late_penalty_per_day=0.5)
    result = _result().model_copy(update={"submitted_at": dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)})
    marks = {("s1", "w1"): WrittenEntry(student_id="s1", question="w1", points=5.0),
             ("s1", "w2"): WrittenEntry(student_id="s1", question="w2", points=5.0)}
    from autograder.grades.grade import with_staff
    late = apply_late_policy(with_staff(result, [], marks), sheet)
    assert late.late_penalty == 7.5 and late.final_score == 7.5


def test_staff_notes_stay_in_the_staff_copy(tmp_path: Path) -> None:
    ledger = StaffLedger(tmp_path / "staff")
    ledger.add_adjustment(AdjustmentEntry(student_id="s1", test="h.py::t_a", points=4.0, reason="appeal",
                                          staff_note="SECRET-NOTE"))
    ledger.mark_written(WrittenEntry(student_id="s1", question="w1", points=4.0, staff_note="SECRET-NOTE2"))
    staffed = apply_staff(_result(), ledger)
    assert "SECRET-NOTE" not in str(to_gradescope(staffed))
    path = write_result(tmp_path, staffed)
    assert "SECRET-NOTE2" in path.read_text()
    back = read_result(path)
    assert back.final_score == staffed.final_score and back.written == staffed.written


def test_a_torn_last_line_keeps_the_earlier_entries(tmp_path: Path) -> None:
    ledger = StaffLedger(tmp_path / "staff")
    ledger.add_adjustment(AdjustmentEntry(student_id="s1", exercise="2", points=3.0, reason="r"))
    with open(ledger.folder / StaffLedger.ADJUSTMENTS, "a") as handle:
        handle.write('{"action": "set", "student')
    assert len(ledger.adjustments()) == 1
