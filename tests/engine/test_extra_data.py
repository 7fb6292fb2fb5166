"""``extra_data`` is a typed model (:class:`autograder.core.extra_data.ExtraData`) that reads every stored
result: a file written by the engine before the model existed (``data/result_0_1_0.json``, a toy
submission graded late, with an ignored file and a timestamp), and files with keys it does not know."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.core.extra_data import ExtraData, LateRecord, SubmissionFile, Timings
from autograder.core.results import SubmissionResult, read_result, to_gradescope, write_result

OLD = Path(__file__).parent / "data" / "result_0_1_0.json"


def test_a_result_written_before_the_model_reads_into_typed_fields() -> None:
    result = read_result(OLD)
    extra = result.extra_data
    assert isinstance(extra.timings, Timings) and extra.timings.tests_s == 0.179
    assert extra.timings.per_test["test_toy.py::test_add"] == {"cpu_s": 0.0, "wall_s": 0.012}
    assert extra.device == "cpu" and extra.restarts == 0 and extra.isolation["uid"] == 61000
    assert extra.exercise_max == {"basics": 4.0, "tensors": 3.0, "objects": 3.0}
    assert extra.not_graded_files == ["notes.py"] and extra.submitted_at_source == "timestamp.txt"
    assert extra.late == LateRecord(late=True, days=2, fraction=0.2, deadline="2026-11-01T12:00:00+00:00",
                                    grace_minutes=0.0)
    assert isinstance(extra.submission_file, SubmissionFile)
    assert extra.submission_file.kept_copy == f"submissions/{result.submission_sha256}.py"
    assert extra.grading is not None and extra.grading.code_hash("test_toy.py::test_add[1]") == "ff663b6481e85aec"
    assert extra.plots == {} and "plots" not in extra  # a field nobody wrote is not in the file
    assert extra.get("device") == "cpu" and extra["late"]["days"] == 2 and extra.get("plots", "none") == "none"


def test_a_result_written_before_the_model_is_written_again_unchanged(tmp_path: Path) -> None:
    stored = json.loads(OLD.read_text())
    written = json.loads(write_result(tmp_path, read_result(OLD)).read_text())
    assert written == stored
    assert list(written["extra_data"]) == list(stored["extra_data"])  # not even the order of its keys moved


def test_unknown_keys_of_other_versions_neither_break_a_result_nor_get_lost(tmp_path: Path) -> None:
    stored = json.loads(OLD.read_text())
    stored["extra_data"]["gpu_model"] = {"name": "H100", "memory_gb": 80}  # an engine of another version
    stored["extra_data"]["late"]["policy"] = "per_day"
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "ann.json").write_text(json.dumps(stored))
    result = read_result(tmp_path / "old" / "ann.json")
    assert result.extra_data.late is not None and result.extra_data.late.days == 2
    assert result.extra_data["gpu_model"] == {"name": "H100", "memory_gb": 80}
    again = json.loads(write_result(tmp_path, result.with_extra(device="cuda")).read_text())
    assert again["extra_data"]["gpu_model"] == {"name": "H100", "memory_gb": 80}
    assert again["extra_data"]["late"]["policy"] == "per_day" and again["extra_data"]["device"] == "cuda"


def test_only_the_keys_a_writer_set_are_stored() -> None:
    result = SubmissionResult.not_gradable(student_id="s", sheet="toy", submission="s.txt", message="no",
                                           max_score=10, points={"basics": 4})
    assert to_gradescope(result, include_staff=True)["extra_data"] == {"exercise_max": {"basics": 4.0}}
    shared = result.with_extra(grading_shared_from="t")
    assert shared.extra_data.model_dump() == {"exercise_max": {"basics": 4.0}, "grading_shared_from": "t"}


def test_a_copy_given_a_mapping_keeps_the_model() -> None:
    """Callers not converted yet write ``{**extra_data, key: value}``; the copy still holds the model."""
    result = SubmissionResult(student_id="s", sheet="toy", submission="s.py", extra_data={"device": "cpu"})
    copy = result.model_copy(update={"extra_data": {**result.extra_data, "judge_peak_mb": 12.5}})
    assert isinstance(copy.extra_data, ExtraData) and copy.extra_data.judge_peak_mb == 12.5
    assert copy.extra_data.device == "cpu"


def test_the_staff_only_fields_are_marked() -> None:
    staff = set(ExtraData.staff_only_fields())
    assert {"isolation", "isolation_warnings", "staff_plots", "submission_file", "identical_submissions",
            "grading_shared_from", "not_graded_files"} <= staff
    assert "plots" not in staff and "exercise_max" not in staff
