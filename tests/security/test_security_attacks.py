"""Hostile submissions graded through the real engine: nothing gained, nothing leaked, nothing lost.

For every attack: its score is what its honest part earns (never a point of the ``leak`` exercise,
which only a leaked secret can pass); no secret of the hidden suite, the reference, the victim or
the environment appears in anything the student is shown; and the grader did not fail. For the
batch as a whole: every submission got a result, the honest controls and the victim kept full
marks, no process of a sandbox uid outlived grading, nothing was written to the host, nothing
connected out, and no file of the grader changed.
"""

from __future__ import annotations

import json

import pytest
from security_attacks import ATTACKS, FULL_SCORE, Attack
from security_harness import UID_BASE, exercise_scores, leaks, student_view
from security_malformed import MALFORMED, Malformed


def _result(attack_run, student_id: str):
    assert student_id in attack_run.results, f"{student_id} has no result"
    return attack_run.results[student_id]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_gains_nothing_and_leaks_nothing(attack_run, attack: Attack) -> None:
    result = _result(attack_run, attack.name)
    scores = exercise_scores(result)
    assert result.gradable, result.format_errors
    assert not result.grader_error, f"the grader failed on {attack.name}: {result.grader_error[-2000:]}"
    assert scores.get("leak", 0.0) == 0.0, f"{attack.name} scored on a secret: {scores}"
    if attack.expect is not None:
        assert scores == attack.expect, f"{attack.name}: got {scores}, honest work of this quality gets {attack.expect}"
    if attack.at_most is not None:
        assert result.score <= attack.at_most, f"{attack.name}: {result.score} > {attack.at_most}"
    assert leaks(result, attack_run.course) == [], f"{attack.name} leaked into its output"
    assert len(student_view(result)) < 200_000, "student-visible output must stay bounded"


@pytest.mark.parametrize("item", MALFORMED, ids=[m.filename for m in MALFORMED])
def test_malformed_file_gets_a_clear_result(attack_run, item: Malformed) -> None:
    student_id = item.filename.rsplit(".", 1)[0]
    result = _result(attack_run, student_id)
    assert not result.grader_error, result.grader_error[-2000:]
    assert result.gradable is item.gradable, (result.gradable, result.format_errors)
    assert result.score <= item.at_most
    shown = student_view(result)
    assert item.message.lower() in shown.lower(), json.loads(shown)["output"][:500]
    if not item.gradable:
        assert result.score == 0.0 and result.format_errors


def test_every_submission_has_a_result(attack_run) -> None:
    assert attack_run.summary.missing == []
    assert len(attack_run.results) == len(ATTACKS) + len(MALFORMED) + 4


@pytest.mark.parametrize("student_id", ["victim", "c00_control", "c50_control", "c99_control"])
def test_honest_submissions_keep_full_marks(attack_run, student_id: str) -> None:
    result = _result(attack_run, student_id)
    assert exercise_scores(result) == FULL_SCORE, result.output[:2000]
    assert not result.grader_error
    assert result.extra_data["isolation_warnings"] == []


def test_victim_work_does_not_reach_any_other_student(attack_run) -> None:
    canary = attack_run.course.secrets["@@VICTIM_CANARY@@"]
    seen = [sid for sid, result in attack_run.results.items() if sid != "victim" and canary in student_view(result)]
    assert seen == []


def test_no_sandbox_process_survives_grading(attack_run) -> None:
    assert attack_run.survivors == []


def test_nothing_written_to_the_host(attack_run) -> None:
    course = attack_run.course
    assert attack_run.host_files == []
    assert attack_run.watched == {}, f"files changed: {sorted(attack_run.watched)}"
    assert sorted(p.name for p in course.pwned.iterdir()) == []
    stray = [p.name for p in course.out.iterdir() if p.name.startswith("zzz") or p.name.endswith("-moved")]
    assert stray == []
    assert course.out.is_dir() and course.submissions.is_dir()
    dropped = [str(p) for folder in (course.root, course.root.parent)
               for p in folder.glob("sec-attack-fill-*")]
    assert dropped == []


def test_nothing_connected_out(attack_run) -> None:
    assert attack_run.listener.connections == []


def test_results_on_disk_are_the_judges(attack_run) -> None:
    from autograder.core.results import read_result

    for student_id in ("victim", "w01_write_outside"):
        on_disk = read_result(attack_run.course.out / f"{student_id}.json")
        assert on_disk.score == attack_run.results[student_id].score
    assert read_result(attack_run.course.out / "victim.json").score == sum(FULL_SCORE.values())


def test_the_batch_used_every_isolation_layer(attack_run) -> None:
    layers = _result(attack_run, "c00_control").extra_data["isolation"]
    assert layers["separate_uid"] and layers["network"] and layers["pid"] and layers["mount"]
    assert layers["uid"] in (UID_BASE, UID_BASE + 1) and layers["read_only"]


def test_the_cage_is_what_the_course_config_says(attack_run) -> None:
    """Limits (course_config: Limits), uid, environment and capabilities seen from inside."""
    result = _result(attack_run, "l01_inspect")
    (line,) = [line for line in result.output.splitlines() if line.startswith("CAGE ")]
    cage = json.loads(line.removeprefix("CAGE "))
    limits = {name: tuple(value) for name, value in cage["limits"].items()}
    mb = 1 << 20
    assert limits["RLIMIT_CPU"] == (60, 60)
    assert limits["RLIMIT_NPROC"] == (64, 64)
    assert limits["RLIMIT_NOFILE"] == (128, 128) and cage["opened"] < 128
    assert limits["RLIMIT_FSIZE"] == (8 * mb, 8 * mb)
    assert limits["RLIMIT_CORE"] == (0, 0)
    soft, hard = limits["RLIMIT_AS"]
    assert soft == hard and 1024 * mb < soft < 64 * 1024 * mb  # the sandbox's size at start + memory_mb
    assert cage["tmp_mb"] == 32  # workdir_mb
    assert cage["uid"] in (UID_BASE, UID_BASE + 1) and cage["groups"] == []
    assert cage["cap_eff"] == "0000000000000000" and cage["no_new_privs"] == "1" and cage["oom"] == "1000"
    assert cage["pid"] == 1 and cage["cwd"] == "/tmp/work"
    assert set(cage["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                                "HF_DATASETS_OFFLINE", "HF_HOME", "MPLBACKEND", "MPLCONFIGDIR",
                                "PYTHONDONTWRITEBYTECODE", "CUDA_VISIBLE_DEVICES"}


def test_each_worker_has_its_own_uid(attack_run) -> None:
    uids = {r.extra_data["isolation"]["uid"] for r in attack_run.results.values() if r.extra_data.get("isolation")}
    assert uids == {UID_BASE, UID_BASE + 1}
