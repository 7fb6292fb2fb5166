"""The reference as a submission: a percent-format ``.py`` that carries the reference package's source.

The submission starts with the released notebook's code cells (the given code and imports a
student's notebook has, and the stubs). The sandbox cannot read the reference (it is hidden there),
so ``from reference.sheet_3_2 import *`` alone would fail: the next cell installs an import hook that
serves the package's modules from source strings embedded in the file (each executed as its own
module, so its relative imports, ``__file__`` and private helpers behave as on disk), and the one
after imports the reference's public names, replacing the stubs as a later cell does in Jupyter.

A known-wrong variant is that submission plus the variant's cells (:func:`overlay`): one item
redefined with a bug, or a whole notebook. Staff-only: these files are written to the gate's work
folder, never to a bundle.
"""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.reference import reference_modules
from autograder.core.config import CourseConfig, SheetConfig

_LOADER = '''\
import importlib.abc as _ag_abc
import importlib.util as _ag_util
import sys as _ag_sys


class _AgReferenceLoader(_ag_abc.MetaPathFinder, _ag_abc.Loader):
    """Serves the embedded reference modules (the files themselves are hidden from the sandbox)."""

    def find_spec(self, name, path=None, target=None):
        if name not in _AG_SOURCES:
            return None
        return _ag_util.spec_from_loader(name, self, origin=_AG_SOURCES[name][1], is_package=_AG_SOURCES[name][0])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        is_package, origin, source = _AG_SOURCES[module.__name__]
        module.__file__ = origin
        exec(compile(source, origin, "exec"), module.__dict__)


_ag_sys.meta_path.insert(0, _AgReferenceLoader())
'''


def _cell(source: str) -> str:
    return f"# %%\n{source.rstrip()}\n\n"


def notebook_code_cells(config: CourseConfig, sheet: SheetConfig) -> list[str]:
    from autograder.core.submission import parse_notebook

    path = config.resolve(sheet.assignment_dir) / sheet.notebook
    cells, _ = parse_notebook(path.read_text(encoding="utf-8"))
    return [cell.source for cell in cells]


def reference_cells(config: CourseConfig, sheet: SheetConfig) -> list[str]:
    """The loader cell (with every module's source) and the cell that imports the reference's names."""
    modules = reference_modules(config, sheet)
    lines = [f"# The reference of {sheet.name}, wrapped by `autograder release` (staff only).", "_AG_SOURCES = {"]
    for name, (is_package, path) in sorted(modules.items()):
        source = path.read_text(encoding="utf-8")
        lines.append(f"    {name!r}: ({is_package!r}, {str(path)!r}, {source!r}),")
    lines += ["}", "", _LOADER]
    return ["\n".join(lines), f"from {sheet.reference_module} import *  # noqa: F403"]


def overlay_cells(config: CourseConfig, sheet: SheetConfig, extra_cells: list[str] | None = None) -> list[str]:
    """Notebook cells, then the reference, then ``extra_cells``."""
    return [*notebook_code_cells(config, sheet), *reference_cells(config, sheet), *(extra_cells or [])]


def overlay(config: CourseConfig, sheet: SheetConfig, extra_cells: list[str] | None = None) -> str:
    """:func:`overlay_cells` as one percent-format ``.py``."""
    return "".join(_cell(source) for source in overlay_cells(config, sheet, extra_cells))


def notebook_from_cells(cells: list[str]) -> str:
    """An ``.ipynb`` (nbformat 4) of code cells, the same bytes for the same cells.

    nbformat gives every new cell a random id: the same alternative would then be a new submission
    (a new SHA-256) at every gate run and be graded again; the ids here come from the cell's place.
    """
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source, id=f"cell-{index}") for index, source in enumerate(cells)]
    return nbformat.writes(notebook)


def wrapped_reference(config: CourseConfig, sheet: SheetConfig) -> str:
    """Source of a ``.py`` submission that defines what the notebook defines, solved by the reference."""
    return overlay(config, sheet)


def variant_cells(path: Path) -> list[str]:
    """The code cells of a variant file (``.py`` split at ``# %%``, or a notebook's code cells)."""
    from autograder.core.submission import parse_notebook, parse_python

    text = path.read_text(encoding="utf-8")
    cells = parse_notebook(text)[0] if path.suffix == ".ipynb" else parse_python(text)
    return [cell.source for cell in cells]
