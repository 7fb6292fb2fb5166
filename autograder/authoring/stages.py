"""The stages of ``autograder assign``, in the order :data:`STAGES` runs them.

Each stage is a function ``(notebook, context) -> notebook`` with one job (nbgrader's preprocessors,
as plain functions). Cell ids are fixed second, right after the staff cells are dropped, so that every
later error names the cell it is about.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from autograder.authoring.context import BuildContext
from autograder.authoring.master import CELL_ID_KEY, DIRECTIVE_KEY, directive
from autograder.authoring.stubs import expand, stub_imports
from autograder.authoring.values import fill
from autograder.authoring.written_cells import build_written_cells
from autograder.core import pysource
from autograder.core.errors import AssignError

Notebook = Any
Stage = Callable[[Notebook, BuildContext], Notebook]

VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def drop_staff_cells(notebook: Notebook, context: BuildContext) -> Notebook:
    """Cells for the staff only (``:autograder: staff``, or tagged ``staff-only``) leave the notebook."""
    notebook.cells = [cell for n, cell in enumerate(notebook.cells)
                      if directive(cell, context.where(f"cell {n} of the master"))[0] != "staff"]
    return notebook


def fix_cell_ids(notebook: Notebook, context: BuildContext) -> Notebook:
    """Ids from ``cell_id``, else ``stub-<first name>``, ``check-<exercise>``, ``cell-<position>``; unique."""
    seen: dict[str, int] = {}
    for n, cell in enumerate(notebook.cells):
        explicit = cell.metadata.get(CELL_ID_KEY)
        cell_id = str(explicit) if explicit is not None else _default_id(cell, n, context)
        if not VALID_ID.match(cell_id):
            raise AssignError(f"{context.where(f'cell {n} of the notebook')}: cell id {cell_id!r} must be 1 to 64 "
                              "letters, digits, - or _")
        if cell_id in seen:
            raise AssignError(f"{context.where(f'cell {cell_id}')}: duplicate cell id: cells {seen[cell_id]} and "
                              f"{n} of the notebook both have it; give one an explicit `cell_id`")
        seen[cell_id] = n
        cell.id = cell_id
    return notebook


def _default_id(cell: Any, n: int, context: BuildContext) -> str:
    kind, argument = directive(cell, context.where(f"cell {n} of the notebook"))
    if kind == "check":
        return "check-" + (argument.replace(".", "-") if argument else "all")
    if kind == "stub":
        try:
            first = next(node for node in pysource.parse(cell.source).body if isinstance(node, ast.ImportFrom))
            return "stub-" + first.names[0].name.replace("_", "-")
        except (SyntaxError, StopIteration):
            return f"stub-{n}"  # the stub stage says what is wrong with it
    return f"cell-{n}"


def expand_stubs(notebook: Notebook, context: BuildContext) -> Notebook:
    """A stub cell's imports become stubs of those names, from the reference's source."""
    for cell in notebook.cells:
        if directive(cell, context.where(f"cell {cell.id}"))[0] == "stub":
            where = context.where(f"cell {cell.id}")
            imports = stub_imports(cell.source, context.sheet.reference_module, context.package, where)
            cell.source = expand(context.package, imports, where)
            cell.metadata[DIRECTIVE_KEY] = {"stub": [name for _, name in imports]}
    return notebook


def write_check_cells(notebook: Notebook, context: BuildContext) -> Notebook:
    """A check cell becomes exactly ``check("<exercise>")`` or ``check()``."""
    for cell in notebook.cells:
        kind, exercise = directive(cell, context.where(f"cell {cell.id}"))
        if kind != "check":
            continue
        if exercise and exercise not in context.check_names:
            known = ", ".join(context.check_names) or "none (no public checks)"
            raise AssignError(f"{context.where(f'cell {cell.id}')}: `check {exercise}`: no such exercise in "
                              f"the public checks' CHECKS (it has: {known})")
        cell.source = f'check("{exercise}")' if exercise else "check()"
        del cell.metadata[DIRECTIVE_KEY]
    return notebook


def fill_values(notebook: Notebook, context: BuildContext) -> Notebook:
    """Every ``{{ expression }}`` in markdown and code, stub docstrings included, becomes its value."""
    for cell in notebook.cells:
        cell.source = fill(cell.source, context.values, context.where(f"cell {cell.id}"))
    return notebook


def clear_outputs(notebook: Notebook, context: BuildContext) -> Notebook:
    """No outputs, no execution counts, no attachments left from running the master."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def set_metadata(notebook: Notebook, context: BuildContext) -> Notebook:
    """The notebook's metadata is the sheet, its master and the kernel; cells keep only the stubs' names."""
    notebook.metadata = {
        "autograder": {"sheet": context.sheet.name, "master": context.master_name},
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for cell in notebook.cells:
        cell.metadata.pop(CELL_ID_KEY, None)
        if not isinstance(cell.metadata.get(DIRECTIVE_KEY), dict):
            cell.metadata.pop(DIRECTIVE_KEY, None)
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


STAGES: tuple[Stage, ...] = (
    drop_staff_cells,
    fix_cell_ids,
    build_written_cells,
    expand_stubs,
    write_check_cells,
    fill_values,
    clear_outputs,
    set_metadata,
)
