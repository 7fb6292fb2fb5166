"""Issue 19, items 4, 6, 7, 8, 9 and 14: what a student's files and names can do to a batch.

A small class on the toy course, graded twice (times by default, then with ``--trust-mtime``); the
collection-level checks need no grading.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from autograder.core.config import CourseConfig, load_config
from autograder.core.errors import UsageError
from autograder.grades.late import read_submission_times
from autograder.grading.batch import BatchSummary, grade_batch
from autograder.grading.collect import HASH_HEX, MAX_DEPTH, SubmissionTimes, collect, safe_id
from autograder.grading.lookalike import look_alike_warnings

TOY = Path(__file__).resolve().parents[1] / "toy_course"
CONFIG_FILE = TOY / "course_config.py"
CORRECT = (TOY / "submissions" / "correct.py").read_text()
WRONG = (TOY / "submissions" / "wrong.py").read_text()  # 8 of 10
DEADLINE = dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)
FOUR_DAYS_LATE = (DEADLINE + dt.timedelta(days=3, hours=12)).timestamp()
YEAR_11476 = 299_999_999_999  # seconds: a time pax tar keeps on tmpfs, XFS or btrfs


def _put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _config() -> CourseConfig:
    config = load_config(CONFIG_FILE)
    sheet = config.sheets["toy"].model_copy(update={"deadline": DEADLINE, "late_penalty": "per_day",
                                                    "late_penalty_per_day": 0.1})
    return config.model_copy(update={"sheets": {"toy": sheet}})


@dataclass
class Graded:
    root: Path
    summary: BatchSummary
    out: Path

    def result(self, student: str) -> dict:
        return json.loads((self.out / f"{student}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory: pytest.TempPathFactory, deep_folders: Any) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("class")
    sub = root / "submitted"
    _put(sub / "bob" / "toy" / "toy.py", CORRECT)
    # item 6: alice hands in a link to bob's file (inside the folder the TA named, outside her own)
    (sub / "alice" / "toy").mkdir(parents=True)
    (sub / "alice" / "toy" / "toy.py").symlink_to(Path("..", "..", "bob", "toy", "toy.py"))
    _put(sub / "carl" / "toy" / "work" / "toy.py", CORRECT)  # a link inside one's own folder still counts
    (sub / "carl" / "toy" / "toy.py").symlink_to(Path("work", "toy.py"))
    # item 4: one folder nested 1000 deep
    _put(sub / "deep" / "toy" / "toy.py", CORRECT)
    deep_folders.make(sub / "deep" / "toy", 1000)
    # item 9: no timestamp.txt, the file's time says four days late (the student controls it either way)
    os.utime(_put(sub / "mtime" / "toy" / "toy.py", CORRECT), (FOUR_DAYS_LATE, FOUR_DAYS_LATE))
    _put(sub / "stamped" / "toy" / "toy.py", CORRECT)
    _put(sub / "stamped" / "toy" / "timestamp.txt", "2026-12-12 12:00:00.000000 UTC")  # two days late
    # item 14: look-alike ids
    _put(sub / "Bob" / "toy" / "toy.py", WRONG)
    _put(sub / "\u0430lice" / "toy" / "toy.py", WRONG)  # Cyrillic а
    yield root
    deep_folders.remove(sub / "deep" / "toy" / "d")


def _grade(root: Path, out: Path, times: SubmissionTimes | None = None) -> Graded:
    summary = grade_batch(config=_config(), sheet="toy", paths=[root], out_dir=out, jobs=1, device="cpu",
                          config_file=CONFIG_FILE, times=times)
    return Graded(root, summary, out)


@pytest.fixture(scope="module")
def graded(hostile_class: Path) -> Graded:
    return _grade(hostile_class, hostile_class.parent / "out")


@pytest.fixture(scope="module")
def trusted(hostile_class: Path) -> Graded:
    return _grade(hostile_class / "submitted" / "mtime", hostile_class.parent / "out-trusted",
                  SubmissionTimes(trust_mtime=True))


def test_a_link_to_a_classmates_notebook_is_not_graded_as_ones_own(graded: Graded) -> None:
    alice = graded.result("alice")
    assert alice["gradable"] is False and alice["raw_score"] == 0
    assert "a link out of the folder" in alice["format_errors"]
    assert graded.result("bob")["raw_score"] == 10
    assert graded.result("carl")["raw_score"] == 10  # a link that stays inside the submission


def test_a_submission_folder_that_links_to_a_classmates_is_not_graded(tmp_path: Path) -> None:
    _put(tmp_path / "class" / "bob" / "toy.py", CORRECT)
    (tmp_path / "class" / "alice").symlink_to("bob")
    _put(tmp_path / "nb" / "submitted" / "bob" / "toy" / "toy.py", CORRECT)
    (tmp_path / "nb" / "submitted" / "alice").symlink_to("bob")
    for root in (tmp_path / "class", tmp_path / "nb"):
        found = {f.student_id: f for f in collect([root], sheet="toy", notebook="toy.ipynb").found}
        assert found["bob"].path is not None
        assert found["alice"].path is None and "is a link" in found["alice"].problem


def test_a_folder_nested_1000_deep_is_not_gradable_and_the_rest_are_graded(graded: Graded) -> None:
    deep = graded.result("deep")
    assert deep["gradable"] is False and f"more than {MAX_DEPTH} levels" in deep["format_errors"]
    assert not graded.summary.missing
    assert {"bob", "carl", "mtime", "stamped"} <= {r.student_id for r in graded.summary.results}


def test_the_files_modification_time_never_decides_lateness_by_default(graded: Graded) -> None:
    mtime = graded.result("mtime")
    assert mtime["submitted_at"] is None and mtime["late_penalty"] == 0
    assert mtime["extra_data"]["submitted_at_source"] == "unknown"
    stamped = graded.result("stamped")
    assert stamped["extra_data"]["submitted_at_source"] == "timestamp.txt"
    assert stamped["late_penalty"] == pytest.approx(10 * 2 * 0.1)


def test_trust_mtime_takes_the_files_time_and_says_so(trusted: Graded) -> None:
    mtime = trusted.result("mtime")
    assert mtime["extra_data"]["submitted_at_source"] == "mtime"
    assert mtime["late_penalty"] == pytest.approx(10 * 4 * 0.1)


@pytest.fixture
def far_future_class() -> Iterator[Path]:
    """A class on tmpfs (``/dev/shm``), which keeps a time past year 9999; ext4 clamps it to 2446."""
    shm = Path("/dev/shm")
    if not os.access(shm, os.W_OK):
        pytest.skip("no tmpfs at /dev/shm: no file system here keeps a time past year 9999")
    root = Path(tempfile.mkdtemp(dir=shm, prefix="far-future-"))
    try:
        future = _put(root / "future.py", CORRECT)
        os.utime(future, (YEAR_11476, YEAR_11476))
        if future.stat().st_mtime != YEAR_11476:
            pytest.skip("/dev/shm clamps file times: no file system here keeps a time past year 9999")
        _put(root / "bob.py", CORRECT)
        yield root
    finally:
        shutil.rmtree(root)


def test_a_time_past_year_9999_is_unknown_not_a_crash(far_future_class: Path, tmp_path: Path) -> None:
    graded = _grade(far_future_class, tmp_path / "out", SubmissionTimes(trust_mtime=True))
    future = graded.result("future")
    assert future["raw_score"] == 10 and future["submitted_at"] is None
    assert future["extra_data"]["submitted_at_source"] == "unknown"
    assert graded.result("bob")["extra_data"]["submitted_at_source"] == "mtime"


def test_an_unusable_file_time_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading.collect import file_time

    path = _put(tmp_path / "x.py", CORRECT)
    real = os.stat_result

    def far(self: Path, **_kw: object) -> os.stat_result:
        values = list(os.lstat(str(self)))
        values[8] = YEAR_11476  # st_mtime
        return real(values)

    monkeypatch.setattr(Path, "stat", far)
    assert file_time(path) is None


def test_look_alike_ids_are_graded_apart_and_the_ta_is_warned(graded: Graded) -> None:
    assert (graded.result("Bob")["raw_score"], graded.result("bob")["raw_score"]) == (8, 10)
    warnings = " | ".join(graded.summary.warnings)
    assert "'Bob'" not in warnings and "Bob (Latin), bob (Latin) differ only by case" in warnings
    assert "alice (Latin), \u0430lice (Cyrillic+Latin) differ only by case or by letters that look alike" in warnings
    assert len(graded.summary.warnings) == 2


def test_look_alike_warnings_leave_different_names_alone() -> None:
    assert look_alike_warnings(["müller", "möller", "anna", "ann", "zoë"]) == []
    assert len(look_alike_warnings(["ＡＬＩＣＥ", "alice"])) == 1  # full-width letters
    assert len(look_alike_warnings(["rnary", "mary"])) == 1


# ------------------------------------------------------------------ item 9: the TA's table


def test_the_submitted_at_table_comes_first(hostile_class: Path, tmp_path: Path) -> None:
    table = _put(tmp_path / "times.csv", "student_id,submitted_at\nmtime,2026-12-09T10:00:00+00:00\n"
                                         "stamped,2026-12-10 11:00:00 UTC\n")
    times = SubmissionTimes(table=read_submission_times(table))
    found = {f.student_id: f for f in collect([hostile_class], sheet="toy", notebook="toy.ipynb", times=times).found}
    assert found["mtime"].submission_time() == (dt.datetime(2026, 12, 9, 10, tzinfo=dt.UTC), "submitted-at file")
    assert found["stamped"].submission_time()[1] == "submitted-at file"
    assert found["bob"].submission_time() == (None, "unknown")


def test_a_bad_submitted_at_row_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="line 2"):
        read_submission_times(_put(tmp_path / "t.csv", "alice,2026-12-09T10:00:00\nbob,yesterday\n"))


def test_grade_takes_submitted_at_and_trust_mtime(tmp_path: Path) -> None:
    from autograder.cli.main import app

    os.utime(_put(tmp_path / "class" / "late.py", CORRECT), (FOUR_DAYS_LATE, FOUR_DAYS_LATE))
    table = _put(tmp_path / "t.csv", "late,2026-12-11T13:00:00Z\n")
    answer = CliRunner().invoke(app, ["grade", "toy", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                                      "--submitted-at", str(table), "--quiet", "--device", "cpu",
                                      "--config", str(CONFIG_FILE)])
    assert answer.exit_code == 0, answer.output
    late = json.loads((tmp_path / "out" / "late.json").read_text())
    assert late["submitted_at"].startswith("2026-12-11T13:00") and late["extra_data"]["submitted_at_source"] == (
        "submitted-at file")


# ------------------------------------------------------------------ item 8: the hash in made-safe ids


def test_made_safe_ids_carry_64_bits_of_hash() -> None:
    sid = safe_id("new\nline")
    kept, digest = sid.rsplit("~", 1)
    assert kept == "new_line" and len(digest) == HASH_HEX >= 16
    assert int(digest, 16) < 2 ** 64
    assert len(safe_id("é" * 300).encode()) <= 120
