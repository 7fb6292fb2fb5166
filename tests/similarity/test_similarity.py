"""``autograder similarity``: copies found through disguise, independent work left alone, hostile input defused.

One run over the corpus of :mod:`corpus` (examples/ and tests/alternatives/, however many there are)
is shared by most tests; it takes about a second.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import similarity_corpus as corpus
from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.errors import BatchRefused
from autograder.grading.batch import plan
from autograder.similarity import SimilarityRun, run_similarity
from autograder.similarity.fingerprint import kgram_hashes, normalise_code

CONFIG = corpus.ROOT / "course_config.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return corpus.build(tmp_path_factory.mktemp("similarity") / "class")


@pytest.fixture(scope="module")
def run(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> SimilarityRun:
    folder = next(iter(built.values())).parent
    return run_similarity(notebook=corpus.NOTEBOOK, submissions=[folder], out=tmp_path_factory.mktemp("sim_out"),
                          sheet="sheet_3_2")


def ranks(run: SimilarityRun) -> dict[tuple[str, str], int]:
    return {tuple(sorted((p.a, p.b))): rank for rank, p in enumerate(run.pairs)}  # type: ignore[misc]


def made_copies() -> list[tuple[str, str]]:
    """Each copy against its source (pairs of two copies of one source are copies too, but weaker ones)."""
    return [("alice", "copy_disguised"), ("alice", "copy_one_function"), ("alice", "copy_verbatim"),
            (f"alt_{corpus.TAKER.stem}", "copy_one_function")]


def test_the_disguised_copy_is_really_disguised(built: dict[str, Path]) -> None:
    own = "".join(corpus.code_cells(built["copy_disguised"])[len(corpus.code_cells(corpus.NOTEBOOK)):])
    for name in ("make_extractive_example", "best_span", "CharLSTM", "answer_key", "max_answer_len"):
        assert name not in own
    original = "".join(corpus.own_cells_of_complete())
    for first, later in (("GPT2ForTokenClassification", "ABCDEFGHIJ"), ("3.2.1.1", "3.2.3.2")):
        if first in original and later in original:  # strings are not renamed: they show the order
            assert original.index(first) < original.index(later) and own.index(first) > own.index(later)
    assert "#" in own and "  " in own  # comments and indentation redone too


def test_copies_rank_above_every_independent_pair(run: SimilarityRun, built: dict[str, Path]) -> None:
    rank = ranks(run)
    independent = corpus.independent(list(built))
    assert len(independent) >= 10
    worst_copy = max(rank[pair] for pair in made_copies())
    shared = [rank[pair] for pair in independent if pair in rank]
    assert shared, "independent solutions of one sheet share some code (the test would be vacuous)"
    assert worst_copy < min(shared), [(p, rank.get(p)) for p in independent]


def test_every_copy_is_flagged_and_no_independent_pair(run: SimilarityRun, built: dict[str, Path]) -> None:
    flagged = {tuple(sorted((p.a, p.b))) for p in run.flagged}
    assert set(made_copies()) <= flagged
    assert not flagged & set(corpus.independent(list(built)))


def test_both_figures_tell_who_holds_the_copied_function(run: SimilarityRun) -> None:
    pair = next(p for p in run.pairs if {p.a, p.b} == {"alice", "copy_one_function"})
    alice, copier = (pair.share_a, pair.share_b) if pair.a == "alice" else (pair.share_b, pair.share_a)
    assert alice < 0.2 < copier  # one function is a small part of alice's work, a large part of the other's
    verbatim = next(p for p in run.pairs if {p.a, p.b} == {"alice", "copy_verbatim"})
    assert verbatim.share_a == verbatim.share_b == 1.0


def test_untouched_notebook_has_no_own_code_and_matches_nothing(tmp_path: Path) -> None:
    for name in ("one", "two"):
        shutil.copyfile(corpus.NOTEBOOK, tmp_path / f"{name}.ipynb")
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path / "one.ipynb", tmp_path / "two.ipynb"],
                            out=tmp_path / "out", sheet="sheet_3_2")
    assert result.pairs == [] and not result.compared
    assert [key for key, why in result.left_out if "no code of its own" in why] == ["one", "two"]
    index = (tmp_path / "out" / "index.html").read_text()
    assert "no code of its own" in index and "flagged" not in re.sub(r"<p.*?</p>", "", index, flags=re.DOTALL)


def test_bad_submissions_are_listed_not_fatal(run: SimilarityRun) -> None:
    why = dict(run.left_out)
    assert "empty" in why["empty"]
    assert "not valid JSON" in why["truncated"]
    assert "binary" in why["binary"]
    assert "no code of its own" in why["only_markdown"] and "no code of its own" in why["untouched"]
    index = (run.out / "index.html").read_text()
    assert all(key in index for key in why)


def test_code_that_does_not_parse_is_still_compared(tmp_path: Path) -> None:
    broken = "def f(x:\n    return [x for x in range(10) if x %% 2 ==\n" * 20 + "\x0c\t)))"
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text(broken)
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path / "a.py", tmp_path / "b.py"],
                            out=tmp_path / "out", sheet="sheet_3_2")
    assert [(p.a, p.b, p.flagged) for p in result.pairs] == [("a", "b", True)]


HOSTILE = '''
def steal(x):
    """</pre><script>alert("docstring")</script>"""
    payload = "<img src=x onerror=alert(1)>"  # </mark><a href="javascript:alert(2)">
    total = 0
    for i in range(x):
        total += i * i - (i << 2) + len(payload)
        if total > 1000:
            total //= 3
    return total, [payload for _ in range(3)], {"k": payload}
'''


def test_student_text_is_escaped_and_csv_cells_defused(tmp_path: Path) -> None:
    now, archive = tmp_path / "now", tmp_path / '=HYPERLINK("x")<b>'
    now.mkdir()
    archive.mkdir()
    for name in ("-2+3", "@SUM(1)", "plain"):
        (now / f"{name}.py").write_text(HOSTILE)
    (archive / "+cmd.py").write_text(HOSTILE)
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[now], archives=[archive], out=tmp_path / "out",
                            sheet="sheet_3_2")
    assert len(result.pairs) == 6 and all(p.flagged for p in result.pairs)
    pages = [result.index, *sorted((tmp_path / "out" / "pairs").glob("*.html"))]
    assert len(pages) == 7
    for page in pages:
        text = page.read_text()
        assert not re.search(r"<script|<img|\)<b>|href=\"javascript:", text, flags=re.IGNORECASE), page
    assert "&lt;script&gt;alert(&quot;docstring&quot;)&lt;/script&gt;" in pages[1].read_text()
    rows = list(csv.DictReader((tmp_path / "out" / "pairs.csv").open()))
    cells = {row[column] for row in rows for column in ("student_a", "student_b")}
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    defused = {cell[1:] for cell in cells if cell.startswith("'")}
    from autograder.grading.collect import safe_id  # ids as grade makes them

    assert defused == {safe_id("-2+3"), safe_id("@SUM(1)"), '=HYPERLINK("x")<b>/' + safe_id("+cmd")}


def test_regions_link_to_each_other(run: SimilarityRun, built: dict[str, Path]) -> None:
    rank = next(i for i, p in enumerate(run.pairs, 1) if {p.a, p.b} == {"alice", "copy_one_function"})
    page = (run.out / "pairs" / f"{rank:04d}.html").read_text()
    ids = set(re.findall(r'<mark id="([ab]\d+)"', page))
    links = re.findall(r'<mark id="([ab])\d+"><a href="#([ab]\d+)"', page)
    assert links and all(target in ids and target[0] != side for side, target in links)
    marked = "".join(re.findall(r"<mark [^>]*><a [^>]*>(.*?)</a></mark>", page, flags=re.DOTALL))
    assert marked.count("def make_extractive_example") == 2  # the copied function, highlighted on both sides
    for student in ("alice", "copy_one_function"):  # what a case cites: the very files compared
        assert f"SHA-256 {hashlib.sha256(built[student].read_bytes()).hexdigest()}" in page


def test_ids_are_grades_ids(tmp_path: Path) -> None:
    """nbgrader's submitted/<student>/<assignment>/ layout gives the student, as for ``grade``."""
    for student in ("jdoe", "asmith"):
        folder = tmp_path / "submitted" / student / "sheet_3_2"
        folder.mkdir(parents=True)
        shutil.copyfile(corpus.COMPLETE, folder / "sheet_3_2.ipynb")
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path / "submitted"], out=tmp_path / "out",
                            sheet="sheet_3_2")
    assert [(p.a, p.b) for p in result.pairs] == [("asmith", "jdoe")]
    from autograder.core.config import load_config

    items, _ = plan([tmp_path / "submitted"], sheet=load_config(CONFIG).sheet("sheet_3_2"))
    assert {o.student_id for o in result.submissions} == {item.student_id for item in items} == {"asmith", "jdoe"}


