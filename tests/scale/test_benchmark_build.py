"""A quick smoke test of the benchmark's building step (the benchmark itself is not part of the tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.collect import student_id_for

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_graders.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("compare_graders", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    if not all((module.EXAMPLES / f"{kind}.ipynb").exists() for kind in module.KINDS):
        pytest.skip("the example submissions are not there yet")
    return module


def test_mix_of_forty(bench) -> None:
    assert bench.mix_counts(40, None) == {"complete": 14, "partial": 13, "blank": 13}
    assert bench.mix_counts(3, "blank:3") == {"blank": 3, "partial": 0, "complete": 0}


def test_builds_distinct_notebooks_in_nbgrader_layout(bench, tmp_path: Path) -> None:
    built = bench.build_submissions(tmp_path, {"blank": 2, "partial": 1, "complete": 1})
    paths = [path for kind in ("blank", "partial", "complete") for path in built[kind]]
    assert [student_id_for(path) for path in paths] == ["blank00", "blank01", "partial00", "complete00"]
    assert len({path.read_bytes() for path in paths}) == 4  # every student's file differs
    for path in paths:
        nbformat.validate(nbformat.read(path, as_version=4))
        assert (path.parent / "sheet_3_2_given.py").exists() and (path.parent / "data").is_dir()
    assert "passed(globals(), 'test_x.py::test_y')" in bench.check_line("test_x.py::test_y")


def test_engine_overhead_script_names_existing_submissions(bench) -> None:
    # `bench` registered compare_graders, which the script imports its cold-import timing from
    spec = importlib.util.spec_from_file_location("engine_overhead", BENCHMARK.with_name("engine_overhead.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for _label, config_file, _sheet, submission in module.CASES:
        assert config_file.is_file() and submission.is_file()
