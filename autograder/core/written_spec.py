"""Written questions: declared once, in the sheet's master, and known to the config from there.

A written question is a markdown cell of the master whose ``+++`` line says so (the line is the
cell's metadata, JSON, as jupytext reads MyST):

    +++ {"autograder": "written", "question": "head-layer-loss", "exercise": "3.2.1.1", "points": 2,
         "rubric": [{"id": "linear", "points": 1, "text": "one bias-free linear layer"}, ...]}

(on one line). The cell's text is the question students read; ``autograder assign`` puts an answer
cell after it (:mod:`autograder.authoring.written_cells`). :func:`load_config` reads these lines
with :func:`questions_from_master` (a plain scan, not jupytext, whose import costs a second in every
process that loads the config), so ``SheetConfig.written`` and ``total_points`` count them with no
second copy. The rubric is for staff: it never reaches the student notebook.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

WRITTEN_DIRECTIVE = "written"
QUESTION_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")
MARKDOWN_METADATA = re.compile(r"^\+\+\+[ \t]*(\{.*\})[ \t]*$", re.MULTILINE)
ANSWER_KEY = "written"
"""The answer cell's marker: ``metadata["autograder"]["written"] == <question id>``."""


class RubricItem(BaseModel):
    """One thing staff tick when an answer has it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="short id, unique within its question")
    text: str = Field(description="what the answer must say to earn the item (staff see it)")
    points: float = Field(ge=0)

    @model_validator(mode="after")
    def _valid_id(self) -> RubricItem:
        if not QUESTION_ID.match(self.id):
            raise ValueError(f"rubric item id {self.id!r} must be 1 to 64 letters, digits, '.', '-' or '_'")
        return self


class WrittenQuestion(BaseModel):
    """A question staff grade by hand; its points count toward its exercise and the sheet's total."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="the question's id: the answer cell's marker and the CSV's column")
    exercise: str = Field(description="the exercise it belongs to")
    points: float = Field(gt=0)
    rubric: tuple[RubricItem, ...] = ()
    title: str = Field("", description="the question's first line, for staff pages")

    @model_validator(mode="after")
    def _consistent(self) -> WrittenQuestion:
        if not QUESTION_ID.match(self.id):
            raise ValueError(f"written question id {self.id!r} must be 1 to 64 letters, digits, '.', '-' or '_'")
        ids = [item.id for item in self.rubric]
        if len(ids) != len(set(ids)):
            raise ValueError(f"written question {self.id!r}: two rubric items share an id")
        if self.rubric and sum(item.points for item in self.rubric) > self.points + 1e-9:
            raise ValueError(f"written question {self.id!r}: its rubric items give more than its "
                             f"{self.points:g} points")
        return self


def question_from_metadata(metadata: dict[str, object], title: str = "") -> WrittenQuestion:
    """The question a written cell's metadata declares (ValueError saying what is wrong)."""
    fields = {k: v for k, v in metadata.items() if k not in ("autograder", "cell_id", "tags")}
    if "question" not in fields:
        raise ValueError("a written cell needs \"question\": \"<id>\" in its +++ line")
    fields["id"] = fields.pop("question")
    try:
        return WrittenQuestion.model_validate({"title": title, **fields})
    except ValidationError as exc:
        raise ValueError(str(exc).replace("\n", " ")) from None


def is_written(metadata: object) -> bool:
    return isinstance(metadata, dict) and str(metadata.get("autograder", "")).split()[:1] == [WRITTEN_DIRECTIVE]


def questions_from_master(path: Path) -> tuple[WrittenQuestion, ...]:
    """Every written question the master declares, in order (ValueError naming the line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ()  # a missing master is `assign`'s error to report
    if WRITTEN_DIRECTIVE not in text:
        return ()
    found: list[WrittenQuestion] = []
    for match in MARKDOWN_METADATA.finditer(text):
        try:
            metadata = json.loads(match.group(1))
        except json.JSONDecodeError:
            continue  # jupytext reports a malformed line when the notebook is built
        if not is_written(metadata):
            continue
        line = text.count("\n", 0, match.start()) + 1
        body = text[match.end():].lstrip("\n").split("\n", 1)[0]
        try:
            found.append(question_from_metadata(metadata, title=re.sub(r"\{\{.*?\}\}|[#*]", "", body).strip()[:120]))
        except ValueError as exc:
            raise ValueError(f"{path}, line {line}: {exc}") from None
    ids = [q.id for q in found]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise ValueError(f"{path}: two written questions have the id {duplicate!r}")
    return tuple(found)


ANSWER_HEADER = "**Your answer:** (question `{id}`, {points:g} {unit}, graded by staff)"
ANSWER_PLACEHOLDER = ("_Write your answer here, in place of this line: a few sentences in your own words. "
                      "Course staff read and grade it; `check()` does not._")


def answer_cell_source(question: WrittenQuestion) -> str:
    """What the student notebook's answer cell holds before the student writes in it."""
    unit = "point" if question.points == 1 else "points"
    return ANSWER_HEADER.format(id=question.id, points=question.points, unit=unit) + "\n\n" + ANSWER_PLACEHOLDER


def answer_header_prefix(question_id: str) -> str:
    """How an answer cell's first line starts, marker or not (a cell copied without its metadata)."""
    return ANSWER_HEADER.split("{id}")[0] + question_id + "`"