def test_two_files_with_one_id_are_left_out_with_the_reason(tmp_path: Path) -> None:
    shutil.copyfile(corpus.COMPLETE, tmp_path / "bob.ipynb")
    (tmp_path / "bob.py").write_text(HOSTILE)
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path], out=tmp_path / "out")
    assert not result.pairs and "student id 'bob'" in dict(result.left_out)["bob"]
    with pytest.raises(BatchRefused, match="does not exist"):
        run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path / "nope"], out=tmp_path / "out")


def test_archive_pairs_involve_the_current_class_only(built: dict[str, Path], tmp_path: Path) -> None:
    now, old = tmp_path / "now", tmp_path / "2025"
    now.mkdir()
    old.mkdir()
    shutil.copyfile(built["alt_" + corpus.TAKER.stem], now / "carol.ipynb")
    shutil.copyfile(built["copy_one_function"], now / "dave.ipynb")
    shutil.copyfile(built["alice"], old / "alice.ipynb")
    shutil.copyfile(built["copy_disguised"], old / "old_copy.ipynb")  # archived pair: not reported
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[now], archives=[old], out=tmp_path / "out",
                            sheet="sheet_3_2")
    pairs = {(p.a, p.b): p for p in result.pairs}
    assert ("carol", "dave") in pairs and pairs[("carol", "dave")].flagged
    assert pairs[("dave", "2025/alice")].flagged  # the current student on the left, the archive labelled
    assert all(not (a.startswith("2025/") and b.startswith("2025/")) for a, b in pairs)


