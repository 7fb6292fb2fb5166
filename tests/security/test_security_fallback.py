"""When a layer is missing: what still holds, and that the grader says so instead of grading blind.

Two graders run side by side, each through ``runner.run_judge`` (``security_probe.py``):

- ``userns``: not root but with user namespaces (``setpriv`` to nobody). Namespaces and mounts
  work; there is no separate uid, so the sandbox runs as the grader's own user. The capabilities
  it had to build its mounts are gone: it can neither unmount what hides the secrets nor write to
  the grader's files (read-only view), nor kill the zygote's process group.
- ``bare``: not root and no user namespaces (``bwrap --disable-userns``). Every layer is missing: each
  result says so, and with ``isolation.require_all`` nothing is graded.

Two more run in this process while those two start (root, a zygote and a session, no judge):

- ``pid_namespace=False``: processes that left the sandbox's process group (setsid, double fork)
  are still killed, through the per-worker uid.
- ``switch_uid=False``: the sandbox keeps uid 0 but no capability: the mounts still hide.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from security_attacks import FULL, FULL_SCORE, HONEST, HONEST_SCORE, LOOT, cells
from security_harness import (
    Course,
    attack_files_on_host,
    exercise_scores,
    leaks,
    make_course,
    render,
    wait_for_no_processes,
)
from security_payloads_files import READ_ABSOLUTE, UNMOUNT_HIDDEN
from security_payloads_processes import BACKGROUND, KILL_PARENT

from autograder.core.results import SubmissionResult

PROBE = Path(__file__).with_name("security_probe.py")
NOBODY = 65534
BARE_UID = 1000
NO_PID_UID_BASE = 64200
TIMEOUT_S = 240

WRITE_GRADER_FILE = r'''
for path in ("@@PWNED@@/grader_code.py", "@@COURSE@@/assignments/sec/sec_given.py"):
    try:
        with open(path, "a") as handle:
            handle.write("\nFREE_POINTS = True\n")
        print("WROTE", path)
    except OSError as exc:
        print("write", path, type(exc).__name__)
'''


def _can(command: list[str]) -> bool:
    try:
        return subprocess.run(command, check=False, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _userns_as_nobody() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None and _can(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "unshare", "-U", "-r", "true"])


BWRAP = ["bwrap", "--dev-bind", "/", "/", "--proc", "/proc", "--unshare-user", "--uid", str(BARE_UID),
         "--gid", str(BARE_UID), "--disable-userns", "--unshare-pid", "--die-with-parent"]


def _bare_bwrap() -> bool:
    return os.geteuid() == 0 and shutil.which("bwrap") is not None and _can(
        [*BWRAP, "sh", "-c", "! unshare -U -r true 2>/dev/null"])


class Probe:
    """One ``security_probe.py`` run in the background; ``report()`` waits for its JSON."""

    def __init__(self, course: Course, submissions: dict[str, str], prefix: list[str], *,
                 refuse: bool = False) -> None:
        self.course = course
        paths = []
        for name, source in submissions.items():
            path = course.submissions / f"{name}.py"
            path.write_text(render(source, course))
            paths.append(str(path))
        spec = {"config": str(course.config_file), "sheet": "sec", "submissions": paths}
        if refuse:
            strict = course.root / "course_config_strict.py"
            strict.write_text(course.config_file.read_text().replace("require_all=False", "require_all=True"))
            spec["refuse_config"] = str(strict)
        spec_file = course.root / "probe.json"
        spec_file.write_text(json.dumps(spec))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(course.root), "HF_HUB_OFFLINE": "1",
               "LANG": "C.UTF-8"}
        self.process = subprocess.Popen([*prefix, sys.executable, str(PROBE), str(spec_file)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=env, cwd=str(course.root))
        self._report: dict | None = None

    def report(self) -> dict:
        if self._report is None:
            out, _ = self.process.communicate(timeout=TIMEOUT_S)
            lines = [line for line in out.splitlines() if line.startswith("PROBE-REPORT ")]
            assert self.process.returncode == 0 and lines, out[-4000:]
            self._report = json.loads(lines[-1].removeprefix("PROBE-REPORT "))
        return self._report

    def results(self) -> list[SubmissionResult]:
        return [SubmissionResult.model_validate(data) for data in self.report()["results"]]


@pytest.fixture(scope="module")
def probes():
    """Start every available scenario at once (they mostly wait on imports), then hand them out."""
    started: dict[str, Probe] = {}
    courses: list[Course] = []
    try:
        if _userns_as_nobody():
            course = make_course()
            courses.append(course)
            (course.pwned / "grader_code.py").write_text("ORIGINAL\n")
            attacker = cells(HONEST, LOOT, UNMOUNT_HIDDEN, READ_ABSOLUTE, WRITE_GRADER_FILE, KILL_PARENT)
            submissions = {"control": cells(FULL), "attacker": attacker, "after": cells(FULL)}
            for name, source in submissions.items():
                (course.submissions / f"{name}.py").write_text(render(source, course))
            course.give_to(NOBODY)
            started["userns"] = Probe(course, submissions, ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                                             "--clear-groups"])
        if _bare_bwrap():
            course = make_course()
            courses.append(course)
            submissions = {"control": cells(FULL), "reader": cells(HONEST, LOOT, READ_ABSOLUTE)}
            for name, source in submissions.items():
                (course.submissions / f"{name}.py").write_text(render(source, course))
            (course.root / "course_config_strict.py").touch()
            course.give_to(BARE_UID)
            started["bare"] = Probe(course, submissions, BWRAP, refuse=True)
        yield started
    finally:
        for probe in started.values():
            if probe.process.poll() is None:
                probe.process.kill()
                probe.process.wait()
        for course in courses:
            course.cleanup()
        for path in attack_files_on_host():
            Path(path).unlink(missing_ok=True)


def _probe(probes: dict[str, Probe], name: str) -> Probe:
    if name not in probes:
        pytest.skip(f"the {name!r} scenario needs root and {'setpriv' if name == 'userns' else 'bwrap'}")
    return probes[name]


def test_userns_grader_warns_once_about_the_missing_uid(probes) -> None:
    control, _, after = _probe(probes, "userns").results()
    for result in (control, after):
        assert exercise_scores(result) == FULL_SCORE, result.output[:2000]
        assert result.extra_data["isolation_warnings"] == ["isolation layer unavailable: separate uid"]
        layers = result.extra_data["isolation"]
        assert layers["user_namespace"] and layers["network"] and layers["pid"] and layers["mount"]
        assert layers["read_only"] and not layers["separate_uid"]


def test_userns_sandbox_cannot_undo_its_mounts_or_touch_the_grader(probes) -> None:
    probe = _probe(probes, "userns")
    attacker = probe.results()[1]
    assert exercise_scores(attacker) == HONEST_SCORE, attacker.output[:3000]
    assert leaks(attacker, probe.course) == [], attacker.output[:3000]
    assert "UNMOUNTED" not in attacker.output and "BIND MOUNTED" not in attacker.output
    assert (probe.course.pwned / "grader_code.py").read_text() == "ORIGINAL\n"
    assert "FREE_POINTS" not in (probe.course.root / "assignments" / "sec" / "sec_given.py").read_text()
    assert probe.report()["zygote_alive"] == [True, True, True], "kill(0)/killpg reached the zygote"


def test_bare_grader_names_every_missing_layer(probes) -> None:
    probe = _probe(probes, "bare")
    for result in probe.results():
        warnings = result.extra_data["isolation_warnings"]
        for layer in ("network namespace", "pid namespace", "mount namespace", "separate uid"):
            assert f"isolation layer unavailable: {layer}" in warnings, warnings
        assert any("no user namespace" in w for w in result.extra_data["isolation"]["warnings"])
    assert exercise_scores(probe.results()[0]) == FULL_SCORE


def test_bare_grader_removes_each_sandbox_working_directory(probes) -> None:
    """Without a private /tmp each sandbox works in a fresh folder of the host's /tmp: it is gone after."""
    scratch = [result.extra_data["isolation"].get("scratch") for result in _probe(probes, "bare").results()]
    assert scratch and all(isinstance(path, str) and "autograder-sandbox-" in path for path in scratch), scratch
    assert [path for path in scratch if os.path.exists(path)] == []


