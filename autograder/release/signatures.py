"""Do the notebook's stubs match the reference? Names, kinds and signatures, by parsing both with ``ast``.

Nothing is imported or run: the notebook's code cells are translated the way the sandbox translates
them (IPython magics become calls) and parsed; the reference package's modules are parsed and its
exported names followed through ``from .module import name`` to their definitions.

The contract is the reference's ``CONTRACT`` (``{exercise: (name, ...)}``) when it has one, else its
``__all__``, else the public names its top module defines or imports from inside the package.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.authoring.reference import (
    Definition,
    ReferencePackage,
    definitions,
    reference_modules,
    render_params,
)
from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig


def notebook_cells(path: Path) -> list[tuple[int, str]]:
    """``(cell index, Python source)`` of the notebook's code cells, magics translated as in the sandbox."""
    from IPython.core.inputtransformer2 import TransformerManager

    data = json.loads(path.read_text(encoding="utf-8"))
    manager = TransformerManager()
    cells = []
    for index, cell in enumerate(data.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append((index, manager.transform_cell(source)))
    return cells


def notebook_definitions(path: Path) -> tuple[dict[str, Definition], list[str]]:
    """What the notebook defines at top level (later cells win), and cells that do not parse."""
    found: dict[str, Definition] = {}
    errors = []
    for index, source in notebook_cells(path):
        try:
            tree = pysource.parse(source)
        except SyntaxError as exc:
            errors.append(f"notebook cell {index} is not valid Python: {exc.msg} (line {exc.lineno})")
            continue
        found.update(definitions(tree, f"cell {index}"))
    return found, errors



# --------------------------------------------------------------------------- comparing


def compare(notebook: dict[str, Definition], reference: dict[str, Definition | None]) -> tuple[list[str], list[str]]:
    """``(problems, notes)``: every contract name must be defined alike in both."""
    problems, notes = [], []
    for name, want in reference.items():
        got = notebook.get(name)
        if want is None:
            problems.append(f"{name}: in the reference's contract but not defined in the reference")
            continue
        if got is None:
            problems.append(f"{name}: the reference defines it, the notebook does not")
            continue
        if got.kind != want.kind:
            problems.append(f"{name}: a {want.kind} in the reference but a {got.kind} in the notebook ({got.where})")
            continue
        if want.kind == "function" and got.params != want.params:
            problems.append(f"{name}: signature {name}{render_params(got.params)} in the notebook ({got.where}), "
                            f"{name}{render_params(want.params)} in the reference")
        if want.kind == "class":
            if "__init__" in want.methods and "__init__" not in got.methods:
                problems.append(f"{name}: the notebook's class has no __init__; the reference's takes "
                                f"{render_params(want.methods['__init__'])}")
            for method in sorted(want.methods.keys() & got.methods.keys()):
                if want.methods[method] != got.methods[method]:
                    problems.append(f"{name}.{method}: {render_params(got.methods[method])} in the notebook, "
                                    f"{render_params(want.methods[method])} in the reference")
        if not got.stub:
            notes.append(f"{name} in the notebook ({got.where}) is not a stub (no NotImplementedError, not None)")
    for name, got in notebook.items():
        if name in reference or not got.stub or (got.kind == "constant" and not name.isupper()):
            continue
        problems.append(f"{name}: a stub in the notebook ({got.where}) that the reference's contract lacks")
    return problems, notes


def check_stubs(config: CourseConfig, sheet: SheetConfig) -> tuple[list[str], list[str], int]:
    """``(problems, notes, contract size)`` for the sheet's notebook against its reference."""
    notebook_path = config.resolve(sheet.assignment_dir) / sheet.notebook
    if not notebook_path.is_file():
        return [f"the notebook {notebook_path} does not exist"], [], 0
    modules = reference_modules(config, sheet)
    if sheet.reference_module not in modules:
        return [f"the reference module {sheet.reference_module} was not found under {config.root}"], [], 0
    try:
        package = ReferencePackage(modules)
        names = package.contract(sheet.reference_module)
    except (SyntaxError, ValueError) as exc:
        return [f"the reference could not be parsed: {exc}"], [], 0
    try:
        got, errors = notebook_definitions(notebook_path)
    except (OSError, ValueError) as exc:
        return [f"the notebook could not be read: {exc}"], [], 0
    wanted = {name: package.resolve(sheet.reference_module, name) for name in names}
    problems, notes = compare(got, wanted)
    return errors + problems, notes, len(wanted)