def test_fingerprints_are_the_same_in_every_process() -> None:
    """Python's str hash is salted per process (copydetect's choice); ours must not be, or figures drift."""
    text = normalise_code("".join(corpus.own_cells_of_complete())).text
    here = kgram_hashes(text, 25)
    code = ("import sys; from autograder.similarity.fingerprint import kgram_hashes, normalise_code; "
            "sys.stdout.write(kgram_hashes(sys.stdin.read(), 25).tobytes().hex())")
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # another salt than this process's
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(corpus.ROOT)}
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env,
                         check=True).stdout
    assert bytes.fromhex(out) == here.tobytes()
    assert len(set(here.tolist())) > 0.9 * len(here)


def test_highlights_land_on_the_code_they_stand_for() -> None:
    code = "class Model(nn.Module):\n    # a comment\n    def forward(self, x):\n        return self.layer(x) + 1\n"
    normalised = normalise_code(code)
    assert normalised.text == "classO(V.V):defF(self,V):returnself.V(V)+1"
    at = normalised.text.index("returnself")
    start, end = normalised.raw_span(at, len(normalised.text))
    assert code[start:end] == "return self.layer(x) + 1"
    at = normalised.text.index("O(V.V)")  # copydetect's offset table is wrong right at a class name
    start, end = normalised.raw_span(at, at + len("O(V.V)"))
    assert code[start:end] == "Model(nn.Module)"


