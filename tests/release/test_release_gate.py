"""The release gate on the toy course: it passes a sound sheet and refuses broken ones, with a report."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from release_helpers import TOY, copy_toy_course, lend_grader
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.core.errors import ReleaseRefused
from autograder.core.results import read_result
from autograder.release import release_sheet
from autograder.release.gate import NOTEBOOK_ID, REFERENCE_ID


def test_gate_passes_a_sound_sheet(released) -> None:
    report = released.report
    assert report.ok, report.render()
    checks = [finding.check for finding in report.findings]
    assert checks == ["layout", "stubs", "points", "exercise ids", "public checks", "variants", "reference",
                      "untouched notebook", "variants graded",
                      "every test can fail", "bundle contents", "leak scan"]
    assert all(report.catchers.values()) and len(report.catchers) == 7
    assert report.catchers["test_toy.py::test_softmax"] == ["unnormalised_and_slow"]
    assert "passed" in (released.work_dir / "gate-report.txt").read_text()


def test_reference_went_through_the_real_grading_path(released) -> None:
    results = released.report.results_dir
    reference = read_result(results / f"{REFERENCE_ID}.json")
    assert reference.score == reference.max_score == 10
    assert "isolation" in reference.extra_data and reference.extra_data["timings"]["tests_s"] > 0  # sandboxed
    notebook = read_result(results / f"{NOTEBOOK_ID}.json")
    assert notebook.gradable and notebook.score == 0


def test_judge_plots_reach_the_result(released) -> None:
    reference = read_result(released.report.results_dir / f"{REFERENCE_ID}.json")
    plots = reference.extra_data.get("plots")
    if plots is None:
        pytest.skip("the runner does not copy recorded plots into extra_data yet "
                    "(hook: extra['plots'] = autograder.judge.plots.recorded_plots(plugin) in runner._assemble)")
    (chart,) = plots["test_toy.py::test_counter_counts_in_steps"]
    assert chart["series"] == {"your counter": [2, 4, 6, 8, 10], "expected": [2, 4, 6, 8, 10]}


def test_cli_refuses_the_toy_course_and_says_why(tmp_path: Path, toy_grader, monkeypatch: pytest.MonkeyPatch) -> None:
    lend_grader(monkeypatch, toy_grader)  # the session's warm worker for this course: none started for the CLI
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["release", "toy", "--out", str(out), "--config", str(TOY / "course_config.py"),
                                      "--work", str(tmp_path / "work"), "--device", "cpu"])
    assert result.exit_code == 5, result.output
    text = result.output
    assert "REFUSED (2 problem(s))" in text
    assert re.search(r"untouched notebook: scores 1/10; it must score 0\. Tests that pass on it: "
                     r"test_factory_roundtrip", text)
    assert "no known-wrong variant fails: test_toy.py::test_factory_roundtrip" in text
    assert "test_toy.py::test_factory_roundtrip: NOTHING FAILS IT" in text
    assert not out.exists()


def _refusal(course: Path, tmp_path: Path) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(ReleaseRefused) as refused:
        release_sheet(config=load_config(course / "course_config.py"), sheet="toy", out=tmp_path / "out",
                      work_dir=tmp_path / "work")
    assert not (tmp_path / "out").exists()
    return str(refused.value), time.monotonic() - started


def test_stub_mismatch_is_refused_before_any_grading(tmp_path: Path) -> None:
    course = copy_toy_course(tmp_path / "course")
    notebook = course / "assignments" / "toy" / "toy.ipynb"
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        source = "".join(cell["source"])
        source = source.replace("def add(a, b):", "def add(a, b=0):").replace("def bump(self, by=1):",
                                                                              "def bump(self, step=1):")
        source = source.replace("def slow(n):", "def slow_(n):")
        cell["source"] = source
    notebook.write_text(json.dumps(data))
    text, seconds = _refusal(course, tmp_path)
    assert "add: signature add(a, b=0) in the notebook (cell 3), add(a, b) in the reference" in text
    assert "Counter.bump: (self, step=1) in the notebook, (self, by=1) in the reference" in text
    assert "slow: the reference defines it, the notebook does not" in text
    assert "slow_: a stub in the notebook (cell 3) that the reference's contract lacks" in text
    assert "the grading checks did not run" in text
    assert seconds < 15


def test_missing_variants_and_secrets_in_the_public_folder_are_refused(tmp_path: Path) -> None:
    course = copy_toy_course(tmp_path / "course")
    for variant in (course / "variants" / "toy").iterdir():
        variant.unlink()
    shutil.move(course / "hidden" / "toy", course / "assignments" / "toy" / "hidden_tests")
    config = load_config(course / "course_config.py")
    moved = config.model_copy(update={"sheets": {"toy": config.sheet("toy").model_copy(
        update={"hidden_dir": Path("assignments/toy/hidden_tests")})}})
    with pytest.raises(ReleaseRefused) as refused:
        release_sheet(config=moved, sheet="toy", out=tmp_path / "out", work_dir=tmp_path / "work")
    text = str(refused.value)
    assert "FAIL layout: inside the public assignment folder" in text
    assert "FAIL variants: no known-wrong variants" in text
