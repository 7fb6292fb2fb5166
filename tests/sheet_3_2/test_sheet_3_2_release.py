"""`autograder release sheet_3_2` passes its own gate on this checkout, and the bundle is clean.

The real sheet through the real gate (:func:`autograder.release.release_sheet`), with the work folder
of the shared ``gate_report`` (conftest.py), which runs first: the gradings are resumed, not repeated
(an unchanged submission is never regraded).
"""

from __future__ import annotations

from pathlib import Path

from validation_paths import GATE_WORK, ROOT

from autograder.core.config import load_config
from autograder.release import release_sheet


def test_release_sheet_3_2_passes_its_gate(tmp_path: Path, gate_report, sheet_3_2_grader) -> None:
    config_file = ROOT / "course_config.py"
    outcome = release_sheet(config=load_config(config_file), sheet="sheet_3_2", out=tmp_path / "out", jobs=2,
                            device="cpu", config_file=config_file, work_dir=GATE_WORK, grader=sheet_3_2_grader)
    assert outcome.report.ok, outcome.report.render()
    checks = {finding.check for finding in outcome.report.findings}
    assert {"every test can fail", "alternatives score full marks", "leak scan"} <= checks
    bundle = outcome.bundle
    assert (bundle / "sheet_3_2.ipynb").is_file() and (bundle / "data" / "qa_dev.jsonl").is_file()
    assert not list(bundle.rglob("qa_heldout*")) and not list(bundle.rglob("names-heldout*"))
    assert not list(bundle.rglob("make_data.py")) and not list(bundle.rglob("*solutions*"))
