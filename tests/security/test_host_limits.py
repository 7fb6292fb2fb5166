"""The judge and the host: what one submission may cost the judge, and what a grader leaves behind.

Each test grades the toy course (seconds a submission) through the real engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.batch import grade_batch
from autograder.config import load_config

TOY = Path(__file__).resolve().parents[1] / "toy_course"
CORRECT = (TOY / "submissions" / "correct.py").read_text()


def toy_variant(folder: Path, limits: str) -> Path:
    """A course config for the toy course with other ``Limits(...)``; returns the config file."""
    file = folder / "course_config.py"
    file.write_text(
        "from pathlib import Path\n"
        "from autograder.config import CourseConfig, Limits\n"
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('toy_config', {str(TOY / 'course_config.py')!r})\n"
        "toy = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(toy)\n"
        f"config = toy.config.model_copy(update={{'root': Path({str(TOY)!r}), 'limits': Limits({limits})}})\n"
    )
    return file


def returning(expression: str) -> str:
    """A correct toy submission whose ``add`` returns ``expression`` instead."""
    return CORRECT + f"\n# %%\ndef add(a, b):\n    return {expression}\n"


def case(result, name: str):
    return next(c for c in result.tests if c.name == name)


@pytest.fixture(scope="module")
def large_values(tmp_path_factory):
    """One batch: a value over the per-call bound, one that fits it but not the judge's memory, a control."""
    folder = tmp_path_factory.mktemp("large")
    config_file = toy_variant(folder, "cell_timeout_s=60, test_timeout_s=60, memory_mb=3072, "
                                      "submission_timeout_s=300, output_bytes=2000, "
                                      "max_return_mb=200, judge_memory_mb=256")
    subs = folder / "subs"
    subs.mkdir()
    (subs / "over_return.py").write_text(returning("'x' * (240 << 20)"))
    (subs / "over_judge.py").write_text(returning("'y' * (190 << 20)"))
    (subs / "correct.py").write_text(CORRECT)
    summary = grade_batch(config=load_config(config_file), sheet="toy", paths=[subs], out_dir=folder / "out",
                          jobs=1, device="cpu", config_file=config_file)
    return {r.student_id: r for r in summary.results}, summary


def test_a_value_over_the_return_bound_fails_only_its_check(large_values):
    results, summary = large_values
    assert not summary.missing
    over = results["over_return"]
    add = case(over, "test_add")
    assert add.status == "failed" and "larger than the 200 MB" in add.output, add.output
    assert over.score == 9, [(c.name, c.status, c.output[:80]) for c in over.tests]


def test_a_value_over_the_judges_memory_fails_only_its_check(large_values):
    results, _ = large_values
    over = results["over_judge"]
    add = case(over, "test_add")
    assert add.status == "failed" and "more data than the grader can hold" in add.output, add.output
    assert over.score == 9, [(c.name, c.status, c.output[:80]) for c in over.tests]
    # the judge never held the value: its peak stayed within its limit of the control's
    control = results["correct"].extra_data["judge_peak_mb"]
    assert over.extra_data["judge_peak_mb"] < control + 256 + 32


def test_other_students_results_stay_intact(large_values):
    results, summary = large_values
    assert results["correct"].score == 10 and not results["correct"].grader_error
    assert len(summary.results) == 3


def test_the_decoded_size_is_bounded_not_only_the_message():
    from autograder import codec

    nones = codec.encode([None] * 1_000_000)  # 9 MB decoded (a slot each), 1 MB on the wire
    assert len(nones) < 1_100_000
    with pytest.raises(codec.CodecError, match="larger than"):
        codec.decode(nones, max_value_bytes=4 << 20)
    assert len(codec.decode(nones, max_value_bytes=16 << 20)) == 1_000_000
    wide = codec.encode("\U0001f600" + "a" * (1 << 20))  # one emoji: four bytes for every character
    with pytest.raises(codec.CodecError):
        codec.decode(wide, max_value_bytes=2 << 20)
    assert codec.decode(codec.encode("a" * (1 << 20)), max_value_bytes=2 << 20) == "a" * (1 << 20)


# ------------------------------------------------------------------ two graders on one host


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are switched only by root")


@needs_root
def test_two_graders_at_once_never_share_a_sandbox_uid(toy_config, tmp_path):
    """Two instances (two TAs, or ``grade`` beside ``serve``) grade at the same time, each its own uids."""
    from autograder.batch import Grader

    submission = tmp_path / "correct.py"
    submission.write_text(CORRECT)
    graders: list[Grader] = []
    with ThreadPoolExecutor(2) as pool:  # started together, as two commands would be
        graders = list(pool.map(lambda _: Grader(toy_config, jobs=1, device="cpu",
                                                  config_file=TOY / "course_config.py"), range(2)))
        try:
            results = list(pool.map(lambda g: g.grade_file(sheet="toy", path=submission), graders))
        finally:
            for grader in graders:
                grader.close()
    layers = [result.extra_data["isolation"] for result in results]
    assert all(result.score == 10 for result in results), [r.grader_error for r in results]
    assert all(layer["separate_uid"] for layer in layers)
    assert layers[0]["uid"] != layers[1]["uid"], layers


LEASE_SCRIPT = """
import sys
from autograder.sandbox import uids
print(uids.lease({wanted}, base={base}), flush=True)
sys.stdin.read()  # hold the lease until the test lets go
"""


@needs_root
def test_a_uid_is_leased_to_one_process_at_a_time():
    from autograder.sandbox import uids

    base = 64_700  # apart from every uid another test uses
    holders = [subprocess.Popen([sys.executable, "-c", LEASE_SCRIPT.format(wanted=base, base=base)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        held = {int(holder.stdout.readline()) for holder in holders}
        assert held == {base, base + 1}
        mine = uids.lease(base, base=base)
        assert mine not in held
    finally:
        for holder in holders:
            holder.stdin.close()
            holder.wait(timeout=30)
        uids.release_all()
    # a lease ends with its process: the uid is free again
    assert uids.lease(base, base=base) == base
    uids.release_all()


@needs_root
def test_a_uid_that_runs_processes_is_not_leased():
    from autograder.sandbox import uids

    base = 64_710
    squatter = subprocess.Popen(["sleep", "60"], user=base, group=base)
    try:
        assert uids.lease(base, base=base) == base + 1
    finally:
        squatter.kill()
        squatter.wait()
        uids.release_all()
