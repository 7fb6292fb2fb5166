"""Reading a master: MyST Markdown through jupytext, and the directives on its cells.

A code cell's options (``:autograder: stub``, ``:cell_id: setup``) and a markdown cell's ``+++ {...}``
line arrive in the cell's metadata. The directive is ``metadata["autograder"]``: ``stub``,
``check <exercise>``, ``check`` (all exercises), ``staff`` or ``written``; ``staff`` also works on
markdown cells (notes for the staff), and cells tagged ``staff-only`` are staff cells too. ``written``
is a directive of markdown cells: the question of a written answer (:mod:`autograder.core.written_spec`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.core.errors import AssignError

MASTER_FORMAT = "md:myst"
DIRECTIVE_KEY = "autograder"
CELL_ID_KEY = "cell_id"
STAFF_TAG = "staff-only"
DIRECTIVES = ("stub", "check", "staff", "written")


def read_master(path: Path) -> Any:
    """The master as a notebook (jupytext's reading of MyST Markdown)."""
    import jupytext

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AssignError(f"the master {path} cannot be read: {exc}") from None
    try:
        return jupytext.reads(text, fmt=MASTER_FORMAT)
    except Exception as exc:  # noqa: BLE001 - jupytext raises many kinds for a malformed file
        raise AssignError(f"the master {path} is not a MyST notebook: {type(exc).__name__}: {exc}") from None


def directive(cell: Any, where: str) -> tuple[str, str]:
    """``(kind, argument)`` of a cell: ``("stub", "")``, ``("check", "3.2.1")``, ``("staff", "")`` or ``("", "")``."""
    if STAFF_TAG in cell.get("metadata", {}).get("tags", []):
        return "staff", ""
    value = cell.get("metadata", {}).get(DIRECTIVE_KEY)
    if value is None or isinstance(value, dict):  # a dict: already built
        return "", ""
    words = str(value).split()
    if not words or words[0] not in DIRECTIVES:
        raise AssignError(f"{where}: unknown directive `:autograder: {value}`; use one of "
                          "`stub`, `check <exercise>`, `check`, `staff`, `written`")
    kind, argument = words[0], " ".join(words[1:])
    if kind != "check" and argument:
        raise AssignError(f"{where}: `:autograder: {kind}` takes no argument (got {argument!r})")
    if kind == "check" and len(words) > 2:
        raise AssignError(f"{where}: `:autograder: check` takes one exercise id (got {argument!r})")
    if kind == "written":
        if cell.get("cell_type") != "markdown":
            raise AssignError(f"{where}: `written` is a directive of markdown cells (+++ {{\"autograder\": "
                              f"\"written\", ...}}); this is a {cell.get('cell_type')} cell")
        return kind, argument
    if kind != "staff" and cell.get("cell_type") != "code":
        raise AssignError(f"{where}: `{kind}` is a directive of code cells; this is a {cell.get('cell_type')} cell")
    return kind, argument
