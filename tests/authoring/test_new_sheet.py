"""``autograder new-sheet``: the scaffold of a new sheet passes ``autograder release`` as it stands.

The course lives under ``build/test-tmp/`` (as the release tests' does): the sandbox runs as another
uid and must read the assignment folder, which pytest's own tmp folders do not allow.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SHEET = "demo_sheet"
PLACEHOLDER = "        # new sheets go here\n"
MINIMAL_CONFIG = f'''"""A course made by tests/authoring/test_new_sheet.py."""

from autograder.core.config import CourseConfig, Limits, SheetConfig

config = CourseConfig(
    course="new-sheet test",
    sheets={{
{PLACEHOLDER}    }},
    limits=Limits(cell_timeout_s=10, test_timeout_s=10, submission_timeout_s=120, memory_mb=2048,
                  torch_threads=1, output_bytes=2000),
)
'''
SCAFFOLD = {
    "sheets/demo_sheet/master.md",
    "reference/__init__.py",
    "reference/demo_sheet/__init__.py",
    "tests/hidden/demo_sheet/test_demo_sheet.py",
    "tests/variants/demo_sheet/forgets_the_minimum.py",
    "tests/alternatives/demo_sheet/numpy_style.py",
    "assignments/demo_sheet/public_checks.py",
    "assignments/demo_sheet/demo_sheet.ipynb",
}


def _course(folder: Path) -> Path:
    course = folder / "course"
    course.mkdir()
    (course / "course_config.py").write_text(MINIMAL_CONFIG, encoding="utf-8")
    return course


def _files(course: Path) -> dict[str, bytes]:
    return {str(p.relative_to(course)): p.read_bytes() for p in sorted(course.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.relative_to(course).parts[0] != "build"}


def _new_sheet(course: Path, *args: str):
    return CliRunner().invoke(app, ["new-sheet", *args, "--config", str(course / "course_config.py")])


def _said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return _said_text(result.output)


def _said_text(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture(scope="module")
def scaffolded() -> Iterator[tuple[Path, str]]:
    """A course with only a config, after ``new-sheet demo_sheet``: nothing edited by hand."""
    base = ROOT / "build" / "test-tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="new-sheet-", dir=base))
    folder.chmod(0o755)
    course = _course(folder)
    made = _new_sheet(course, SHEET, "--title", "Demo: normalising numbers")
    assert made.exit_code == 0, made.output
    yield course, made.output
    shutil.rmtree(folder, ignore_errors=True)


def test_new_sheet_needs_no_hand_edit_of_the_course_config(scaffolded) -> None:
    course, said = scaffolded
    assert set(_files(course)) == SCAFFOLD | {"course_config.py", "sheets/demo_sheet/sheet.toml"}
    assert (course / "course_config.py").read_text() == MINIMAL_CONFIG  # course-wide settings untouched
    assert "add this entry" not in said and "sheets/demo_sheet/sheet.toml" in _said_text(said)
    sheet = load_config(course / "course_config.py").sheet(SHEET)
    assert sheet.title == "Demo: normalising numbers" and sheet.points == {"1": 3.0}
    assert (sheet.reference_module, sheet.hidden_dir, sheet.master, sheet.assignment_dir) == (
        "reference.demo_sheet", Path("tests/hidden/demo_sheet"), Path("sheets/demo_sheet/master.md"),
        Path("assignments/demo_sheet"))
    shown = CliRunner().invoke(app, ["config", "--config", str(course / "course_config.py")])
    assert shown.exit_code == 0 and '"demo_sheet"' in shown.output


def test_new_sheet_writes_the_scaffold(scaffolded) -> None:
    course, _ = scaffolded
    notebook = nbformat.read(course / "assignments" / SHEET / f"{SHEET}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "COURSE_ROOT" not in text and "from reference" not in text  # the staff cell and the imports are gone
    assert 'def normalize(values):\n    """Scale ``values`` linearly' in text
    assert "raise NotImplementedError" in text and 'check("1")' in text
    assert "normalize (3 points)" in text and "1 exercise worth 3 points in all" in text and "10 seconds" in text
    built = CliRunner().invoke(app, ["assign", SHEET, "--check", "--config", str(course / "course_config.py")])
    assert built.exit_code == 0 and "is up to date" in built.output  # new-sheet built what assign builds


