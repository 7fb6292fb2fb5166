"""Usage errors through the real command line: one line on stderr, exit 2, never a traceback (issue 22, item 5).

Each case runs ``autograder`` as a subprocess on the toy course, as a TA would type it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.core import errors

TOY = Path(__file__).resolve().parents[1] / "toy_course"
WRONG = str(TOY / "submissions" / "wrong.py")
EXE = str(Path(sys.executable).parent / "autograder")


def run_cli(*args: str, cwd: Path = TOY) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "COLUMNS": "80"})


def graded_folder(tmp_path: Path) -> Path:
    """Results of one toy submission, for the commands that read results (graded once per test)."""
    done = run_cli("grade", "toy", WRONG, "--out", str(tmp_path / "results"), "-q")
    assert done.returncode == 0, done.stderr
    return tmp_path / "results"


USAGE_CASES = {
    "grade --out a file": (["grade", "toy", WRONG, "--out", "/etc/passwd", "-q"], "/etc/passwd"),
    "grade --out under /proc": (["grade", "toy", WRONG, "--out", "/proc/x", "-q"], "/proc/x"),
    "grade --out below a file": (["grade", "toy", WRONG, "--out", "/etc/passwd/sub", "-q"], "/etc/passwd/sub"),
    "grade --device tpu": (["grade", "toy", WRONG, "--device", "tpu", "-q"], "tpu"),
    "release --device tpu": (["release", "toy", "--out", "/tmp/never-made-x", "--device", "tpu"], "tpu"),
    "release --out a file": (["release", "toy", "--out", "/etc/passwd"], "/etc/passwd"),
    "similarity --out a file": (["similarity", "toy", WRONG, "--out", "/etc/passwd"], "/etc/passwd"),
    "rubric --out a file": (["rubric", "toy", "--out", "/etc/passwd"], "/etc/passwd"),
    "unknown sheet": (["grade", "nosuch", WRONG, "-q"], "nosuch"),
    "missing argument": (["grade", "toy"], "Missing argument"),
    "check a missing notebook": (["check", "toy", "/nonexistent/nb.ipynb"], "/nonexistent/nb.ipynb"),
    "grade --scheduler not an address": (["grade", "toy", WRONG, "--scheduler", "nonsense", "-q"], "nonsense"),
    "grade --submitted-at missing": (["grade", "toy", WRONG, "--submitted-at", "/nonexistent.csv", "-q"],
                                     "/nonexistent.csv"),
    "unknown option": (["grade", "toy", WRONG, "--bogus"], "--bogus"),
    "option out of range": (["grade", "toy", WRONG, "--jobs", "0"], "--jobs"),
    "lms-push without an lms config": (["lms-push", "toy", str(TOY)], "lms.client_id"),
    "lms-push a missing results folder": (["lms-push", "toy", "/nonexistent/results"], "/nonexistent/results"),
    "lms-push a missing roster": (["lms-push", "toy", str(TOY), "--roster", "/nonexistent.csv"], "/nonexistent.csv"),
}


def assert_usage_error(done: subprocess.CompletedProcess[str], names: str) -> None:
    said = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, said)
    assert "Traceback" not in done.stderr + done.stdout, said
    assert len(said.splitlines()) == 1 and said.startswith("error: ") and names in said, said


@pytest.mark.parametrize("case", list(USAGE_CASES))
def test_usage_error_is_one_line_and_exit_2(case: str) -> None:
    args, names = USAGE_CASES[case]
    assert_usage_error(run_cli(*args), names)


def test_export_and_report_out_are_checked(tmp_path: Path) -> None:
    results = graded_folder(tmp_path)
    assert_usage_error(run_cli("export", "toy", str(results), "--out", "/etc/passwd"), "/etc/passwd")
    assert_usage_error(run_cli("export", "toy", str(results), "--out", "/proc/x"), "/proc/x")
    assert_usage_error(run_cli("report", "toy", str(results), "--out", str(tmp_path)), str(tmp_path))
    assert_usage_error(run_cli("report", "toy", str(results), "--out", "/proc/x/report.html"), "/proc/x")
    assert Path("/etc/passwd").read_text().startswith("root:")  # nothing was written over it


def test_release_refused_for_a_bad_out_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "not" / "there"
    done = run_cli("release", "toy", "--out", str(target), "--device", "tpu")
    assert done.returncode == 2 and not (tmp_path / "not").exists()


def test_exit_codes_have_one_meaning_each() -> None:
    codes = {name: value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert sorted(codes.values()) == [*range(10), 130], codes  # distinct: one meaning each
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = (Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md").read_text()
    top = run_cli("--help").stdout
    for code in codes.values():
        assert f"\n| {code} | " in readme and f"\n| {code} | " in table, code
        assert f"\n    {code}  " in top, code


def test_check_and_assign_outcomes_use_their_own_codes(tmp_path: Path) -> None:
    (tmp_path / "str_add.py").write_text("def add(a, b):\n    return str(a + b)\n")
    failing = run_cli("check", "toy", str(tmp_path / "str_add.py"))
    assert failing.returncode == errors.EXIT_CHECK_FAILED and "FAIL" in failing.stdout
    (tmp_path / "unfinished.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    assert run_cli("check", "toy", str(tmp_path / "unfinished.py")).returncode == errors.EXIT_CHECK_TO_DO
    (tmp_path / "not_python.py").write_text("def add(a, b:\n")
    broken = run_cli("check", "toy", str(tmp_path / "not_python.py"))
    assert broken.returncode == errors.EXIT_CHECK_FAILED and "Traceback" not in broken.stderr


def test_help_texts_are_plain(tmp_path: Path) -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    assert ":mod:" not in top.stdout and "``" not in top.stdout, top.stdout
    serve = run_cli("serve", "--help").stdout
    assert "10101" in serve and "[default: 0]" not in serve, serve
    for command in ("grade", "check", "config", "assign", "release", "new-sheet", "rubric", "report", "export",
                    "nbgrader-export", "similarity", "lms-push"):
        shown = run_cli(command, "--help")
        assert shown.returncode == 0 and not re.search(r"``|:(mod|func|class):", shown.stdout), (command, shown.stdout)
