"""Sheet 3.2's gradings, done once per run and shared by every test that reads them.

One warm pool of two workers (torch imported once per worker: ``sheet_3_2_grader`` in tests/conftest.py,
shared with tests/security) grades the release gate's batch (the reference, the untouched notebook,
every variant, every alternative as a notebook) and the few extra notebooks of ``test_validation.py``;
the release test resumes the same gate work folder, so nothing is graded twice.
"""

from __future__ import annotations

import pytest
from validation_paths import CONFIG_FILE, GATE_WORK


@pytest.fixture(scope="session")
def gate_report(sheet_3_2_grader):
    """The real gate on the real sheet, once (its gradings are resumed by the release test and later runs)."""
    from autograder.core.config import load_config
    from autograder.release.gate import run_gate

    config = load_config(CONFIG_FILE)
    return run_gate(config=config, sheet=config.sheet("sheet_3_2"), work_dir=GATE_WORK, jobs=2, device="cpu",
                    config_file=CONFIG_FILE, grader=sheet_3_2_grader)