def test_the_scaffold_passes_the_release_gate(scaffolded, tmp_path: Path) -> None:
    course, _ = scaffolded
    out = tmp_path / "out"
    released = CliRunner().invoke(app, [
        "release", SHEET, "--out", str(out), "--config", str(course / "course_config.py"), "--jobs", "1",
        "--device", "cpu", "--work", str(tmp_path / "work")])
    assert released.exit_code == 0, released.output
    assert "release gate for demo_sheet: passed" in released.output
    assert "notebook: built from sheets/demo_sheet/master.md\n" in released.output  # up to date: not rebuilt
    assert "1 known-correct alternative(s) score full marks" in released.output
    assert "test_demo_sheet.py::test_normalize_equal_values: forgets_the_minimum" in released.output
    bundle = out / SHEET
    # the notebook, the public checks, their runner and a README; no master, build script, reference or hidden test
    assert sorted(p.name for p in bundle.rglob("*")) == ["README.md", "_autograder_checks.py", "demo_sheet.ipynb",
                                                         "public_checks.py"]


def test_new_sheet_refuses_to_overwrite_and_writes_nothing(scaffolded, tmp_path: Path) -> None:
    course, _ = scaffolded
    before = _files(course)
    again = _new_sheet(course, SHEET)
    assert again.exit_code == 2
    assert "nothing was written" in _said(again) and "already defines a sheet 'demo_sheet'" in _said(again)
    assert _files(course) == before

    fresh = _course(tmp_path)  # one folder in the way is enough to refuse the whole sheet
    (fresh / "tests" / "hidden" / "other").mkdir(parents=True)
    refused = _new_sheet(fresh, "other")
    assert refused.exit_code == 2 and "because tests/hidden/other exists" in _said(refused)
    assert set(_files(fresh)) == {"course_config.py"} and not (fresh / "sheets").exists()


@pytest.mark.parametrize("name", ["Sheet3", "3_sheet", "sheet-3", "class", "a/b", ""])
def test_new_sheet_refuses_a_name_that_is_not_a_module_name(name: str, tmp_path: Path) -> None:
    course = _course(tmp_path)
    refused = _new_sheet(course, name)
    assert refused.exit_code == 2 and "invalid sheet name" in _said(refused)
    assert set(_files(course)) == {"course_config.py"}


def test_new_sheet_takes_back_what_it_wrote_when_the_build_fails(tmp_path: Path, monkeypatch) -> None:
    from autograder.authoring import scaffold
    from autograder.core.errors import AssignError

    def broken(config, sheet):
        raise AssignError("sheets/other/master.md, cell stub-normalize: the build failed")

    course = _course(tmp_path)
    (course / "reference").mkdir()  # a folder that was there before stays
    monkeypatch.setattr(scaffold, "build_notebook", broken)
    with pytest.raises(AssignError):
        scaffold.new_sheet(config=load_config(course / "course_config.py"), name="other")
    assert set(_files(course)) == {"course_config.py"}
    assert sorted(p.name for p in course.iterdir()) == ["course_config.py", "reference"]


def test_run_all_on_the_untouched_notebook_reaches_check(scaffolded) -> None:
    """A fresh student's Run All: the try-cell must not stop it before check() says what is to do."""
    from nbclient import NotebookClient

    course, _ = scaffolded
    notebook = nbformat.read(course / "assignments" / SHEET / f"{SHEET}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(course / "assignments" / SHEET)}}).execute()
    outputs = {cell.get("id"): "".join(o.get("text", "") + "".join(o.get("data", {}).get(kind, "")
                                                          for kind in ("text/plain", "text/html"))
                                       for o in cell.get("outputs", []))
               for cell in notebook.cells if cell.cell_type == "code"}  # check() displays HTML in a kernel
    assert "normalize is not written yet" in outputs["try-normalize"]
    last = notebook.cells[-1]
    assert last.source.strip() == "check()" and "to do" in outputs[last.get("id")], outputs
