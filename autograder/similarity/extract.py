"""Each submission's own code: its code cells, less what the sheet's notebook already gave everyone.

Only parses (nothing runs). A cell that is the same as one of the notebook's cells, once comments,
whitespace and names are normalised, is the sheet's and is dropped whole (given code, untouched stubs,
``check(...)`` cells). What stays can still hold given lines (a stub's signature and docstring kept
above a solution); their fingerprints are discounted later, in :mod:`autograder.similarity.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.core.errors import ConfigError, SubmissionError
from autograder.core.submission import Cell, load_submission, parse_notebook
from autograder.similarity.fingerprint import Normalised, joined, normalise_code


@dataclass(frozen=True)
class OwnCode:
    """One submission as compared: ``text`` is its own code, cell by cell, under ``# [cell N]`` headers."""

    student_id: str
    cohort: str  # "" for the class being checked, else the archive's label
    source: str  # the file, for staff
    text: str = ""
    cells: int = 0
    problem: str = ""  # why it was not compared (not a submission); empty when it was
    note: str = ""  # compared, but staff should know (own code cut at MAX_OWN_CHARS)
    sha256: str = ""  # of the file as compared: what a case cites
    normalised: Normalised | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Unique across cohorts: an archived student may have the same id as a current one."""
        return f"{self.cohort}/{self.student_id}" if self.cohort else self.student_id


def normalise(code: str) -> str:
    """Names become V, F or O, strings S; comments and whitespace go (see the fingerprint module)."""
    return normalise_code(code).text


@dataclass(frozen=True)
class Boilerplate:
    """The sheet's own code: its cells (normalised) and their whole text, for fingerprint discounting."""

    cells: frozenset[str]
    text: str
    sources: frozenset[str] = frozenset()

    @classmethod
    def from_notebook(cls, notebook: Path) -> Boilerplate:
        try:
            cells, _ = parse_notebook(notebook.read_text(encoding="utf-8"))
        except (OSError, SubmissionError) as exc:
            raise ConfigError(f"the sheet's notebook {notebook} could not be read ({exc}); "
                              "check the sheet's assignment_dir and notebook in the course config") from None
        return cls(cells=frozenset(normalise(c.source) for c in cells),
                   text="\n\n".join(c.source for c in cells), sources=frozenset(c.source for c in cells))


MAX_OWN_CHARS = 500_000  # 30x a complete Sheet 3.2; more is padding, and lexing it would take minutes


def own_cells(cells: Sequence[Cell], boilerplate: Boilerplate, *,
              budget: int | None = None) -> tuple[list[Cell], str]:
    """The cells that are not the sheet's (nor empty once normalised), within ``budget`` characters.

    The cap comes before lexing: a cell that would pass it is never lexed (a 2.4 MB cell cost 16 s of
    CPU when every cell was lexed first and the cap applied after). The note says what was left out.
    """
    budget = MAX_OWN_CHARS if budget is None else budget
    kept: list[Cell] = []
    at = 0
    for cell in cells:
        if cell.source in boilerplate.sources:  # the common case, without lexing
            continue
        if at + len(cell.source) + len(_header(cell)) > budget:
            return kept, (f"only the first {at:,} characters of own code were compared "
                          f"(cells from {cell.index} on left out)")
        normalised = normalise(cell.source)
        if normalised and normalised not in boilerplate.cells:
            kept.append(cell)
            at += len(_header(cell)) + len(cell.source) + 2
    return kept, ""


def _header(cell: Cell) -> str:
    return f"# [cell {cell.index}]\n"


def extract_own_code(path: Path, *, student_id: str, cohort: str, boilerplate: Boilerplate,
                     max_bytes: int, sheet: str | None) -> OwnCode:
    """Never raises for a bad submission: the reason lands in ``problem``."""
    try:
        loaded = load_submission(path, max_bytes=max_bytes, expected_sheet=sheet)
    except SubmissionError as exc:
        return OwnCode(student_id=student_id, cohort=cohort, source=str(path), problem=str(exc))
    kept, note = own_cells(loaded.cells, boilerplate)
    pieces, parts, at = [], [], 0
    for cell in kept:
        header = _header(cell)
        parts.append((at + len(header), normalise_code(cell.source)))  # cached: lexed once, in own_cells
        pieces.append(f"{header}{cell.source}\n\n")
        at += len(pieces[-1])
    return OwnCode(student_id=student_id, cohort=cohort, source=str(path), text="".join(pieces), cells=len(parts),
                   note=note, sha256=loaded.sha256, normalised=joined(parts))
