"""Build a sheet's student notebook from its master, and write it only when it changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.authoring.context import BuildContext
from autograder.authoring.master import read_master
from autograder.authoring.reference import ReferencePackage, reference_modules
from autograder.authoring.stages import STAGES
from autograder.authoring.values import Values
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import AssignError
from autograder.student.checks import public_check_names


@dataclass(frozen=True)
class AssignOutcome:
    """What ``assign`` did: ``changed`` when the notebook on disk was not what the master builds."""

    sheet: str
    master: Path
    master_name: str  # the master as the course shows it: relative to the course root when inside it
    path: Path
    changed: bool
    written: bool


def master_path(config: CourseConfig, sheet: SheetConfig) -> Path:
    """The sheet's master, checked to lie outside the assignment folder (an error when it has none)."""
    if sheet.master is None:
        raise AssignError(f"sheet {sheet.name!r} has no master: set `master=\"sheets/{sheet.name}/master.md\"` "
                          "in its SheetConfig")
    master = config.resolve(sheet.master)
    assignment = config.resolve(sheet.assignment_dir)
    if master.is_relative_to(assignment):
        raise AssignError(f"the master {master} lies inside the assignment folder {assignment}, which is "
                          "released to students; move it, e.g. to sheets/<sheet>/master.md")
    if not master.is_file():
        raise AssignError(f"the master of {sheet.name} ({master}) does not exist")
    return master


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def build_context(config: CourseConfig, sheet: SheetConfig) -> BuildContext:
    master = master_path(config, sheet)
    modules = reference_modules(config, sheet)
    if sheet.reference_module not in modules:
        raise AssignError(f"the reference module {sheet.reference_module} was not found under {config.root}")
    try:
        package = ReferencePackage(modules)
    except SyntaxError as exc:
        raise AssignError(f"the reference could not be parsed: {exc}") from None
    return BuildContext(config=config, sheet=sheet, master=master, master_name=_shown(master, config.root),
                        package=package, check_names=public_check_names(config, sheet),
                        values=Values(config, sheet))


def _build(context: BuildContext) -> str:
    import nbformat

    notebook = read_master(context.master)
    for stage in STAGES:
        notebook = stage(notebook, context)
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        raise AssignError(f"{context.master_name} builds an invalid notebook: {exc.message}") from None
    return nbformat.writes(notebook) + "\n"


def build_notebook(config: CourseConfig, sheet: SheetConfig) -> str:
    """The student notebook's text, the same bytes for the same master, reference and config."""
    return _build(build_context(config, sheet))


def assign_sheet(config: CourseConfig, sheet: SheetConfig, *, check: bool = False) -> AssignOutcome:
    """Build the notebook; write it to ``assignment_dir/notebook`` when it differs (never with ``check``)."""
    context = build_context(config, sheet)
    data = _build(context).encode("utf-8")
    path = config.resolve(sheet.assignment_dir) / sheet.notebook
    changed = not path.is_file() or path.read_bytes() != data
    written = changed and not check
    if written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return AssignOutcome(sheet=sheet.name, master=context.master, master_name=context.master_name, path=path,
                         changed=changed, written=written)