def test_bare_grader_with_require_all_refuses_to_grade(probes) -> None:
    (refused,) = [SubmissionResult.model_validate(r) for r in _probe(probes, "bare").report()["refused"]]
    assert refused.score == 0.0 and not refused.tests
    assert refused.grader_error.startswith("refusing to grade: isolation layers unavailable: ")
    assert "mount namespace" in refused.grader_error


@pytest.fixture(scope="module")
def local_zygote():
    """A zygote in this process's care, for the scenarios that need no judge around the sandbox."""
    from autograder.sandbox.client import Zygote

    zygote = Zygote()
    yield zygote
    zygote.close()


def _session(zygote, course: Course, source: str):
    from autograder.core.config import load_config
    from autograder.core.submission import load_submission
    from autograder.judge.rpc import StudentSession
    from autograder.judge.sandbox_plan import sandbox_request

    config = load_config(course.config_file)
    path = course.submissions / "attacker.py"
    path.write_text(render(source, course))
    request, _ = sandbox_request(config, config.sheet("sec"), worker_index=0, device="cpu",
                                 protected=[str(path.parent)])
    cells_ = list(load_submission(path, max_bytes=1 << 20).cells)
    return config, StudentSession(zygote, request, cells_, cell_timeout=4, default_timeout=4, output_limit=4000)


