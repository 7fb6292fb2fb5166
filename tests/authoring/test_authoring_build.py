"""``autograder assign``'s build: the tiny course's master becomes its committed notebook, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
from authoring_helpers import COURSE, built, cells, write_master

from autograder.authoring.stages import STAGES


def test_the_committed_notebook_is_what_the_master_builds() -> None:
    notebook = COURSE / "assignments" / "tiny" / "tiny.ipynb"
    assert built(COURSE).encode("utf-8") == notebook.read_bytes()


def test_the_build_is_byte_reproducible_wherever_the_course_lies(course: Path) -> None:
    first = built(course)
    assert built(course) == first == built(COURSE)
    data = json.loads(first)
    assert (data["nbformat"], data["nbformat_minor"]) == (4, 5)
    assert first.endswith("}\n") and not first.endswith("\n\n")


def test_notebook_metadata_names_the_sheet_and_master_and_nothing_else(course: Path) -> None:
    metadata = json.loads(built(course))["metadata"]
    assert metadata == {
        "autograder": {"sheet": "tiny", "master": "sheets/tiny/master.md"},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }


def test_cells_get_fixed_ids_and_no_outputs(course: Path) -> None:
    ids = list(cells(course))
    assert ids == ["intro", "setup", "cell-2", "stub-THRESHOLD", "check-basics", "cell-5", "stub-Counter",
                   "check-objects", "check-all"]
    for cell in json.loads(built(course))["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_staff_cells_are_dropped(course: Path) -> None:
    text = built(course)
    assert "sys.path" not in text  # the staff code cell
    assert "Staff note" not in text  # the staff markdown cell
    assert "Counter(2).bump()" not in text  # the cell tagged staff-only
    assert all("cell_id" not in cell["metadata"] and cell["metadata"].get("autograder") in (None,)
               or "stub" in cell["metadata"].get("autograder", {}) for cell in json.loads(text)["cells"])


def test_check_cells_are_exactly_the_call(course: Path) -> None:
    found = cells(course)
    assert found["check-basics"].source == 'check("basics")'
    assert found["check-objects"].source == 'check("objects")'
    assert found["check-all"].source == "check()"
    assert found["check-basics"].metadata == {}


def test_values_with_format_specs_fill_markdown_and_docstrings(course: Path) -> None:
    found = cells(course)
    assert found["intro"].source.splitlines()[2:] == [
        "Worth 3.5 points: basics (2), objects (1.5).",
        "Each call may take 7.5 s; pass at least 75%.",
        "A set in braces {like this} stays as it is.",
    ]
    assert "(2 points)" in found["stub-THRESHOLD"].source  # from the reference's docstring
    assert "at most 120 of them" in found["stub-THRESHOLD"].source  # a `ref` value in a docstring


def test_the_stages_are_a_fixed_list() -> None:
    assert [stage.__name__ for stage in STAGES] == [
        "drop_staff_cells", "fix_cell_ids", "build_written_cells", "expand_stubs", "write_check_cells", "fill_values",
        "clear_outputs",
        "set_metadata"]


def test_the_master_round_trips_through_jupytext(course: Path) -> None:
    master = course / "sheets" / "tiny" / "master.md"
    text = master.read_text(encoding="utf-8")
    again = jupytext.writes(jupytext.reads(text, fmt="md:myst"), fmt="md:myst")
    assert _without_version(again) == _without_version(text)  # Jupyter saves the master unchanged


def _without_version(text: str) -> str:
    """The master without the jupytext version that last saved it (the one line that may differ)."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("jupytext_version:"))


def test_values_in_comprehensions_see_every_name(course: Path) -> None:
    write_master(course, '+++ {"cell_id": "intro"}\n\n'
                 '{{ ", ".join(f"{k} ({v / total:.0%}, {ref.THRESHOLD})" for k, v in points.items()) }}\n')
    assert cells(course)["intro"].source == "basics (57%, 0.75), objects (43%, 0.75)"


def test_literal_double_braces_are_written_as_values(course: Path) -> None:
    write_master(course, '```{code-cell} ipython3\n:cell_id: given\n\nprint(f"{{ "{{" }}x{{ "}" * 2 }} = {x}")\n```\n')
    assert cells(course)["given"].source == 'print(f"{{x}} = {x}")'


def test_building_leaves_the_callers_import_path_alone(monkeypatch) -> None:
    """`ref` is imported with the course on the path, which is put back: in a test run, a later
    `import public_checks` found the tiny course's module instead of Sheet 3.2's."""
    import sys

    monkeypatch.setattr(sys, "path", [p for p in sys.path if not p.startswith(str(COURSE))])
    before = list(sys.path)
    built(COURSE)  # its master has a `{{ ref.… }}` value
    assert sys.path == before
