"""Identical submissions of a batch are graded once and the result recorded for each (issue 20, item 2a)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from scale_helpers import TOY

from autograder.core.config import CourseConfig
from autograder.grading.batch import BatchItem, grade_batch
from autograder.grading.dedup import SHARED_FROM, SHARED_WITH, split_twins
from autograder.grading.pool import Grader


class CountingGrader:
    """The warm grader, counting what it is asked to grade (the batch sees the same interface)."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader
        self.graded: list[str] = []
        self.jobs, self.device = grader.jobs, grader.device

    @property
    def closing(self) -> bool:
        return self.grader.closing

    def grade_file(self, **kwargs: Any) -> Any:
        self.graded.append(kwargs["student_id"])
        return self.grader.grade_file(**kwargs)


def _copies(folder: Path, names: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for student, source in names.items():
        shutil.copy(TOY / "submissions" / f"{source}.py", folder / f"{student}.py")
    return sorted(folder.iterdir())


def test_identical_submissions_are_graded_once_and_recorded_for_each(
        tmp_path: Path, toy_config: CourseConfig, toy_grader: Grader) -> None:
    subs = _copies(tmp_path / "subs", {"alice": "wrong", "bob": "wrong", "carol": "correct", "dave": "wrong"})
    counting = CountingGrader(toy_grader)
    events: list[str] = []
    summary = grade_batch(config=toy_config, sheet="toy", paths=subs, out_dir=tmp_path / "out",
                          grader=counting, on_event=lambda event: events.append(event.kind))  # type: ignore[arg-type]
    assert sorted(counting.graded) == ["alice", "carol"]
    assert (summary.graded, summary.shared, summary.skipped) == (2, 2, 0)
    assert events.count("done") == 4
    results = {r.student_id: r for r in summary.results}
    assert {sid: r.score for sid, r in results.items()} == {"alice": 8, "bob": 8, "carol": 10, "dave": 8}
    assert results["bob"].submission == "bob.py" and results["bob"].extra_data[SHARED_FROM] == "alice"
    assert results["bob"].extra_data[SHARED_WITH] == ["alice", "dave"]
    assert results["alice"].extra_data[SHARED_WITH] == ["bob", "dave"] and SHARED_FROM not in results["alice"].extra_data
    assert SHARED_WITH not in results["carol"].extra_data
    assert [(c.name, c.score) for c in results["bob"].tests] == [(c.name, c.score) for c in results["alice"].tests]
    assert len((tmp_path / "out" / "grades.csv").read_text().splitlines()) == 5


def test_a_copy_of_a_submission_graded_in_an_earlier_run_is_not_graded_again(
        tmp_path: Path, toy_config: CourseConfig, toy_grader: Grader) -> None:
    folder = tmp_path / "subs"
    kwargs: dict[str, Any] = {"config": toy_config, "sheet": "toy", "out_dir": tmp_path / "out"}
    grade_batch(paths=_copies(folder, {"alice": "wrong"}), grader=toy_grader, **kwargs)
    counting = CountingGrader(toy_grader)
    again = grade_batch(paths=_copies(folder, {"erin": "wrong"}), grader=counting, **kwargs)  # type: ignore[arg-type]
    assert counting.graded == [] and again.graded == 0
    erin = next(r for r in again.results if r.student_id == "erin")
    assert erin.score == 8 and erin.extra_data[SHARED_FROM] == "alice"


def test_same_bytes_as_another_kind_of_file_or_no_file_are_not_shared(tmp_path: Path) -> None:
    def item(sid: str, name: str | None, sha: str) -> BatchItem:
        return BatchItem(sid, tmp_path / name if name else None, sha)

    items = [item("a", "a.py", "x"), item("b", "b.ipynb", "x"), item("c", "c.py", "x"),
             item("d", None, "none:1"), item("e", None, "none:1"), item("f", "f.py", "unreadable:13"),
             item("g", "g.py", "unreadable:13")]
    todo, twins = split_twins(items)
    assert [i.student_id for i in todo] == ["a", "b", "d", "e", "f", "g"]
    assert {k: [i.student_id for i in v] for k, v in twins.items()} == {"a": ["c"]}
