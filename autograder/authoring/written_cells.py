"""The ``written`` stage of ``assign``: each written question gets an answer cell after it.

The question cell keeps its text (``{{ }}`` values filled later) and loses the declaration
(exercise, points, rubric: the rubric is for staff). The answer cell is a markdown cell whose
metadata ``{"autograder": {"written": "<question id>"}}`` is the marker ``grade`` finds it by, and
whose text says "Your answer:", the points and that staff grade them (:mod:`autograder.core.written_spec`).
"""

from __future__ import annotations

import re
from typing import Any

from autograder.authoring.context import BuildContext
from autograder.authoring.master import DIRECTIVE_KEY, directive
from autograder.core.errors import AssignError
from autograder.core.written_spec import ANSWER_KEY, answer_cell_source, question_from_metadata

DECLARATION_KEYS = ("question", "exercise", "points", "rubric")


def answer_cell_id(question_id: str) -> str:
    return "answer-" + re.sub(r"[^a-zA-Z0-9_-]", "-", question_id)[:57]


def build_written_cells(notebook: Any, context: BuildContext) -> Any:
    """After each written question, its answer cell; the question's declaration leaves the notebook."""
    import nbformat

    known = {question.id: question for question in context.sheet.written}
    ids = {cell.id for cell in notebook.cells}
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        where = context.where(f"cell {cell.id}")
        if directive(cell, where)[0] != "written":
            continue
        try:
            declared = question_from_metadata(dict(cell.metadata))
        except ValueError as exc:
            raise AssignError(f"{where}: {exc}") from None
        question = known.get(declared.id)
        if question is None or question.model_dump(exclude={"title"}) != declared.model_dump(exclude={"title"}):
            raise AssignError(f"{where}: the written question {declared.id!r} is not the one the config read from "
                              "the master (the +++ line must be on one line: see docs/authoring.md)")
        answer_id = answer_cell_id(question.id)
        if answer_id in ids:
            raise AssignError(f"{where}: the answer cell's id {answer_id!r} is already a cell id; rename that cell")
        for key in (DIRECTIVE_KEY, *DECLARATION_KEYS):
            cell.metadata.pop(key, None)
        answer = nbformat.v4.new_markdown_cell(answer_cell_source(question))
        answer.id = answer_id
        answer.metadata[DIRECTIVE_KEY] = {ANSWER_KEY: question.id}
        cells.append(answer)
        ids.add(answer_id)
    notebook.cells = cells
    return notebook
