"""What the API's commands return (the CLI prints them): one frozen record per command that writes files.

The API prints nothing; each record holds what the command wrote and what its command line says about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.outputs.exports import ExportSummary
    from autograder.similarity import SimilarityRun
    from autograder.similarity.compare import Group

__all__ = ["ExportOutcome", "ReportOutcome", "RubricOutcome", "SimilarityOutcome"]


@dataclass(frozen=True)
class RubricOutcome:
    """What ``rubric`` wrote (staff only): ``rubric.md``, whose text is ``text``, and the solutions notebook."""

    rubric: Path
    solutions: Path
    text: str

    @property
    def folder(self) -> Path:
        return self.rubric.parent


@dataclass(frozen=True)
class ReportOutcome:
    """The TA report ``report`` wrote, and how many submissions it shows."""

    path: Path
    submissions: int


@dataclass(frozen=True)
class ExportOutcome:
    """What ``export`` wrote into ``folder`` (``summary``), and the LMS CSV when one was asked for."""

    summary: ExportSummary
    folder: Path
    lms: Path | None = None


@dataclass(frozen=True)
class SimilarityOutcome:
    """``similarity``'s run (pairs, submissions left out, pages under ``run.out``) and its flagged groups."""

    run: SimilarityRun
    groups: tuple[Group, ...]

    @property
    def pairs_csv(self) -> Path:
        return self.run.out / "pairs.csv"
