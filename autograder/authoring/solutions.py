"""A staff-only solutions notebook, generated from the reference: the sheet's notebook with each stub
cell replaced by the reference's source of the names it defines, and the reference's notes.

The reference module may publish ``CONTRACT`` ({exercise: (name, ...)}) and ``SOLUTION_NOTES``
({exercise: markdown}); a note follows the exercise's last stub cell. The notebook is for reading
(the reference's helpers stay in its modules); a runnable complete solution is an example
submission. It is written under the staff's output folder, never into the assignment folder.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import nbformat

from autograder.authoring.values import Values, fill, import_reference_module
from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import AssignError


def _defined(source: str) -> list[str]:
    try:
        tree = pysource.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _source(reference: Any, name: str, values: Values) -> str:
    value = getattr(reference, name)
    if inspect.isfunction(value) or inspect.isclass(value):
        module = inspect.getmodule(value)
        where = Path(inspect.getsourcefile(value) or "?").name
        source = inspect.getsource(value)
        try:  # the docstrings hold the master's {{ }} values, filled in as the student notebook has them
            source = fill(source, values, f"the reference's {name}")
        except AssignError:
            pass  # code that merely contains double braces (an f-string's literal ones) is shown as written
        return f"# from the reference ({module.__name__ if module else '?'}, {where})\n" + source
    return f"{name} = {value!r}\n"


def solutions_notebook(config: CourseConfig, sheet: SheetConfig) -> nbformat.NotebookNode:
    reference = import_reference_module(config, sheet)  # the course root on the path, as the judge has it
    values = Values(config, sheet, import_reference=lambda: reference)
    contract: dict[str, tuple[str, ...]] = getattr(reference, "CONTRACT", {})
    notes: dict[str, str] = getattr(reference, "SOLUTION_NOTES", {})
    exercise_of = {name: exercise for exercise, names in contract.items() for name in names}
    notebook = nbformat.read(config.resolve(sheet.assignment_dir) / sheet.notebook, as_version=4)
    cells = [nbformat.v4.new_markdown_cell(f"# Solutions: {sheet.title or sheet.name} (staff only)\n\n"
                                           "Generated from the reference by `autograder rubric`. Do not publish.")]
    last_stub: dict[str, int] = {}
    for cell in notebook.cells:
        names = [n for n in _defined(cell.source) if hasattr(reference, n)] if cell.cell_type == "code" else []
        if names:
            cell = nbformat.v4.new_code_cell("\n\n".join(_source(reference, n, values).rstrip() for n in names) + "\n")
            for name in names:
                last_stub[exercise_of.get(name, "")] = len(cells)
        cells.append(cell)
    for exercise, index in sorted(last_stub.items(), key=lambda kv: -kv[1]):
        if exercise in notes:
            cells.insert(index + 1, nbformat.v4.new_markdown_cell(f"**Notes for {exercise} (staff).** "
                                                                  + notes[exercise].strip()))
    notebook.cells = cells
    notebook.metadata["autograder"] = {"sheet": sheet.name, "staff_only": True}
    return notebook
