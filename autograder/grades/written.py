"""Written answers: taken from the parsed notebook, marked by staff, shown to the student.

**Extraction** (trusted side, from :class:`autograder.core.submission.LoadedSubmission`, never by running
anything). For each written question of the sheet (``SheetConfig.written``):

- the answer is the text of the cells marked ``metadata.autograder.written == <id>``; with no marked
  cell, the cells whose first line is that question's "**Your answer:** (question `<id>`" header (a
  cell copied or recreated without its metadata); with neither, the answer is empty;
- several such cells (a student duplicated or split the cell) are joined in notebook order, with a
  blank line between them: nothing a student wrote is dropped;
- the header line and the untouched placeholder are removed, line ends made ``\\n``, control
  characters other than tab and line break removed, lone surrogates made U+FFFD, and the text cut at
  :data:`MAX_ANSWER_CHARS` (with a note saying how much was cut);
- every answer starts "awaiting staff" (``mark`` None): the grade is provisional until staff mark it.

Student text is hostile: every renderer escapes it (markdown here with
:func:`autograder.core.mdtext.md_block`, CSV through :func:`autograder.core.results.csv_text`, the
feedback page's HTML in :mod:`autograder.outputs.written_view` through the autoescaped templates of
:mod:`autograder.pages`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from autograder.core.config import SheetConfig
from autograder.core.mdtext import md_block, md_text
from autograder.core.results import SubmissionResult, WrittenAnswer
from autograder.core.submission import AnswerCell, LoadedSubmission, clean_text
from autograder.core.written_spec import ANSWER_PLACEHOLDER, WrittenQuestion, answer_header_prefix

MAX_ANSWER_CHARS = 8000
AWAITING = "awaiting staff"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- extraction


def clean_answer(text: str, question_id: str = "") -> str:
    """One cell's text as an answer: no header, no placeholder, no control characters."""
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is not None and question_id and lines[first].lstrip().startswith(answer_header_prefix(question_id)):
        lines = lines[first + 1:]
    elif first is not None and lines[first].lstrip().startswith("**Your answer:**"):
        lines[first] = lines[first].lstrip()[len("**Your answer:**"):]
    text = "\n".join(line for line in lines if line.strip() != ANSWER_PLACEHOLDER)
    return CONTROL.sub("", text).strip()


def capped(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n\n[… {len(text) - limit} more characters cut: answers are limited to {limit}]"


def answer_text(cells: Sequence[AnswerCell], question_id: str) -> str:
    """The answer to one question from all the notebook's answer cells (see the module's rules)."""
    marked = [cell for cell in cells if cell.marked and cell.question == question_id]
    chosen = marked or [cell for cell in cells if not cell.marked and cell.question == question_id]
    parts = []
    for cell in sorted(chosen, key=lambda c: c.index):
        part = clean_answer(cell.source[: MAX_ANSWER_CHARS * 4], question_id)
        if part:
            parts.append(part)
    return capped("\n\n".join(parts))


def extract_answers(loaded: LoadedSubmission | None, sheet: SheetConfig) -> tuple[WrittenAnswer, ...]:
    """One answer per written question of the sheet (empty where the notebook has none), awaiting staff."""
    cells = loaded.answers if loaded is not None else ()
    return tuple(WrittenAnswer(question=q.id, exercise=q.exercise, max_points=q.points,
                               text=answer_text(cells, q.id)) for q in sheet.written)


def attach_answers(result: SubmissionResult, loaded: LoadedSubmission | None, sheet: SheetConfig) -> SubmissionResult:
    """The result with the submission's written answers (a not gradable file has none to attach)."""
    if not sheet.written or not result.gradable:
        return result
    return result.model_copy(update={"written": extract_answers(loaded, sheet)})


# --------------------------------------------------------------------------- what the student reads


def question_of(sheet: SheetConfig, question_id: str) -> WrittenQuestion | None:
    return next((q for q in sheet.written if q.id == question_id), None)


def status_text(answer: WrittenAnswer) -> str:
    if answer.mark is None:
        return f"{AWAITING} (0 / {answer.max_points:g} counted so far)"
    return f"{answer.mark.points:g} / {answer.max_points:g}, graded by staff"


def ticked_items(answer: WrittenAnswer, sheet: SheetConfig) -> list[str]:
    """The rubric items staff ticked, as "text (points)"; ids the sheet no longer has are shown as ids."""
    if answer.mark is None:
        return []
    question = question_of(sheet, answer.question)
    items = {item.id: item for item in question.rubric} if question else {}
    return [f"{items[i].text} ({items[i].points:g})" if i in items else i for i in answer.mark.rubric]


def provisional_sentence(result: SubmissionResult) -> str:
    pending = [a for a in result.written if a.mark is None]
    if not pending:
        return ""
    points = sum(a.max_points for a in pending)
    return (f"Provisional: {len(pending)} written answer(s) ({points:g} points) are {AWAITING}; "
            "the score counts them as 0 until course staff grade them.")


def written_markdown(result: SubmissionResult, sheet: SheetConfig) -> list[str]:
    """Lines for the markdown summary: one per written answer (never the staff note)."""
    if not result.written:
        return []
    lines = ["", "**Written answers (graded by staff)**", ""]
    for answer in result.written:
        line = f"- {md_text(answer.question)} ({md_text(answer.exercise)}): {md_text(status_text(answer))}"
        if answer.mark is not None:
            ticked = ticked_items(answer, sheet)
            if ticked:
                line += "; " + md_text("; ".join(ticked))
            if answer.mark.comment:
                line += "\n\n" + md_block(answer.mark.comment[:4000])
        lines.append(line)
    return lines


def awaiting(results: Iterable[SubmissionResult]) -> int:
    """How many answers of these results still await staff."""
    return sum(a.mark is None for r in results for a in r.written)
