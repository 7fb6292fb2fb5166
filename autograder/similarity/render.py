"""The similarity report's renderers: the HTML index and pair pages, the CSV of pairs, the JSON summary.

Everything a student wrote (code, and ids and folder names, which come from file names) is hostile:
HTML gets it escaped, the CSV gets formula-looking cells defused, the terminal gets it as plain text,
and every renderer's output goes through :func:`autograder.core.submission.clean_text`, so text that no
UTF-8 writer takes (a lone surrogate) can never stop the report for the whole class.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder.core.results import csv_text
from autograder.core.submission import clean_text
from autograder.similarity.compare import (
    Document,
    Group,
    PairScore,
    Region,
    Settings,
    flagged_groups,
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
*{box-sizing:border-box} main{max-width:1400px;margin:0 auto;padding:24px;overflow-wrap:anywhere}
h1{font-size:1.4em} h2{font-size:1.1em}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px;margin:12px 0}
table{border-collapse:collapse;width:100%} td,th{padding:4px 8px;border-bottom:1px solid #eceff3;text-align:left;
font-size:.9em;vertical-align:top} td.num{text-align:right;white-space:nowrap} .flag{color:#a3001b;font-weight:700}
.muted{color:#5b6372} .sides{display:flex;gap:12px} .side{flex:1;min-width:0}
pre{white-space:pre-wrap;word-break:break-all;font-size:.8em;background:#fbfbfc;padding:8px;margin:0}
mark{background:#ffe28a} mark:target{background:#ff9f5a} mark a{color:inherit;text-decoration:none}
"""
NOTICE = ("Similarity is evidence for a person to weigh, not a verdict: identical code can come from the "
          "lecture, a textbook or a specification that allows one way to write it. Read both sides.")


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def page_name(rank: int) -> str:
    return f"pairs/{rank:04d}.html"  # never a student's name in a path


def _shell(title: str, body: str) -> str:
    return clean_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
                      f'<meta name="referrer" content="no-referrer"><style>{CSS}</style></head>'
                      f"<body><main>{body}</main></body></html>")


def index_html(*, title: str, pairs: Sequence[PairScore], shown: int, docs: Sequence[Document],
               left_out: Sequence[tuple[str, str]], settings: Settings, seconds: float) -> str:
    left_out = [*left_out, *((doc.own.key, f"compared, but {doc.own.note}") for doc in docs if doc.own.note)]
    rows = []
    for rank, pair in enumerate(pairs[:shown], start=1):
        rows.append(
            f"<tr><td class=num>{rank}</td><td>{e(pair.a)}</td><td>{e(pair.b)}</td>"
            f"<td class=num>{percent(pair.share_a)}</td><td class=num>{percent(pair.share_b)}</td>"
            f"<td class=num>{pair.longest_run}</td>"
            f"<td class={'flag' if pair.flagged else 'muted'}>{'flagged' if pair.flagged else ''}</td>"
            f'<td><a href="{page_name(rank)}">side by side</a></td></tr>')
    flagged = sum(p.flagged for p in pairs)
    groups = flagged_groups(pairs)
    problems = "".join(f"<tr><td>{e(key)}</td><td>{e(why)}</td></tr>" for key, why in left_out)
    body = [
        f"<h1>{e(title)}</h1>",
        (f'<div class="card"><p><b>{NOTICE}</b></p><p class="muted">{len(docs)} submission(s) with code of '
        f"their own compared, {len(pairs)} pair(s) share some code, {flagged} flagged; {seconds:.1f} s. "
        f"The sheet's own code (given code, stubs, docstrings, check cells) is left out, and so is "
        f"code that more than {settings.common_limit(len(docs))} submissions share. "
        f"<i>A in B</i> is the part of A's own code that is also in B; <i>longest run</i> is the longest "
        f"unbroken shared passage in normalised characters (about 12 per line). Flagged: both shares "
        f"at least {percent(settings.threshold)}, or a run of at least {settings.min_run}.</p></div>"),
        groups_html(groups, pairs),
        f'<h2>Pairs</h2><div class="card"><table><tr><th>#</th><th>A</th><th>B</th><th>A in B</th><th>B in A</th>'
        f"<th>longest run</th><th></th><th></th></tr>{''.join(rows)}</table>"
        + (f'<p class="muted">{len(pairs) - shown} more pair(s) with less in common are in pairs.csv.</p>'
           if len(pairs) > shown else "") + "</div>",
    ]
    if problems:
        body.append(f'<h2>Not compared, or not entirely</h2><div class="card"><table><tr><th>submission</th>'
                    f"<th>why</th></tr>"
                    f"{problems}</table></div>")
    return _shell(title, "".join(body))


