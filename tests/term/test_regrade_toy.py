"""A regrade on the toy course: the diff after a stricter hidden test names exactly the students it
affects, a preview changes nothing, apply keeps history, and a staff adjustment survives."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from term_helpers import (
    TOY,
    make_add_stricter,
    readable_folder,
    sloppy,
    toy_course_copy,
    tree_digest,
)
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.core.results import read_result
from autograder.grading.batch import grade_batch
from autograder.grading.pool import Grader
from autograder.term.adjust import add_adjustment
from autograder.term.regrade import regrade_results

ADD = "test_toy.py::test_add"


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory):
    """A course copy, four graded submissions (their folder then moved away), one adjustment, a stricter test_add."""
    course = toy_course_copy(readable_folder("term-course-") / "course")
    config_file = course / "course_config.py"
    subs = tmp_path_factory.mktemp("term_subs")
    correct = (TOY / "submissions" / "correct.py").read_text()
    (subs / "correct.py").write_text(correct)
    shutil.copyfile(TOY / "submissions" / "wrong.py", subs / "wrong.py")
    (subs / "sloppy.py").write_text(sloppy(correct))
    (subs / "sloppy2.py").write_text(sloppy(correct, "  # the same mistake, another file"))
    results = tmp_path_factory.mktemp("term_results")
    config = load_config(config_file)
    with Grader(config, jobs=2, device="cpu", config_file=config_file) as grader:
        summary = grade_batch(config=config, sheet="toy", paths=[subs], out_dir=results, grader=grader)
        assert not summary.missing
        shutil.move(subs, tmp_path_factory.mktemp("moved") / "elsewhere")  # the original folder is gone
        add_adjustment(config=config, sheet="toy", results_dir=results, student="sloppy", test=ADD, points=1.0,
                       reason="appeal: big numbers were not asked for", by="ta1", note="STAFF-ONLY-NOTE")
        make_add_stricter(course)
        before = tree_digest(results)
        preview = regrade_results(config=config, sheet="toy", results_dir=results, grader=grader)
        after_preview = tree_digest(results, skip=("regrades",))
        applied = regrade_results(config=config, sheet="toy", results_dir=results, grader=grader, apply=True)
    return {"results": results, "before": before, "after_preview": after_preview, "preview": preview,
            "applied": applied, "config": config, "config_file": config_file}


def _diff_rows(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "diff.csv").read_text())))


def test_grading_keeps_a_copy_and_the_test_code_hashes(term) -> None:
    old = json.loads(next((term["results"] / "history").glob("*/sloppy2.json")).read_text())
    record = old["extra_data"]["submission_file"]
    assert (term["results"] / record["copy"]).is_file() and record["copy"].startswith("submissions/")
    assert ADD in old["extra_data"]["grading"]["tests"]


def test_preview_changes_nothing_but_its_own_folder(term) -> None:
    assert term["after_preview"] == term["before"]
    assert (term["preview"].folder / "diff.html").is_file() and not term["preview"].applied


def test_the_diff_names_exactly_the_students_the_stricter_test_affects(term) -> None:
    rows = _diff_rows(term["preview"].folder)
    tests = [r for r in rows if r["kind"] == "test"]
    assert {(r["student"], r["test"]) for r in tests} == {("sloppy", ADD), ("sloppy2", ADD)}
    assert all("test code" in r["what_changed"] and (r["old_points"], r["new_points"]) == ("1", "0")
               and (r["old_status"], r["new_status"]) == ("passed", "failed") for r in tests)
    sloppy_row = next(r for r in tests if r["student"] == "sloppy")
    assert "adjustment kept" in sloppy_row["staff_adjustment"] and "appeal" in sloppy_row["staff_adjustment"]
    totals = {r["student"]: (r["old_points"], r["new_points"], r["what_changed"]) for r in rows if r["kind"] == "total"}
    assert totals["sloppy2"] == ("10", "9", "down")
    assert totals["sloppy"] == ("10", "10", "same")  # the adjustment holds test_add at 1
    assert totals["correct"][2] == totals["wrong"][2] == "same"
    assert term["preview"].summary == "1 student changes: 0 up, 1 down; 1 with changed tests but the same final"
    assert "STAFF-ONLY-NOTE" not in (term["preview"].folder / "diff.html").read_text()


def test_apply_replaces_keeps_history_and_the_adjustment(term) -> None:
    results, applied = term["results"], term["applied"]
    assert applied.applied and applied.history is not None
    old = read_result(applied.history / "sloppy2.json")
    assert next(c for c in old.tests if c.nodeid == ADD).status == "passed"
    new = read_result(results / "sloppy2.json")
    assert next(c for c in new.tests if c.nodeid == ADD).status == "failed"
    assert json.loads((applied.history / "manifest.json").read_text())["replaced"] == [
        "correct.json", "sloppy.json", "sloppy2.json", "wrong.json"]
    grades = {r["student_id"]: r for r in csv.DictReader(io.StringIO((results / "grades.csv").read_text()))}
    assert (grades["sloppy2"]["final"], grades["sloppy"]["final"], grades["sloppy"]["adjustments"]) == ("9", "10", "1")
    listed = CliRunner().invoke(app, ["regrade", "toy", str(results), "--history", "--config",
                                      str(term["config_file"])])
    assert listed.exit_code == 0 and applied.stamp in listed.output and "1 down" in listed.output


def test_a_result_whose_file_is_gone_is_reported_and_kept(term, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    stored = json.loads((term["results"] / "wrong.json").read_text())
    stored["extra_data"].pop("submission_file")
    stored["submission_sha256"] = "0" * 64  # as an old result that kept no copy
    (folder / "wrong.json").write_text(json.dumps(stored))
    runner = CliRunner()
    outcome = runner.invoke(app, ["regrade", "toy", str(folder), "--config", str(term["config_file"])])
    assert outcome.exit_code == 4, outcome.output
    assert "wrong.json: cannot regrade: file not found" in outcome.output
    assert json.loads((folder / "wrong.json").read_text()) == stored
    assert any(r["what_changed"] == "cannot regrade: file not found" for r in _diff_rows(next((folder / "regrades").iterdir())) if r["kind"] == "total")
