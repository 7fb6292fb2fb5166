"""The judge and the host: what one submission may cost the judge, and what a grader leaves behind.

Each test grades the toy course (seconds a submission) through the real engine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.grading.batch import grade_batch

TOY = Path(__file__).resolve().parents[1] / "toy_course"
CORRECT = (TOY / "submissions" / "correct.py").read_text()


def toy_variant(folder: Path, limits: str) -> Path:
    """A course config for the toy course with other ``Limits(...)``; returns the config file."""
    file = folder / "course_config.py"
    file.write_text(
        "from pathlib import Path\n"
        "from autograder.core.config import CourseConfig, Limits\n"
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
    from autograder.core import codec

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
    from autograder.grading.pool import Grader

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


# ------------------------------------------------------------------ nothing outlives the grader


def busy_submission(marker: str) -> str:
    """A submission whose first cell starts a process of its own (in a new session) and then spins."""
    return (
        "# %%\nimport subprocess, time\n"
        f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "end = time.time() + 240\nwhile time.time() < end:\n    pass\n"
    )


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def identity(pid: int) -> tuple[int, str] | None:
    """``(pid, start time)``: the same pid number later held by another process does not count."""
    try:
        return pid, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def descendants(root: int) -> set[tuple[int, str]]:
    tree, found, todo = children(), set(), [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            if (ident := identity(child)) is not None:
                found.add(ident)
                todo.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def alive(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    return {p for p in processes if identity(p[0]) == p}


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


GRADE = "from autograder.cli.main import app; app()"
HOLD_A_GRADER = """
import sys
from pathlib import Path
from autograder.grading.pool import Grader
from autograder.core.config import load_config
config_file = Path(sys.argv[1])
with Grader(load_config(config_file), jobs=1, device="cpu", config_file=config_file) as grader:
    grader.grade_file(sheet="toy", path=Path(sys.argv[2]))
"""
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("ending", ["ctrl-c", "sigterm-group", "sigkill-grade", "sigkill-worker",
                                    "sigkill-service"])
def test_every_process_a_grader_started_ends_with_it(tmp_path, ending):
    """However a batch, a worker or a process holding a Grader (the service) ends, nothing it started runs on."""
    marker = f"{7000 + os.getpid() % 1000}.{abs(hash(ending)) % 10**6}"  # a unique `sleep` to find
    config_file = toy_variant(tmp_path, "cell_timeout_s=300, test_timeout_s=60, memory_mb=2048, "
                                        "submission_timeout_s=600, output_bytes=2000")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "busy.py").write_text(busy_submission(marker))
    if ending == "sigkill-service":
        command = [sys.executable, "-c", HOLD_A_GRADER, str(config_file), str(subs / "busy.py")]
    else:
        command = [sys.executable, "-c", GRADE, "grade", "toy", str(subs), "--out", str(tmp_path / "out"),
                   "--jobs", "1", "--config", str(config_file)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    # a session of its own, as a terminal gives a command (its process group gets the Ctrl-C)
    grader = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: set[tuple[int, str]] = set()
    try:
        def student_runs() -> bool:
            return any(cmdline(pid) == ["sleep", marker] for pid, _ in descendants(grader.pid))

        assert wait_until(student_runs, 240), "the submission never started"
        started = descendants(grader.pid)
        # whole command lines: where the checkout lies decides how long the interpreter's path is
        names = {" ".join(cmdline(pid)) for pid, _ in started}
        assert any("autograder.sandbox.zygote" in name for name in names) \
            and any(marker in name for name in names), names
        if ending == "ctrl-c":
            os.killpg(grader.pid, signal.SIGINT)
        elif ending == "sigterm-group":
            os.killpg(grader.pid, signal.SIGTERM)
        elif ending == "sigkill-worker":  # what the worker started ends; the batch goes on
            worker = next(pid for pid in children()[grader.pid] if "autograder.grading.worker" in cmdline(pid))
            started = descendants(worker) | {identity(worker)} - {None}
            os.kill(worker, signal.SIGKILL)
        else:
            os.kill(grader.pid, signal.SIGKILL)
        assert wait_until(lambda: not alive(started), 60), \
            f"still running after {ending}: {[' '.join(cmdline(p))[:80] for p, _ in alive(started)]}"
        if ending == "sigkill-worker":  # the batch records the loss and finishes
            grader.wait(timeout=240)
            assert "grading worker failed" in (tmp_path / "out" / "busy.json").read_text()
    finally:
        for pid, _ in alive(started | ({identity(grader.pid)} - {None})):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        grader.wait(timeout=30)