def groups_html(groups: Sequence[Group], pairs: Sequence[PairScore]) -> str:
    """The groups of mutually similar submissions, above the pairs: what a TA follows up, one case each."""
    if not groups:
        return '<h2>Groups</h2><div class="card"><p class="muted">No pair is flagged: no group to look at.</p></div>'
    rows = "".join(
        f"<tr><td class=num>{number}</td><td>{e(', '.join(group.members))}</td><td class=num>{len(group.members)}</td>"
        f"<td class=num>{group.pairs}</td><td class=num>{percent(group.share)}</td>"
        f'<td><a href="{page_name(group.best + 1)}">pair #{group.best + 1}: {e(pairs[group.best].a)} and '
        f"{e(pairs[group.best].b)}</a></td></tr>" for number, group in enumerate(groups, start=1))
    return (f'<h2>Groups</h2><div class="card"><p class="muted">{len(groups)} group(s) of submissions linked by '
            "flagged pairs (each shares much code with at least one other in its group): one case to look at "
            "each, not one per pair.</p><table><tr><th>group</th><th>submissions</th><th>size</th>"
            f"<th>flagged pairs</th><th>most shared</th><th>start with</th></tr>{rows}</table></div>")


def _marked(text: str, regions: Sequence[Region], side: str, other: str) -> str:
    out, at = [], 0
    for region in sorted(regions, key=lambda r: r.start):
        if region.start < at:  # runs never overlap; a defensive clip keeps the text whole
            continue
        out.append(e(text[at:region.start]))
        out.append(f'<mark id="{side}{region.number}"><a href="#{other}{region.partner}" '
                   f'title="matches region {region.partner + 1} on the other side">{e(text[region.start:region.end])}'
                   f"</a></mark>")
        at = region.end
    out.append(e(text[at:]))
    return "".join(out)


def lines_in(text: str, regions: Sequence[Region]) -> int:
    """Lines of ``text`` that hold part of a region."""
    touched: set[int] = set()
    for region in regions:
        first = text.count("\n", 0, region.start)
        touched.update(range(first, first + text.count("\n", region.start, region.end) + 1))
    return len(touched)


def pair_html(*, title: str, rank: int, pair: PairScore, a: Document, b: Document,
              regions: tuple[list[Region], list[Region]], made: str, settings: Settings) -> str:
    sides = []
    for side, other, doc, share, mine in (("a", "b", a, pair.share_a, regions[0]), ("b", "a", b, pair.share_b, regions[1])):
        sides.append(
            f'<div class="side card"><h2>{e(doc.own.key)}</h2><p class="muted">{e(Path(doc.own.source).name)} '
            f"(SHA-256 {e(doc.own.sha256)}): "
            f"{percent(share)} of its own code is in the other ({lines_in(doc.own.text, mine)} line(s) in "
            f"{len(mine)} region(s)); its {doc.own.cells} own cell(s) follow, the sheet's cells left out."
            + (f' <a href="#{side}0">first shared passage</a>' if mine else "") + "</p>"
            f"<pre>{_marked(doc.own.text, mine, side, other)}</pre></div>")
    flag = '<span class="flag">flagged</span>' if pair.flagged else "not flagged"
    body = (f'<p><a href="../index.html">all pairs</a></p><h1>#{rank}: {e(pair.a)} and {e(pair.b)}</h1>'
            f'<div class="card"><p><b>{NOTICE}</b></p><p>{flag}; longest unbroken run {pair.longest_run} '
            f"normalised characters. Highlighted: code both have, after names, strings, comments and layout "
            f"are normalised (so renamed copies show too). Click a region to jump to its match.</p>"
            f'<p class="muted">Made {e(made)} by autograder similarity (k={settings.k}, window={settings.window}, '
            f"threshold {percent(settings.threshold)}, run {settings.min_run}).</p></div>"
            f'<div class="sides">{"".join(sides)}</div>')
    return _shell(f"{title}: #{rank}", body)


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
