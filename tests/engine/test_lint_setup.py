"""`make lint` runs ruff and mypy over what the README says, and CI runs it before the tests.

The lint configuration stays honest: only the notebook fragments may use names they do not define,
by configuration, never by a noqa in a fragment.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_lint_runs_ruff_over_code_tests_benchmarks_and_mypy_over_the_engine() -> None:
    planned = subprocess.run(["make", "-n", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             check=True).stdout
    recipe = next(line for line in planned.splitlines() if "ruff check" in line)
    assert re.search(r"ruff check autograder tests benchmarks( |$)", recipe)
    assert re.search(r"mypy autograder( |$)", recipe)
    assert recipe.rstrip().endswith("exit $status")  # either one failing fails lint


def test_ci_runs_lint_before_the_tests_and_stops_on_a_failure() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert "set -euo pipefail" in commands
    assert "make lint" in commands and "make test" in commands
    assert commands.index("make lint") < commands.index("make test")


def test_only_the_fragments_may_use_undefined_names_and_never_by_noqa() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["mypy"]["plugins"] == ["pydantic.mypy"]
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    assert {glob for glob, codes in ignores.items() if "F821" in codes} == {"tests/variants/**",
                                                                              "tests/alternatives/**"}
    noqa = [path for folder in ("variants", "alternatives") for path in (ROOT / "tests" / folder).rglob("*")
            if path.is_file() and path.suffix in {".py", ".ipynb", ".md"}
            and re.search(r"noqa:?[^\n]*F821", path.read_text(encoding="utf-8", errors="replace"))]
    assert not noqa
