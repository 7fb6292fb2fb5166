"""``autograder new-sheet NAME``: a new sheet that passes the release gate as it stands.

The scaffold is one small exercise (``normalize(values)``) written out in every place a sheet has
parts: the master (``sheets/<name>/master.md``), the reference (``reference/<name>/``), the hidden
suite (``tests/hidden/<name>/``), the public checks, one known-wrong variant and one known-correct
alternative (``tests/variants/<name>/``, ``tests/alternatives/<name>/``), and the student notebook
built from the master by ``autograder assign``, and the sheet's description,
``sheets/<name>/sheet.toml`` (title and points; the course config finds it, so the sheet works with
no hand edit of ``course_config.py``, which keeps the course-wide settings). The instructor then
replaces the exercise with their own, part by part (docs/authoring.md).

The files come from templates in ``autograder/authoring/templates/new_sheet/`` (package data), with
``__SHEET__`` and ``__TITLE__`` replaced. Nothing that exists is overwritten: when any target
exists, nothing is written; when building the notebook fails, what was written is removed again.
"""

from __future__ import annotations

import json
import keyword
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.core.config import SHEET_FILE, SHEETS_DIR, CourseConfig, SheetConfig, sheet_defaults
from autograder.core.errors import UsageError

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new_sheet"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
POINTS = {"1": 3.0}  # the scaffold's one exercise; its hidden tests give 2 + 1 points
VARIANT = "forgets_the_minimum"
ALTERNATIVE = "numpy_style"


@dataclass(frozen=True)
class NewSheet:
    """What ``new-sheet`` made: the files (relative to the course root), ``sheet_file`` among them."""

    name: str
    root: Path
    files: tuple[Path, ...]
    sheet_file: Path
    config_file: Path | None = None


def check_name(name: str) -> str:
    """A sheet name becomes a Python module name (``reference.<name>``) and a folder name: a lowercase slug."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise UsageError(f"invalid sheet name {name!r}: use lowercase letters, digits and underscores, starting "
                         "with a letter (a Python identifier, e.g. sheet_3_3)")
    return name


def sheet_config(name: str, title: str) -> SheetConfig:
    """The new sheet as the course config reads it from its ``sheet.toml`` (paths from the course root)."""
    folder = Path(SHEETS_DIR, name)
    return SheetConfig.model_validate({**sheet_defaults(name, folder), "master": folder / "master.md",
                                       "title": title, "points": POINTS})


def sheet_toml(sheet: SheetConfig) -> str:
    """``sheets/<name>/sheet.toml``: what the layout does not say (title, points), and where to add more."""
    points = "\n".join(f"{json.dumps(exercise)} = {value:g}" for exercise, value in sheet.points.items())
    return f"""# Sheet {sheet.name}: found by the course config (autograder/core/config.py), no entry in course_config.py
# needed; course-wide settings (limits, devices, service) stay there. Any SheetConfig field may be set
# here; left out, the layout new-sheet made is used: assignments/{sheet.name}/{sheet.notebook},
# reference.{sheet.name}, tests/hidden/{sheet.name}/, sheets/{sheet.name}/master.md.
title = {json.dumps(sheet.title, ensure_ascii=False)}
# opens = 2027-01-08T09:00:00
# deadline = 2027-01-22T23:59:00
# timezone = "Europe/Berlin"
# late_penalty = "per_day"
# late_penalty_per_day = 0.1

# exercise id -> points (the hidden tests' points(...) markers add up to these)
[points]
{points}
"""


def planned_files(name: str) -> dict[Path, str]:
    """``{path relative to the course root: template}`` of every file the scaffold writes itself."""
    return {
        Path(SHEETS_DIR, name, "master.md"): "master.md.tmpl",
        Path("reference", name, "__init__.py"): "reference.py.tmpl",
        Path("tests", "hidden", name, f"test_{name}.py"): "test_hidden.py.tmpl",
        Path("assignments", name, "public_checks.py"): "public_checks.py.tmpl",
        Path("tests", "variants", name, f"{VARIANT}.py"): "variant.py.tmpl",
        Path("tests", "alternatives", name, f"{ALTERNATIVE}.py"): "alternative.py.tmpl",
    }


def render(template: str, name: str, title: str) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    return text.replace("__SHEET__", name).replace("__TITLE__", title)


def conflicts(config: CourseConfig, name: str) -> list[str]:
    """Everything that is in the way: the name in the config, or a folder or file the sheet would use."""
    found = [f"the course config already defines a sheet {name!r}"] if name in config.sheets else []
    in_the_way = [*(path.parent for path in planned_files(name)), Path("reference", f"{name}.py")]
    found += [f"{path.as_posix()} exists" for path in sorted(set(in_the_way)) if (config.root / path).exists()]
    return found


def new_sheet(*, config: CourseConfig, name: str, title: str | None = None,
              config_file: Path | None = None) -> NewSheet:
    """Write the scaffold of sheet ``name`` under the course root and build its notebook.

    Raises :class:`UsageError` (nothing written) for a bad name or when anything is in the way.
    """
    check_name(name)
    problems = conflicts(config, name)
    if problems:
        raise UsageError(f"new-sheet {name}: nothing was written, because " + "; ".join(problems)
                         + f" (in {config.root}). Choose another name, or remove those first.")
    title = title or name.replace("_", " ").capitalize()
    sheet = sheet_config(name, title)
    root = config.root
    written: list[Path] = []
    created_dirs: list[Path] = []
    try:
        for relative, template in planned_files(name).items():
            _write(root, relative, render(template, name, title), written, created_dirs)
        package = Path("reference", "__init__.py")
        if not (root / package).exists():  # the wrapped reference is served as reference.<name>
            _write(root, package, render("reference_package.py.tmpl", name, title), written, created_dirs)
        notebook = build_notebook(config, sheet)
        written.append(notebook.relative_to(root))
        sheet_file = Path(SHEETS_DIR, name, SHEET_FILE)
        _write(root, sheet_file, sheet_toml(sheet), written, created_dirs)  # last: the sheet exists once whole
    except BaseException:
        _undo(root, written, created_dirs)
        raise
    return NewSheet(name=name, root=root, files=tuple(written), sheet_file=sheet_file, config_file=config_file)


def build_notebook(config: CourseConfig, sheet: SheetConfig) -> Path:
    """``autograder assign`` for a sheet the course config does not list yet."""
    from autograder.authoring import assign_sheet

    course = config.model_copy(update={"sheets": {**config.sheets, sheet.name: sheet}})
    return assign_sheet(course, sheet).path


def _write(root: Path, relative: Path, text: str, written: list[Path], created_dirs: list[Path]) -> None:
    target = root / relative
    missing = [parent for parent in reversed(target.parents) if not parent.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    created_dirs.extend(missing)
    with target.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(text)
    written.append(relative)


def _undo(root: Path, written: list[Path], created_dirs: list[Path]) -> None:
    for relative in written:
        (root / relative).unlink(missing_ok=True)
    for folder in reversed(created_dirs):
        shutil.rmtree(folder, ignore_errors=True)
