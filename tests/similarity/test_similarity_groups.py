"""Groups of mutually similar submissions above the pair list (issue 22, item 13).

Four copies of one solution are six flagged pairs but one case for a TA: the index shows the
connected components of the flagged pairs first, and similarity.json carries them for the service.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import similarity_corpus as corpus

from autograder.similarity import SimilarityRun, run_similarity
from autograder.similarity.compare import PairScore, flagged_groups


def pair(a: str, b: str, flagged: bool, share: float = 0.9) -> PairScore:
    return PairScore(a, b, share, share, 500, 500, 300 if flagged else 10, flagged)


def test_two_groups_of_copies_are_two_groups_not_twelve_pairs() -> None:
    first, second = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    pairs = [pair(x, y, True) for group in (first, second) for i, x in enumerate(group) for y in group[i + 1:]]
    pairs += [pair(x, y, False, 0.1) for x in first for y in second]  # some shared code, not flagged
    pairs.append(pair("c1", "c2", False, 0.3))
    groups = flagged_groups(pairs)
    assert [g.members for g in groups] == [tuple(first), tuple(second)]
    assert [g.pairs for g in groups] == [6, 6] and all(pairs[g.best].flagged for g in groups)


def test_a_chain_of_copies_is_one_group_with_its_best_pair() -> None:
    pairs = [pair("x", "y", True, 0.95), pair("y", "z", True, 0.7), pair("p", "q", True, 0.6), pair("x", "p", False)]
    groups = flagged_groups(pairs)
    assert [g.members for g in groups] == [("x", "y", "z"), ("p", "q")]
    assert groups[0].best == 0 and groups[0].share == pytest.approx(0.95) and groups[1].best == 2


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SimilarityRun:
    built = corpus.build(tmp_path_factory.mktemp("groups") / "class")
    folder = next(iter(built.values())).parent
    return run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path_factory.mktemp("out"),
                          sheet="sheet_3_2")


def test_the_corpus_copies_are_one_group_shown_above_the_pairs(run: SimilarityRun) -> None:
    copies = {"alice", "copy_verbatim", "copy_disguised", "copy_one_function", f"alt_{corpus.TAKER.stem}"}
    # besides the copies, only alternatives that are one recipe at other settings group together
    groups = [g for g in flagged_groups(run.pairs) if not corpus.one_recipe(*g.members)]
    assert len(groups) == 1 and set(groups[0].members) == copies, groups
    page = run.index.read_text()
    assert page.index("<h2>Groups</h2>") < page.index("<h2>Pairs</h2>")
    assert ", ".join(sorted(copies)) in page
    summary = json.loads((run.out / "similarity.json").read_text())
    found = [g for g in summary["groups"] if not corpus.one_recipe(*g["members"])]
    assert [set(g["members"]) for g in found] == [copies]
    assert (run.out / found[0]["page"]).is_file()


def test_a_missing_path_says_nothing_was_compared(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "autograder"
    done = subprocess.run([str(exe), "similarity", "sheet_3_2", str(tmp_path / "nothing-here"), "--out",
                           str(tmp_path / "out")], cwd=corpus.ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 3, done.stderr
    assert "nothing was compared" in done.stderr and "graded" not in done.stderr, done.stderr
