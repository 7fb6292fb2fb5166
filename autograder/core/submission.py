"""Turn a submitted file (``.ipynb`` or ``.py``) into the code cells the sandbox runs, in order.

Runs in the trusted process, so it only parses: nothing here executes student code. Anything that is
not a readable notebook or Python source raises :class:`SubmissionError` with a message for the
student; the caller records a result with ``gradable: false``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.core.errors import SubmissionError

PY_CELL_MARKER = re.compile(r"^# ?%%.*$", re.MULTILINE)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD.

    JSON may spell one (``"\\ud800"``) and ``json.loads`` keeps it; no UTF-8 writer accepts it, so a
    single comment would stop every page, CSV and log that shows the code. Pairs were joined by the
    JSON decoder already: what is left is never a character.
    """
    return LONE_SURROGATE.sub(REPLACEMENT, text)


@dataclass(frozen=True)
class Cell:
    index: int
    source: str


@dataclass(frozen=True)
class AnswerCell:
    """A cell that holds a written answer: by its marker (``metadata.autograder.written``), or, with the
    marker gone (a cell copied by hand), by its "Your answer:" first line. Text only, never run."""

    index: int
    question: str
    source: str
    marked: bool


@dataclass(frozen=True)
class LoadedSubmission:
    path: Path
    sha256: str
    cells: tuple[Cell, ...]
    sheet_hint: str | None = None
    answers: tuple[AnswerCell, ...] = ()


def load_submission(path: Path, *, max_bytes: int, expected_sheet: str | None = None) -> LoadedSubmission:
    """Read and parse a submission. Raises SubmissionError with a student-facing message."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"the file could not be read ({exc.strerror})") from None
    if size > max_bytes:
        raise SubmissionError(
            f"the file is {size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB limit; "
            "clear large outputs (Kernel > Restart & Clear Output) and submit again"
        )
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise SubmissionError("the file is empty")
    if b"\x00" in raw:
        raise SubmissionError("the file is binary, not a notebook or Python source")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(
            f"the file is not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and submit again"
        ) from None
    suffix = path.suffix.lower()
    answers: list[AnswerCell] = []
    if suffix == ".ipynb":
        cells, hint, answers = _parse_notebook(text)
    elif suffix == ".py":
        cells, hint = parse_python(text), None
    else:
        raise SubmissionError(f"'{path.name}' is neither a notebook (.ipynb) nor Python source (.py)")
    if expected_sheet and hint and hint != expected_sheet:
        raise SubmissionError(
            f"this notebook belongs to {hint!r}, not to {expected_sheet!r}; submit the right notebook"
        )
    return LoadedSubmission(path=path, sha256=digest, cells=tuple(cells), sheet_hint=hint, answers=tuple(answers))


def parse_notebook(text: str) -> tuple[list[Cell], str | None]:
    """The code cells of a version 4 notebook, read straight from its JSON.

    Only ``cells``, each cell's ``cell_type`` and ``source``, and ``metadata`` matter here, and each
    is checked. No nbformat: its schema validation only logs what it finds, and importing it pulls in
    jsonschema's format checkers (about a second in every fresh grading worker).
    """
    cells, hint, _ = _parse_notebook(text)
    return cells, hint


def _parse_notebook(text: str) -> tuple[list[Cell], str | None, list[AnswerCell]]:
    """:func:`parse_notebook`, and the cells that hold written answers."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may have been cut off or edited by hand"
        ) from None
    except RecursionError:
        raise SubmissionError("the file is JSON nested far too deeply to be a Jupyter notebook") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts (4300 by default)
        raise SubmissionError(f"the notebook's JSON could not be read ({str(exc).split(':')[0]}); it may have been edited "
                              "by hand: open it in Jupyter and save it again") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError("the file is JSON but not a Jupyter notebook (no 'cells')")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(
            f"the notebook has format version {major!r}; only version 4 notebooks are graded "
            "(open it in a current Jupyter and save it again)"
        )
    notebook_cells = data.get("cells")
    if not isinstance(notebook_cells, list):
        raise SubmissionError("the notebook could not be read: its 'cells' is not a list of cells")
    cells, answers = [], []
    for index, cell in enumerate(notebook_cells):
        if not isinstance(cell, dict):
            raise SubmissionError(f"cell {index} of the notebook is not a notebook cell")
        answer = _answer_cell(index, cell)
        if answer is not None:
            answers.append(answer)  # a marked cell turned into code still runs as code, too
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError(f"cell {index} has a malformed source")
        cells.append(Cell(index=index, source=clean_text(source)))
    hint = _sheet_hint(data.get("metadata", {}))
    return cells, clean_text(hint) if hint is not None else None, answers


ANSWER_HEADER = re.compile(r"\A\s*\*\*Your answer:\*\* \(question `([^`\n]{1,64})`")


def _answer_cell(index: int, cell: dict[str, Any]) -> AnswerCell | None:
    """The cell as a written answer, or None. Any cell type (a student may turn it into code or raw);
    a malformed source is an empty answer, never a reason to refuse the notebook."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(line for line in source if isinstance(line, str))
    if not isinstance(source, str):
        source = ""
    metadata = cell.get("metadata")
    info = metadata.get("autograder") if isinstance(metadata, dict) else None
    if isinstance(info, dict) and isinstance(info.get("written"), str):
        return AnswerCell(index=index, question=clean_text(info["written"]), source=clean_text(source), marked=True)
    if cell.get("cell_type") == "code":
        return None  # code is code: a header in a code cell is not an answer
    header = ANSWER_HEADER.match(source[:200])
    if header is None:
        return None
    return AnswerCell(index=index, question=clean_text(header.group(1)), source=clean_text(source), marked=False)


def _sheet_hint(metadata: Any) -> str | None:
    if isinstance(metadata, dict):
        info = metadata.get("autograder")
        if isinstance(info, dict) and isinstance(info.get("sheet"), str):
            return info["sheet"]
    return None


def parse_python(text: str) -> list[Cell]:
    """A ``.py`` file: split at ``# %%`` markers (the percent format), else one cell."""
    starts = [m.start() for m in PY_CELL_MARKER.finditer(text)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    bounds = [*starts, len(text)]
    return [Cell(index=i, source=text[a:b]) for i, (a, b) in enumerate(itertools.pairwise(bounds)) if text[a:b].strip()]
