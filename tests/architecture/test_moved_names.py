"""Files written before the restructuring (issue 23) import the five public modules by their old names.

A notebook released earlier in the term, a course's public checks and hidden suite, its
``course_config.py`` and a cluster's set-up must keep working after the move: each old name imports
the very module at its new place, with a DeprecationWarning that says where it went. Nothing else is
aliased: an old name that no sheet's file ever imported fails as any missing module does.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import MOVED

SHEET_FILES = {  # what such a file wrote, and a name it used
    "autograder.client": "from autograder.client import submit",
    "autograder.checks": "from autograder.checks import expect, needs",
    "autograder.testing": "from autograder.testing import safe_message, register_hypothesis_profile",
    "autograder.config": "from autograder.config import CourseConfig, SheetConfig",
    "autograder.distributed": "from autograder.distributed import grade_on_cluster",
}


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_name_imports_the_module_at_its_new_place(old: str) -> None:
    new = MOVED[old]
    code = (f"import sys, warnings\nwarnings.simplefilter('always')\n{SHEET_FILES[old]}\n"
            f"import {new}\nassert sys.modules[{old!r}] is sys.modules[{new!r}]\nprint('same module')")
    run = _python(code)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "same module"
    assert f"{old} moved to {new}" in run.stderr and "DeprecationWarning" in run.stderr


def test_the_warning_can_be_made_an_error_and_names_the_new_module() -> None:
    run = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", "import autograder.client"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "autograder.client moved to autograder.student.client" in run.stderr


def test_only_the_moved_public_names_are_aliased() -> None:
    run = _python("import autograder.feedback")
    assert run.returncode != 0 and "ModuleNotFoundError: No module named 'autograder.feedback'" in run.stderr


def test_every_new_place_exists() -> None:
    import importlib

    for new in MOVED.values():
        assert importlib.util.find_spec(new) is not None, new
