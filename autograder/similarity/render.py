"""The similarity report's renderers: the HTML index and pair pages, the CSV of pairs, the JSON summary.

Everything a student wrote (code, and ids and folder names, which come from file names) is hostile:
HTML gets it escaped (templates ``similarity/*.html`` of :mod:`autograder.pages`, autoescaped), the
CSV gets formula-looking cells defused, the terminal gets it as plain text,
and every renderer's output goes through :func:`autograder.core.submission.clean_text`, so text that no
UTF-8 writer takes (a lone surrogate) can never stop the report for the whole class.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder.core.results import csv_text
from autograder.core.submission import clean_text
from autograder.pages import render
from autograder.similarity.compare import (
    Document,
    PairScore,
    Region,
    Settings,
    flagged_groups,
)

NOTICE = ("Similarity is evidence for a person to weigh, not a verdict: identical code can come from the "
          "lecture, a textbook or a specification that allows one way to write it. Read both sides.")


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def page_name(rank: int) -> str:
    return f"pairs/{rank:04d}.html"  # never a student's name in a path


def index_html(*, title: str, pairs: Sequence[PairScore], shown: int, docs: Sequence[Document],
               left_out: Sequence[tuple[str, str]], settings: Settings, seconds: float) -> str:
    """The index page: the notice, the groups, the best-ranked pairs, what was not compared."""
    left_out = [*left_out, *((doc.own.key, f"compared, but {doc.own.note}") for doc in docs if doc.own.note)]
    return clean_text(render(
        "similarity/index.html", title=title, notice=NOTICE, pairs=pairs, shown=shown, docs=len(docs),
        flagged=sum(p.flagged for p in pairs), groups=flagged_groups(pairs), left_out=left_out,
        settings=settings, common_limit=settings.common_limit(len(docs)), seconds=seconds, page_name=page_name))


def segments(text: str, regions: Sequence[Region]) -> list[tuple[str, Region | None]]:
    """``text`` cut at its shared regions: ``(piece, region)``, ``region`` None between them."""
    out: list[tuple[str, Region | None]] = []
    at = 0
    for region in sorted(regions, key=lambda r: r.start):
        if region.start < at:  # runs never overlap; a defensive clip keeps the text whole
            continue
        out += [(text[at:region.start], None), (text[region.start:region.end], region)]
        at = region.end
    out.append((text[at:], None))
    return out


def lines_in(text: str, regions: Sequence[Region]) -> int:
    """Lines of ``text`` that hold part of a region."""
    touched: set[int] = set()
    for region in regions:
        first = text.count("\n", 0, region.start)
        touched.update(range(first, first + text.count("\n", region.start, region.end) + 1))
    return len(touched)


def pair_html(*, title: str, rank: int, pair: PairScore, a: Document, b: Document,
              regions: tuple[list[Region], list[Region]], made: str, settings: Settings) -> str:
    """One pair side by side, the shared regions marked and linked to their match on the other side."""
    sides = [{"side": side, "other": other, "doc": doc, "share": share, "regions": mine,
              "file": Path(doc.own.source).name, "lines": lines_in(doc.own.text, mine),
              "segments": segments(doc.own.text, mine)}
             for side, other, doc, share, mine in (("a", "b", a, pair.share_a, regions[0]),
                                                   ("b", "a", b, pair.share_b, regions[1]))]
    return clean_text(render("similarity/pair.html", title=title, rank=rank, pair=pair, notice=NOTICE,
                             made=made, settings=settings, sides=sides))


CSV_FIELDS = ("rank", "student_a", "student_b", "a_in_b", "b_in_a", "matched_a", "matched_b", "longest_run",
              "flagged", "page")


def pairs_csv(pairs: Sequence[PairScore], shown: int) -> str:
    rows = ((rank, pair.a, pair.b, f"{pair.share_a:.4f}", f"{pair.share_b:.4f}", pair.matched_a, pair.matched_b,
             pair.longest_run, int(pair.flagged), page_name(rank) if rank <= shown else "")
            for rank, pair in enumerate(pairs, start=1))
    return clean_text(csv_text([CSV_FIELDS, *rows]))  # every cell defused against formula injection


def summary_json(*, sheet: str, pairs: Sequence[PairScore], shown: int, compared: int,
                 left_out: Sequence[tuple[str, str]], settings: Settings, seconds: float) -> str:
    """What ``autograder report`` and the service read back: the figures, not the code."""
    data: dict[str, Any] = {
        "sheet": sheet, "compared": compared, "pairs_sharing_code": len(pairs),
        "flagged": sum(p.flagged for p in pairs), "seconds": round(seconds, 2),
        "settings": {"k": settings.k, "window": settings.window, "threshold": settings.threshold,
                     "min_run": settings.min_run, "common_limit": settings.common_limit(compared)},
        "not_compared": [{"submission": key, "why": why} for key, why in left_out],
        "groups": [{"members": list(g.members), "flagged_pairs": g.pairs, "share": round(g.share, 4),
                    "page": page_name(g.best + 1)} for g in flagged_groups(pairs)],
        "top_pairs": [{"rank": rank, "a": p.a, "b": p.b, "a_in_b": round(p.share_a, 4), "b_in_a": round(p.share_b, 4),
                       "longest_run": p.longest_run, "flagged": p.flagged, "page": page_name(rank)}
                      for rank, p in enumerate(pairs[:shown], start=1)],
    }
    return json.dumps(data, indent=1)


def top_table(pairs: Sequence[PairScore], *, title: str, limit: int = 15) -> Any:
    """The best-ranked pairs as a rich table; ids and labels as plain text (never markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for column, justify in (("#", "right"), ("A", "left"), ("B", "left"), ("A in B", "right"),
                            ("B in A", "right"), ("longest run", "right"), ("", "left")):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for rank, pair in enumerate(pairs[:limit], start=1):
        table.add_row(str(rank), Text(clean_text(pair.a)), Text(clean_text(pair.b)), percent(pair.share_a), percent(pair.share_b),
                      str(pair.longest_run), Text("flagged", style="bold red") if pair.flagged else "")
    return table
