"""Warm workers: torch and transformers are imported once per worker, not once per submission."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scale_helpers import TOY

from autograder.core.config import CourseConfig, SheetConfig
from autograder.grading.pool import Grader
from autograder.judge import pytest_flags, warmup

COLD_IMPORT = "import torch; from transformers import GPT2Config"


def _cold_import_s() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", COLD_IMPORT], check=True)
    return time.monotonic() - started


def test_a_warm_submission_costs_a_fraction_of_a_cold_import(toy_grader: Grader, tmp_path: Path) -> None:
    sub = tmp_path / "correct.py"
    shutil.copy(TOY / "submissions" / "correct.py", sub)
    toy_grader.grade_file(sheet="toy", path=sub)  # the first one may still warm caches
    warm = []
    for _ in range(3):
        started = time.monotonic()
        result = toy_grader.grade_file(sheet="toy", path=sub)
        warm.append(time.monotonic() - started)
        assert result.score == 10, result.tests
    cold = _cold_import_s()
    typical = sorted(warm)[1]
    print(f"cold import {cold:.2f} s; warm submission {typical:.3f} s ({typical / cold:.2f}x)")
    # The goal is 0.1x on a quiet machine; the bound leaves room for a busy test machine.
    assert typical < 0.3 * cold


def test_the_worker_prepares_the_hidden_suites_imports_without_importing_the_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "suite_helper_xyz.py").write_text("import json\n")
    (hidden / "test_suite_xyz.py").write_text(
        "import colorsys\nfrom wsgiref import simple_server\nfrom suite_helper_xyz import json\n"
        "import this_module_does_not_exist_xyz\n")
    monkeypatch.syspath_prepend(str(hidden))  # even when the suite's folder is importable
    for name in ("colorsys", "wsgiref", "wsgiref.simple_server", "suite_helper_xyz", "test_suite_xyz"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    sheet = SheetConfig.model_validate({"name": "s", "assignment_dir": tmp_path, "notebook": "s.ipynb",
                                        "reference_module": "ref_xyz", "hidden_dir": hidden, "points": {"a": 1}})
    config = CourseConfig.model_validate({"root": tmp_path, "sheets": {"s": sheet}})

    warmup.warm_judge(config)

    assert "colorsys" in sys.modules
    assert "wsgiref.simple_server" in sys.modules
    assert "suite_helper_xyz" not in sys.modules and "test_suite_xyz" not in sys.modules
    assert "_hypothesis_pytestplugin" in sys.modules and "_pytest.junitxml" in sys.modules


def test_judges_skip_plugin_discovery_but_keep_hypothesis() -> None:
    args = pytest_flags.PYTEST_ARGS
    assert "--disable-plugin-autoload" in args
    assert args[args.index("_hypothesis_pytestplugin") - 1] == "-p"
    for plugin in ("unraisableexception", "threadexception", "cacheprovider"):
        assert f"no:{plugin}" in args
