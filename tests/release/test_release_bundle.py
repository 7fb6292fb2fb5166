"""The student bundle: what it holds, its layouts, and a scan for anything of the hidden suite or reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
from release_helpers import copy_toy_course

from autograder.core.config import load_config
from autograder.release.bundle import build_bundle, public_files, scan_bundle

MIN_LINE = 25


def _lines(path: Path) -> set[str]:
    """Every stripped line of a file as text, and of a notebook's cells and outputs too."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return set()
    lines = {line.strip() for line in text.splitlines()}
    if path.suffix == ".ipynb":
        for cell in json.loads(text)["cells"]:
            lines |= {line.strip() for line in "".join(cell["source"]).splitlines()}
            for output in cell.get("outputs", []):
                lines |= {line.strip() for line in "".join(output.get("text", "")).splitlines()}
    return lines


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def test_nbgrader_bundle_holds_the_public_files_only(released) -> None:
    bundle = released.bundle
    assert bundle.parts[-2:] == ("release", "toy")
    assert sorted(p.name for p in _files(bundle)) == ["README.md", "public_checks.py", "toy.ipynb", "toy_given.py"]
    notebook = nbformat.read(bundle / "toy.ipynb", as_version=4)
    assert notebook.metadata["autograder"]["sheet"] == "toy"
    assert all(c.outputs == [] and c.execution_count is None for c in notebook.cells if c.cell_type == "code")
    readme = (bundle / "README.md").read_text()
    assert "| basics | 4 |" in readme and "autograder check toy toy.ipynb" in readme
    assert "test_" not in readme


def test_bundle_contains_no_distinctive_line_of_the_hidden_suite_or_reference(released, releasable_course) -> None:
    course = releasable_course
    public = set().union(*(_lines(p) for p in _files(course / "assignments" / "toy")))
    secret = set().union(*(_lines(p) for p in _files(course / "hidden") + _files(course / "toy_reference")))
    distinctive = {line for line in secret if len(line) >= MIN_LINE and line not in public}
    assert len(distinctive) > 10  # the scan has something to look for
    found = {(str(p), line) for p in _files(released.bundle) for line in _lines(p) if line in distinctive}
    assert not found


def test_scan_catches_a_planted_line_and_a_copied_file(released, releasable_course, tmp_path: Path) -> None:
    config = load_config(releasable_course / "course_config.py")
    sheet = config.sheet("toy")
    bundle = tmp_path / "bundle"
    shutil.copytree(released.bundle, bundle)
    assert scan_bundle(bundle, config, sheet) == []
    with (bundle / "toy_given.py").open("a") as handle:
        handle.write('\n# assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"\n')
    shutil.copyfile(releasable_course / "toy_reference" / "__init__.py", bundle / "solution.py")
    leaks = [str(leak) for leak in scan_bundle(bundle, config, sheet)]
    assert any(leak.startswith("toy_given.py:") and "hidden/toy/test_toy.py" in leak for leak in leaks)
    assert "solution.py:0 repeats the whole of toy_reference/__init__.py" in leaks


def test_plain_layout_and_what_is_left_out(tmp_path: Path) -> None:
    course = copy_toy_course(tmp_path / "course")
    folder = course / "assignments" / "toy"
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\x00")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "toy-checkpoint.ipynb").write_text("{}")
    (folder / "data").mkdir()
    (folder / "data" / "numbers.csv").write_text("a,b\n1,2\n")
    (folder / "peek.py").symlink_to(course / "toy_reference" / "__init__.py")
    config = load_config(course / "course_config.py")
    files, refused = public_files(config, config.sheet("toy"))
    assert sorted(p.name for p in files) == ["numbers.csv", "public_checks.py", "toy.ipynb", "toy_given.py"]
    assert len(refused) == 1 and refused[0].startswith("peek.py is a link out of the assignment folder")
    target, refused = build_bundle(config, config.sheet("toy"), tmp_path / "out")
    assert target == tmp_path / "out" / "toy" and (target / "data" / "numbers.csv").is_file()
    assert not (target / "peek.py").exists()


def test_the_bundle_ships_the_one_check_runner_not_a_second_copy(tmp_path: Path) -> None:
    """A bundle whose checks import autograder.student.checks gets that very file as _autograder_checks.py (issue 22 item 2)."""
    import ast
    import sys

    from autograder.release import standalone
    from autograder.student import checks

    runner = Path(checks.__file__).read_text(encoding="utf-8")
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(runner)) if isinstance(node, ast.Import)
                for alias in node.names} | {node.module.split(".")[0] for node in ast.walk(ast.parse(runner))
                                            if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names), imported  # a student's kernel can import it
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "public_checks.py").write_text("from autograder.student.checks import expect, make_check\nCHECKS = {}\n"
                                             "check = make_check(CHECKS)\n")
    (folder / "helper.py").write_text("import autograder.student.client\n")
    left = standalone.make_standalone(folder)
    assert (folder / "public_checks.py").read_text().startswith("from _autograder_checks import expect, make_check\n")
    assert (folder / standalone.FILE).read_text().endswith(runner)  # the same file, byte for byte
    assert left == [("helper.py imports the autograder package, which a student's kernel may not have "
                     "(only autograder.student.checks ships with the bundle)")]
