"""A master that cannot be built says which cell and what is wrong (AssignError, exit code 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from authoring_helpers import built, code_cell, write_master
from pydantic import ValidationError

from autograder.authoring import build_notebook
from autograder.core.config import SheetConfig, load_config
from autograder.core.errors import AssignError


def _error(course: Path) -> str:
    with pytest.raises(AssignError) as raised:
        built(course)
    assert raised.value.exit_code == 2
    return str(raised.value)


def _stub_error(course: Path, body: str) -> str:
    write_master(course, "# Tiny", code_cell(body, ":autograder: stub"))
    return _error(course)


def test_an_unknown_name_in_a_stub_import(course: Path) -> None:
    text = _stub_error(course, "from tiny_reference import add, subtract")
    assert text == ("sheets/tiny/master.md, cell stub-add: `subtract` is not defined in the reference's "
                    "tiny_reference")


def test_a_name_the_reference_imports_from_elsewhere(course: Path) -> None:
    text = _stub_error(course, "from tiny_reference import pi")
    assert "cell stub-pi: `pi` is not defined in the reference's tiny_reference" in text
    assert "(it imports it from math: stub only what the reference defines)" in text


def test_a_module_outside_the_reference(course: Path) -> None:
    text = _stub_error(course, "from math import pi")
    assert "cell stub-pi: `from math import ...`: stubs come from the sheet's reference module tiny_reference" in text


@pytest.mark.parametrize("body, says", [
    ("import tiny_reference", "line 1 is `import tiny_reference`"),
    ("from tiny_reference import add as plus", "no `*`, no `as`"),
    ("from tiny_reference import add\nx = 1", "line 2 is `x = 1`"),
    ("from tiny_reference import add, add", "add is imported twice"),
    ("from tiny_reference import (add", "is not valid Python"),
])
def test_a_stub_cell_holds_only_plain_imports(course: Path, body: str, says: str) -> None:
    assert says in _stub_error(course, body)


def test_an_unknown_check_exercise(course: Path) -> None:
    write_master(course, code_cell('check("3.1")', ":autograder: check 3.1"))
    assert _error(course) == ("sheets/tiny/master.md, cell check-3-1: `check 3.1`: no such exercise in the "
                              "public checks' CHECKS (it has: basics, objects)")


@pytest.mark.parametrize("value, says", [
    ("{{ pointz }}", ("cell intro: {{ pointz }}: name 'pointz' is not defined (the names a value can use: "
                      "points, total, limits, sheet, config, autograded, written, staff_points, ref)")),
    ("{{ total:.1q }}", "cell intro: {{ total:.1q }} failed: ValueError: Unknown format code 'q'"),
    ("{{ points['nope'] }}", "cell intro: {{ points['nope'] }} failed: KeyError: 'nope'"),
    ("{{ total + }}", "cell intro: {{ total + }} is not a valid expression"),
    ("{{ ref.NOPE }}", "cell intro: {{ ref.NOPE }} failed: AttributeError"),
    ("{{ }}", "cell intro: an empty value"),
    ("{{ [toal for _ in points] }}", "cell intro: {{ [toal for _ in points] }}: name 'toal' is not defined"),
])
def test_a_bad_value(course: Path, value: str, says: str) -> None:
    write_master(course, '+++ {"cell_id": "intro"}\n\n' + f"Worth {value} points.\n")
    assert says in _error(course)


def test_a_bad_value_in_a_stub_docstring_names_the_stub_cell(course: Path) -> None:
    basics = course / "tiny_reference" / "basics.py"
    basics.write_text(basics.read_text().replace('points["basics"]:g', 'points["basic"]:g'))
    assert "cell stub-add: {{ points[\"basic\"]:g }} failed: KeyError" in _stub_error(
        course, "from tiny_reference import add")


def test_duplicate_cell_ids(course: Path) -> None:
    write_master(course, code_cell('check("basics")', ":autograder: check basics"),
                 code_cell('check("basics")', ":autograder: check basics"))
    assert "cell check-basics: duplicate cell id: cells 0 and 1 of the notebook both have it" in _error(course)


def test_an_explicit_id_must_be_valid(course: Path) -> None:
    write_master(course, code_cell("x = 1", ":cell_id: no spaces please"))
    assert "cell id 'no spaces please' must be 1 to 64 letters, digits, - or _" in _error(course)


@pytest.mark.parametrize("option, says", [
    (":autograder: solution", "unknown directive `:autograder: solution`"),
    (":autograder: stub now", "`:autograder: stub` takes no argument"),
    (":autograder: check a b", "`:autograder: check` takes one exercise id"),
])
def test_an_unknown_or_malformed_directive(course: Path, option: str, says: str) -> None:
    write_master(course, code_cell("x = 1", option))
    assert says in _error(course)


def test_a_code_directive_on_a_markdown_cell(course: Path) -> None:
    write_master(course, '+++ {"autograder": "stub"}\n\nSome prose.\n')
    assert "`stub` is a directive of code cells; this is a markdown cell" in _error(course)


def test_a_master_inside_the_assignment_folder_is_refused_by_the_config() -> None:
    with pytest.raises(ValidationError, match="lies inside the assignment folder"):
        SheetConfig(name="s", assignment_dir="assignments/s", notebook="s.ipynb", reference_module="ref",
                    hidden_dir="hidden/s", points={"a": 1}, master="assignments/s/../s/master.md")
    with pytest.raises(ValidationError, match=re.escape("must be MyST Markdown (.md)")):
        SheetConfig(name="s", assignment_dir="assignments/s", notebook="s.ipynb", reference_module="ref",
                    hidden_dir="hidden/s", points={"a": 1}, master="sheets/s/master.py")


def test_a_master_inside_the_assignment_folder_is_refused_by_assign(course: Path) -> None:
    config = load_config(course / "course_config.py")
    inside = (course / "assignments" / "tiny" / "master.md").resolve()  # absolute: the config cannot tell
    sheet = config.sheet("tiny").model_copy(update={"master": inside})
    with pytest.raises(AssignError, match="lies inside the assignment folder"):
        build_notebook(config, sheet)


def test_a_sheet_without_a_master_or_a_missing_master(course: Path) -> None:
    config = load_config(course / "course_config.py")
    with pytest.raises(AssignError, match="has no master"):
        build_notebook(config, config.sheet("tiny").model_copy(update={"master": None}))
    (course / "sheets" / "tiny" / "master.md").unlink()
    with pytest.raises(AssignError, match="does not exist"):
        build_notebook(config, config.sheet("tiny"))
