"""Written answers in the similarity report: students whose answers to one question are the same text.

Prose is not code: the code fingerprints (:mod:`.fingerprint`) would make every sentence look alike.
Here an answer counts as the same as another when both read the same once case, punctuation and
whitespace are set aside (a copy with a changed line break or comma is still found; a paraphrase is
not). Answers shorter than :data:`MIN_WORDS` words are left out (one-word answers agree by nature).
The result is ``written.csv`` next to ``pairs.csv``: question, how many students, their ids, the text.
Only parses the notebooks (:func:`autograder.core.submission.load_submission`); nothing runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from autograder.core.errors import SubmissionError
from autograder.core.results import csv_text, write_text_atomic
from autograder.core.submission import load_submission
from autograder.grades.written import answer_text
from autograder.similarity.extract import OwnCode

MIN_WORDS = 8
WRITTEN_FILE = "written.csv"
_NOT_WORD = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def same_answers(owns: Iterable[OwnCode], *, max_bytes: int) -> list[tuple[str, list[str], str]]:
    """``(question, student keys, text)`` for every answer two or more submissions share, largest groups first."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for own in owns:
        if own.problem:
            continue
        try:
            loaded = load_submission(Path(own.source), max_bytes=max_bytes)
        except SubmissionError:
            continue
        for question in dict.fromkeys(cell.question for cell in loaded.answers):
            text = answer_text(loaded.answers, question)
            key = _key(text)
            if len(key.split()) >= MIN_WORDS:
                groups.setdefault((question, key), []).append((own.key, text))
    shared = [(question, sorted(k for k, _ in members), members[0][1])
              for (question, _), members in groups.items() if len({k for k, _ in members}) > 1]
    return sorted(shared, key=lambda g: (-len(g[1]), g[0], g[1]))


def write_same_answers(out: Path, owns: Iterable[OwnCode], *, max_bytes: int) -> list[tuple[str, list[str], str]]:
    shared = same_answers(owns, max_bytes=max_bytes)
    rows: list[list[object]] = [["question", "students", "ids", "answer"]]
    rows += [[question, len(keys), " ".join(keys), text[:2000]] for question, keys, text in shared]
    write_text_atomic(out / WRITTEN_FILE, csv_text(rows))
    return shared
