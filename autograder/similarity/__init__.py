"""Which submissions share code: fingerprints of each one's own code, every pair ranked, shown side by side.

The pipeline, in order: student ids (the same as ``grade``'s) → own code (:mod:`.extract`, the sheet's
notebook left out) → winnowing fingerprints (:mod:`.fingerprint`) → pairs ranked (:mod:`.compare`) →
HTML, CSV and JSON (:mod:`.render`); written answers that are the same text, in ``written.csv``
(:mod:`.answers`). The figures are evidence for staff to weigh, never a verdict.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.core.results import write_text_atomic
from autograder.grading.collect import collect as collect_submissions
from autograder.similarity.answers import write_same_answers
from autograder.similarity.compare import (
    Document,
    PairScore,
    Settings,
    build_documents,
    matching_regions,
    rank_pairs,
)
from autograder.similarity.extract import Boilerplate, OwnCode, extract_own_code
from autograder.similarity.render import index_html, page_name, pair_html, pairs_csv, summary_json

__all__ = ["SUMMARY_FILE", "OwnCode", "PairScore", "Settings", "SimilarityRun", "run_similarity"]

SUMMARY_FILE = "similarity.json"


@dataclass(frozen=True)
class SimilarityRun:
    out: Path
    submissions: list[OwnCode]
    compared: frozenset[str]  # keys of the submissions that had own code to compare
    pairs: list[PairScore]
    shown: int
    seconds: float

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    @property
    def flagged(self) -> list[PairScore]:
        return [pair for pair in self.pairs if pair.flagged]

    @property
    def left_out(self) -> list[tuple[str, str]]:
        """Submissions not compared, and why (not a submission, or no code of their own)."""
        return [(own.key, own.problem or ("no code of its own: every code cell is the sheet's" if not own.text
                                          else "too little code of its own once the sheet's and common code are left out"))
                for own in self.submissions if own.key not in self.compared]


def student_files(paths: Sequence[Path], *, sheet: str, notebook: str) -> list[tuple[str, Path | str]]:
    """``(student id, file)`` for each submission in ``paths``, with ``grade``'s ids; or ``(id, why)`` for
    one that cannot be compared: a folder with nothing to grade, or an id several submissions share
    (a pair between two students' files under one id would mislead; everyone else is compared)."""
    found = collect_submissions(paths, sheet=sheet, notebook=notebook)
    named: list[tuple[str, Path | str]] = [(entry.student_id, entry.path or entry.problem) for entry in found.found]
    return named + [(sid, f"not compared: {why}") for sid, why in found.refused_ids.items()]


def collect(*, submissions: Sequence[Path] | Mapping[str, Path], archives: Sequence[Path],
            boilerplate: Boilerplate, max_bytes: int, sheet: str | None, notebook: str = "") -> list[OwnCode]:
    """The class and each archive, as its own cohort. Ids are ``grade``'s (duplicates left out, with the
    reason), unless ``submissions`` maps ids to files already (the service: hub user names)."""
    named = submissions.items() if isinstance(submissions, Mapping) else student_files(
        submissions, sheet=sheet or "", notebook=notebook)
    owns = [_own(sid, path, cohort="", boilerplate=boilerplate, max_bytes=max_bytes, sheet=sheet)
            for sid, path in named]
    labels: set[str] = set()
    for archive in archives:
        cohort = archive.resolve().name or "archive"
        while cohort in labels:
            cohort += "+"
        labels.add(cohort)
        owns += [_own(sid, path, cohort=cohort, boilerplate=boilerplate, max_bytes=max_bytes, sheet=None)
                 for sid, path in student_files([archive], sheet=sheet or "", notebook=notebook)]
    return owns


def _own(sid: str, path: Path | str, *, cohort: str, boilerplate: Boilerplate, max_bytes: int,
         sheet: str | None) -> OwnCode:
    if isinstance(path, str):  # why there is nothing to compare
        return OwnCode(student_id=sid, cohort=cohort, source="", problem=path)
    return extract_own_code(path, student_id=sid, cohort=cohort, boilerplate=boilerplate, max_bytes=max_bytes,
                            sheet=sheet)


def run_similarity(*, notebook: Path, submissions: Sequence[Path] | Mapping[str, Path], out: Path, archives: Sequence[Path] = (),
                   settings: Settings | None = None, max_bytes: int = 40 << 20, sheet: str | None = None,
                   title: str = "Similarity", show: int = 100) -> SimilarityRun:
    """Compare every pair and write ``out``/index.html, pairs/NNNN.html, pairs.csv and similarity.json.

    ``notebook`` is the sheet's student notebook: its code is everybody's and counts for no one.
    ``submissions``: files and folders (ids as ``grade`` derives them), or ``{student id: file}``.
    Archived submissions (earlier semesters) are compared with the class, not with each other.
    Submissions that share an id are left out (listed with the reason); the rest are compared.
    Raises BatchRefused for a path that does not exist.
    """
    settings = settings or Settings()
    started = time.monotonic()
    boilerplate = Boilerplate.from_notebook(notebook)
    owns = collect(submissions=submissions, archives=archives, boilerplate=boilerplate, max_bytes=max_bytes,
                   sheet=sheet, notebook=notebook.name)
    docs = build_documents(owns, boilerplate.text, settings)
    pairs = rank_pairs(docs, settings)
    shown = max(min(len(pairs), show), sum(p.flagged for p in pairs))
    run = SimilarityRun(out, owns, frozenset(doc.own.key for doc in docs), pairs, shown, time.monotonic() - started)
    write_outputs(run, docs, settings, title=title, sheet=sheet or "")
    write_same_answers(out, owns, max_bytes=max_bytes)  # written answers: the same text, in written.csv
    return run


def write_outputs(run: SimilarityRun, docs: Sequence[Document], settings: Settings, *, title: str, sheet: str) -> None:
    by_key = {doc.own.key: doc for doc in docs}
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (run.out / "pairs").mkdir(parents=True, exist_ok=True)
    for stale in (run.out / "pairs").glob("*.html"):  # a previous run's pages must not pass for this one's
        stale.unlink()
    for rank, pair in enumerate(run.pairs[: run.shown], start=1):
        a, b = by_key[pair.a], by_key[pair.b]
        page = pair_html(title=title, rank=rank, pair=pair, a=a, b=b, regions=matching_regions(a, b, settings),
                         made=made, settings=settings)
        (run.out / page_name(rank)).write_text(page, encoding="utf-8")
    write_text_atomic(run.out / "pairs.csv", pairs_csv(run.pairs, run.shown))
    write_text_atomic(run.index, index_html(title=title, pairs=run.pairs, shown=run.shown, docs=docs,
                                            left_out=run.left_out, settings=settings, seconds=run.seconds))
    write_text_atomic(run.out / SUMMARY_FILE, summary_json(
        sheet=sheet, pairs=run.pairs, shown=run.shown, compared=len(docs), left_out=run.left_out,
        settings=settings, seconds=run.seconds))
