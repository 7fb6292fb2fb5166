"""Time limits are charged in CPU time of the sandbox, so a grade does not depend on the machine's load
(issue 20, item 4): a slowed call that uses little CPU is not timed out; a CPU-burning one still is;
code that only sleeps is stopped by the far wall-clock backstop."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from autograder.core.submission import Cell
from autograder.judge.rpc import SandboxTimeout, StudentProxy, StudentSession
from autograder.judge.sandbox_plan import sandbox_request

SOURCE = '''
import time, threading
def nap(seconds):
    time.sleep(seconds)
    return "rested"
def burn():
    while True:
        pass
def burn_in_threads():
    def spin():
        while True:
            pass
    for _ in range(2):
        threading.Thread(target=spin, daemon=True).start()
    time.sleep(120)
def work(n):
    total = 0
    for i in range(n):
        total += i
    return total
'''


@pytest.fixture()
def session(toy_config, zygote):
    request, _ = sandbox_request(toy_config, toy_config.sheet("toy"), worker_index=0, device="cpu", protected=[])
    s = StudentSession(zygote, request, [Cell(0, SOURCE)], cell_timeout=5, default_timeout=4, output_limit=4000,
                       wall_backstop=(3.0, 4.0))
    s.start()
    yield s
    s.close()


def test_a_sleeping_call_within_the_backstop_is_not_timed_out(session):
    session.begin_check(1.0, "nap")  # 1 CPU-s; the wall backstop is 3 x 1 + 4 = 7 s
    assert StudentProxy(session).nap(2.5) == "rested"  # 2.5 s of wall clock, no CPU to speak of
    spent = session.end_check()
    assert spent["wall_s"] >= 2.5 and spent["cpu_s"] < 1.0
    assert session.check_times["nap"] == spent


def test_a_stopped_sandbox_is_not_charged_for_the_time_it_stood_still(session):
    """The machine's load, made extreme: the sandbox gets no CPU at all for 2.5 s of a 1 CPU-s check."""
    session.begin_check(1.0, "stopped")
    pid = session.process.pid
    os.kill(pid, signal.SIGSTOP)
    resume = threading.Timer(2.5, os.kill, (pid, signal.SIGCONT))
    resume.start()
    try:
        assert StudentProxy(session).work(1000) == sum(range(1000))
    finally:
        resume.join()
    assert session.end_check()["wall_s"] >= 2.5


def test_a_cpu_burning_loop_is_still_timed_out(session):
    session.begin_check(1.0, "burn")
    with pytest.raises(SandboxTimeout):
        StudentProxy(session).burn()
    spent = session.end_check()
    assert spent["cpu_s"] >= 0.5 and spent["wall_s"] < 7.0  # stopped by its CPU time, not the backstop
    assert StudentProxy(session).work(10) == 45  # the sandbox is usable again (soft stop or restart)


def test_threads_burning_cpu_are_charged(session):
    session.begin_check(1.0, "threads")
    with pytest.raises(SandboxTimeout):
        StudentProxy(session).burn_in_threads()  # the main thread sleeps; two threads burn
    assert session.end_check()["wall_s"] < 7.0


def test_code_that_only_sleeps_meets_the_wall_clock_backstop(session):
    session.begin_check(0.5, "sleeps")  # backstop: 3 x 0.5 + 4 = 5.5 s
    began = time.monotonic()
    with pytest.raises(SandboxTimeout):
        StudentProxy(session).nap(60)
    assert time.monotonic() - began < 30
    session.end_check()


def test_the_result_shows_cpu_and_wall_time_per_phase_and_per_test(toy_grader, tmp_path):
    toy = Path(__file__).resolve().parents[1] / "toy_course"
    result = toy_grader.grade_file(sheet="toy", path=toy / "submissions" / "correct.py", student_id="timed")
    timings = result.extra_data["timings"]
    assert {"load_s", "tests_s", "load_cpu_s", "tests_cpu_s", "sandbox_cpu_s", "judge_tests_cpu_s"} <= set(timings)
    per_test = timings["per_test"]
    assert set(per_test) == {case.nodeid for case in result.tests}
    assert all(set(times) == {"cpu_s", "wall_s"} and times["cpu_s"] >= 0 for times in per_test.values())
    assert timings["tests_cpu_s"] == pytest.approx(sum(t["cpu_s"] for t in per_test.values()), abs=0.01)
