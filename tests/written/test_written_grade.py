"""Through the real grading path on the toy course: ``grade`` extracts the answers, the gate counts them apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.core.config import SheetConfig, load_config
from autograder.core.results import CaseResult, SubmissionResult
from autograder.core.written_spec import WrittenQuestion
from autograder.release.gate import (
    NOTEBOOK_ID,
    REFERENCE_ID,
    VARIANT_PREFIX,
    GateReport,
    judge_results,
)

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = 'written=(WrittenQuestion(id="why", exercise="basics", points=2),),'  # a sheet without a master


@pytest.mark.slow
def test_grade_extracts_the_answers_awaiting_staff(tmp_path: Path) -> None:
    from autograder.grading.batch import grade_batch

    course = Path(shutil.copytree(ROOT / "tests" / "toy_course", tmp_path / "toy",
                                  ignore=shutil.ignore_patterns("__pycache__")))
    config_file = course / "course_config.py"
    text = config_file.read_text(encoding="utf-8")
    text = text.replace('points={"basics": 4,', WRITTEN + '\n            points={"basics": 4,')
    config_file.write_text("from autograder.core.written_spec import WrittenQuestion\n" + text, encoding="utf-8")
    config = load_config(config_file)
    assert config.sheet("toy").total_points == 12
    notebook = json.loads((course / "assignments" / "toy" / "toy.ipynb").read_text(encoding="utf-8"))
    correct = (course / "submissions" / "correct.py").read_text(encoding="utf-8")
    notebook["cells"] = [
        {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": None, "outputs": [], "source": correct},
        {"cell_type": "markdown", "id": "a1", "metadata": {"autograder": {"written": "why"}},
         "source": "**Your answer:** (question `why`, 2 points, graded by staff)\n\n<i>because</i> it adds"},
    ]
    path = tmp_path / "ann.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    summary = grade_batch(config=config, sheet="toy", paths=[path], out_dir=tmp_path / "out", device="cpu",
                          config_file=config_file)
    (result,) = summary.results
    assert result.score == 10 and result.max_score == 12, [(c.name, c.output) for c in result.tests]
    assert [(a.question, a.text, a.mark) for a in result.written] == [("why", "<i>because</i> it adds", None)]
    assert result.provisional and result.final_score == 10
    assert "awaiting staff" in result.output  # the summary at the top of results.json's output


def _sheet() -> SheetConfig:
    return SheetConfig(name="toy", assignment_dir=Path("a"), notebook="n.ipynb", reference_module="r",
                       hidden_dir=Path("h"), points={"basics": 4},
                       written=(WrittenQuestion(id="why", exercise="basics", points=2),))


def _result(sid: str, score: float) -> SubmissionResult:
    cases = (CaseResult(name="t1", number="basics", score=min(score, 2), max_score=2, status="passed"
                        if score >= 2 else "failed", nodeid="t::t1"),
             CaseResult(name="t2", number="basics", score=max(score - 2, 0), max_score=2, status="passed"
                        if score >= 4 else "failed", nodeid="t::t2"))
    return SubmissionResult(student_id=sid, sheet="toy", submission=f"{sid}.py", score=score, max_score=6,
                            tests=cases)


def test_the_gate_measures_tests_against_the_autograded_points() -> None:
    report = GateReport(sheet="toy")
    results = {REFERENCE_ID: _result(REFERENCE_ID, 4), NOTEBOOK_ID: _result(NOTEBOOK_ID, 0),
               f"{VARIANT_PREFIX}misses": _result(f"{VARIANT_PREFIX}misses", 4),
               f"{VARIANT_PREFIX}caught": _result(f"{VARIANT_PREFIX}caught", 2)}
    judge_results(report, _sheet(), results)
    found = {f.check: f for f in report.findings}
    assert found["reference"].ok, found["reference"].detail  # 4/4 of the tests; the 2 written are staff's
    assert "+ 2 written points graded by staff" in found["reference"].detail
    assert not found["variants graded"].ok and "misses: scores full marks" in found["variants graded"].detail