@pytest.mark.skipif(os.geteuid() != 0, reason="the per-worker uid needs root")
def test_without_pid_namespace_escaped_processes_still_die(probes, local_zygote) -> None:
    """setsid + double fork, nohup and a disguised daemon: gone once the sandbox is closed."""
    from autograder.judge.sandbox_plan import missing_layers

    course = make_course(uid_base=NO_PID_UID_BASE, isolation="pid_namespace=False")
    uids = range(NO_PID_UID_BASE, NO_PID_UID_BASE + 1)
    try:
        config, session = _session(local_zygote, course, cells(FULL, BACKGROUND))
        session.start()
        layers = session.layers
        assert not layers["pid"] and layers["separate_uid"] and layers["uid"] == NO_PID_UID_BASE
        assert missing_layers(config, layers) == []  # the course asked for no pid namespace
        assert len(wait_for_no_processes(uids, timeout=0)) >= 3, "the attack should have left processes"
        session.close()
        assert wait_for_no_processes(uids) == []
        assert sorted(p.name for p in course.pwned.iterdir()) == []
    finally:
        course.cleanup()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_without_uid_switch_keeps_no_capabilities(probes, local_zygote) -> None:
    """switch_uid=False as root: uid 0 stays, its capabilities do not; the mounts still hide."""
    course = make_course(isolation="switch_uid=False")
    (course.pwned / "grader_code.py").write_text("ORIGINAL\n")
    try:
        _, session = _session(local_zygote, course, cells(HONEST, LOOT, UNMOUNT_HIDDEN, READ_ABSOLUTE,
                                                          WRITE_GRADER_FILE))
        session.start()
        printed = session.load_output
        session.close()
        assert session.layers["uid"] == 0 and not session.layers["separate_uid"]
        assert "UNMOUNTED" not in printed and "BIND MOUNTED" not in printed and "WROTE" not in printed
        assert [s for s in course.distinctive() if s in printed] == [], printed[-3000:]
        assert (course.pwned / "grader_code.py").read_text() == "ORIGINAL\n"
    finally:
        course.cleanup()


ALIASES = r'''
import os
for base in ("/mnt", "/media"):
    for folder, dirs, files in os.walk(base):
        for name in files:
            try:
                LOOT += open(os.path.join(folder, name), errors="replace").read()
            except OSError:
                pass
_report()
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_course_under_tmp_leaves_no_second_path_to_it(probes, local_zygote, tmp_path_factory) -> None:
    """A project under /tmp is parked on a holder mount while /tmp is replaced, then bound back:
    the holder must be gone and the project read-only, or /mnt/0 would be an unhidden copy."""
    course = make_course(isolation="switch_uid=False", parent=Path("/tmp") / f"sec-{os.getpid()}")
    try:
        _, session = _session(local_zygote, course, cells(HONEST, LOOT, ALIASES, READ_ABSOLUTE, WRITE_GRADER_FILE))
        session.start()
        printed = session.load_output
        session.close()
        assert [s for s in course.distinctive() if s in printed] == [], printed[-3000:]
        assert "WROTE" not in printed, printed[-3000:]
        assert "FREE_POINTS" not in (course.root / "assignments" / "sec" / "sec_given.py").read_text()
    finally:
        course.cleanup()
        shutil.rmtree(course.root.parent, ignore_errors=True)