def test_command_writes_the_report_and_checks_its_threshold(built: dict[str, Path], tmp_path: Path) -> None:
    folder = next(iter(built.values())).parent
    out = tmp_path / "sim"
    done = CliRunner().invoke(app, ["similarity", "sheet_3_2", str(folder), "--out", str(out),
                                    "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    assert "copy_verbatim" in done.output and "flagged" in done.output
    summary = json.loads((out / "similarity.json").read_text())
    assert summary["top_pairs"][0]["flagged"] and (out / summary["top_pairs"][0]["page"]).is_file()
    bad = CliRunner().invoke(app, ["similarity", "sheet_3_2", str(folder), "--out", str(out), "--threshold", "7",
                                   "--config", str(CONFIG)])
    assert bad.exit_code == 2 and "threshold" in bad.output


def test_ta_report_shows_the_top_pairs_and_links_the_full_page(run: SimilarityRun, tmp_path: Path) -> None:
    from autograder.core.config import load_config
    from autograder.core.results import SubmissionResult
    from autograder.outputs.report import write_report

    sheet = load_config(CONFIG).sheet("sheet_3_2")
    results = [SubmissionResult.crashed(student_id=o.student_id, sheet="sheet_3_2", submission=Path(o.source).name,
                                        message="not graded here", max_score=100) for o in run.submissions]
    page = write_report(results, sheet, tmp_path / "site" / "report.html", similarity_dir=run.out)
    text = page.read_text()
    section = text[text.index("<h2>Similarity</h2>"):]
    assert "not a verdict" in section and section.count("<tr>") == 11  # header and the top ten
    hrefs = re.findall(r'href="([^"]+)"', section)
    assert len(hrefs) == 11 and all((page.parent / href).resolve().is_file() for href in hrefs)
    first = run.pairs[0]
    assert re.search(rf"<td>{re.escape(first.a)}</td><td>{re.escape(first.b)}</td>", section)
    plain = write_report(results, sheet, tmp_path / "plain.html", similarity_dir=tmp_path / "none").read_text()
    assert "<h2>Similarity</h2>" not in plain


def test_ta_report_ignores_links_it_did_not_write(run: SimilarityRun, tmp_path: Path) -> None:
    from autograder.core.config import load_config
    from autograder.outputs.report import write_report

    folder = tmp_path / "similarity"
    shutil.copytree(run.out, folder)
    data = json.loads((folder / "similarity.json").read_text())
    data["top_pairs"][0].update(page="javascript:alert(1)", a="<script>x</script>")
    (folder / "similarity.json").write_text(json.dumps(data))
    sheet = load_config(CONFIG).sheet("sheet_3_2")
    text = write_report([], sheet, tmp_path / "report.html", similarity_dir=folder).read_text()
    assert "javascript:" not in text and "<script>x" not in text and "&lt;script&gt;x" in text
    (folder / "similarity.json").write_text("{not json")
    assert "could not be read" in write_report([], sheet, tmp_path / "r2.html", similarity_dir=folder).read_text()


def test_padding_is_cut_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.similarity import extract

    monkeypatch.setattr(extract, "MAX_OWN_CHARS", 3000)
    for name in ("a", "b"):
        shutil.copyfile(corpus.COMPLETE, tmp_path / f"{name}.ipynb")
    result = run_similarity(notebook=corpus.NOTEBOOK, submissions=[tmp_path], out=tmp_path / "out", sheet="sheet_3_2")
    assert all(0 < len(own.text) <= 3000 + 200 and "were compared" in own.note for own in result.submissions)
    assert [(p.a, p.b, p.flagged) for p in result.pairs] == [("a", "b", True)]
    assert "only the first" in (tmp_path / "out" / "index.html").read_text()


def test_a_missing_sheet_notebook_is_a_configuration_error(tmp_path: Path) -> None:
    from autograder.core.errors import ConfigError

    with pytest.raises(ConfigError, match="assignment_dir"):
        run_similarity(notebook=tmp_path / "missing.ipynb", submissions=[corpus.COMPLETE], out=tmp_path / "out")
