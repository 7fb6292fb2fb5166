"""Every command of the README's command table, run as a user would on a clean clone (issue 22).

The table is parsed from README.md's "## Commands" section, so a new row without a case here fails
``test_every_readme_command_has_a_case``. Each case runs the installed ``.venv/bin/autograder`` as a
subprocess with the clone as its working folder (the course config is found there) on small inputs:
the demo's blank and partial notebooks (one grading, reused by report, export, nbgrader-export),
a sheet made by ``new-sheet`` (released by ``release``), and asserts the exit code and what it wrote.
``serve`` is started with a hub's environment (its API unreachable) and its health and student
pages are fetched.

The clone lives in a folder the sandbox's own uid can read (pytest's tmp folders are private to
root), under ``build/test-tmp/``; it is removed afterwards.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).parent / "autograder")
PYTHON = sys.executable
NEW_SHEET = "sheet_9_1"


def readme_commands(readme: Path = ROOT / "README.md") -> list[str]:
    """The command names of the README's command table: ``grade``, ..., ``client`` for the import row."""
    section = readme.read_text(encoding="utf-8").split("## Commands", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`"):
            continue
        command = cells[1].strip("`")
        match = re.match(r"autograder ([a-z][a-z-]*)", command)
        names.append(match[1] if match else "client" if command.startswith("from autograder.student.client") else command)
    return names


@dataclass
class Clone:
    root: Path
    env: dict[str, str]
    done: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def run(self, *args: str, timeout: int = 600, exe: str = EXE) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def once(self, key: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command the first time a case asks for it; later cases reuse its output."""
        if key not in self.done:
            self.done[key] = self.run(*args)
        return self.done[key]


@pytest.fixture(scope="module")
def clone() -> Iterator[Clone]:
    base = ROOT / "build" / "test-tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="readme-", dir=base))
    folder.chmod(0o755)
    target = folder / "course"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, timeout=120)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "COLUMNS": "200",
           "HOME": str(folder)}
    yield Clone(target, env)
    shutil.rmtree(folder, ignore_errors=True)


def _ok(done: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert done.returncode == code, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


SUBMISSIONS = ("examples/submissions/blank.ipynb", "examples/submissions/partial.ipynb")


def graded(clone: Clone) -> Path:
    """``grade`` of the blank and partial notebooks (the only grading of Sheet 3.2 in this file)."""
    _ok(clone.once("grade", "grade", "sheet_3_2", *SUBMISSIONS, "--out", "results", "--jobs", "1",
                   "--device", "cpu"))
    return clone.root / "results"


def new_sheet(clone: Clone) -> Path:
    _ok(clone.once("new-sheet", "new-sheet", NEW_SHEET, "--title", "Attention, briefly"))
    return clone.root / "sheets" / NEW_SHEET


# --------------------------------------------------------------------------- one case per row


def case_grade(clone: Clone) -> None:
    results = graded(clone)
    text = clone.done["grade"].stdout + clone.done["grade"].stderr
    assert "blank" in text and "partial" in text and "/100" in text
    scores = {sid: json.loads((results / f"{sid}.json").read_text())["score"] for sid in ("blank", "partial")}
    assert scores["blank"] == 0 < scores["partial"] < 100
    rows = (results / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("student") and len(rows) == 3
    again = _ok(clone.run("grade", "sheet_3_2", *SUBMISSIONS, "--out", "results", "--device", "cpu"))
    assert "2 result(s) reused" in again  # a rerun resumes


def case_check(clone: Clone) -> None:
    text = _ok(clone.run("check", "sheet_3_2", SUBMISSIONS[1], "--exercise", "3.2.2"))
    assert text.count("pass") >= 3 and "FAIL" not in text
    text = _ok(clone.run("check", "sheet_3_2", SUBMISSIONS[0]), code=6)  # nothing fails, all still to do
    assert "to do" in text and "pass " not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)


def case_serve(clone: Clone) -> None:
    assert "--port" in _ok(clone.run("serve", "--help"))
    port = _free_port()
    env = {**clone.env, "JUPYTERHUB_API_TOKEN": "readme-test-token", "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",
           "JUPYTERHUB_SERVICE_PREFIX": "/services/autograder/"}
    server = subprocess.Popen([EXE, "serve", "--port", str(port)], cwd=clone.root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}/services/autograder/"
        status, body = 0, ""
        for _ in range(120):  # until it listens (the first start imports torch); not a timing assertion
            if server.poll() is not None:
                break
            try:
                status, body, _ = _get(base + "health")
                break
            except (ConnectionError, urllib.error.URLError, OSError):
                time.sleep(0.5)
        assert status == 200, f"health: {status} {body}\n{server.stdout.read() if server.poll() is not None else ''}"
        assert json.loads(body)
        status, _, headers = _get(base)  # the student page: not logged in, so off to the hub's login
        assert status in (302, 303, 307) and "location" in {k.lower() for k in headers}, (status, headers)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def case_assign(clone: Clone) -> None:
    text = _ok(clone.run("assign", "sheet_3_2", "--check"))
    assert "sheet_3_2.ipynb" in text
    _ok(clone.run("assign", "sheet_3_2"))
    status = subprocess.run(["git", "status", "--porcelain", "assignments"], cwd=clone.root, capture_output=True,
                            text=True, check=True).stdout
    assert status == "", f"assign changed the committed notebook of a clean clone:\n{status}"


def case_release(clone: Clone) -> None:
    new_sheet(clone)
    text = _ok(clone.run("release", NEW_SHEET, "--out", "bundle", "--device", "cpu"))
    assert "passed" in text
    files = {p.name for p in (clone.root / "bundle").rglob("*") if p.is_file()}
    assert f"{NEW_SHEET}.ipynb" in files and "public_checks.py" in files
    assert not any(name.startswith("test_") for name in files)  # no hidden test in the bundle


def case_new_sheet(clone: Clone) -> None:
    folder = new_sheet(clone)
    assert (folder / "master.md").is_file() and (folder / "sheet.toml").is_file()
    assert (clone.root / "tests" / "hidden" / NEW_SHEET).is_dir()
    assert NEW_SHEET in _ok(clone.run("config"))  # found next to its master, no hand edit


def case_rubric(clone: Clone) -> None:
    text = _ok(clone.run("rubric", "sheet_3_2", "--out", "staff"))
    rubric = (clone.root / "staff" / "rubric.md").read_text()
    assert "3.2.2" in rubric and "3.2.2" in text
    assert list((clone.root / "staff").glob("*.ipynb")), "no solutions notebook"


def case_report(clone: Clone) -> None:
    results = graded(clone)
    _ok(clone.run("report", "sheet_3_2", str(results), "--out", "report.html"))
    page = (clone.root / "report.html").read_text()
    assert "partial" in page and "blank" in page


def case_export(clone: Clone) -> None:
    results = graded(clone)
    _ok(clone.run("export", "sheet_3_2", str(results), "--lms", "lms.csv"))
    export = results / "export"
    assert (export / "grades.csv").read_text().count("\n") >= 3
    assert list((export / "feedback").glob("*.html")) and list((export / "gradescope").rglob("*.json"))
    assert "partial" in (clone.root / "lms.csv").read_text()


def case_nbgrader_export(clone: Clone) -> None:
    results = graded(clone)
    text = _ok(clone.run("nbgrader-export", "sheet_3_2", str(results), "--nbgrader-db", "gradebook.db"))
    assert "2 student(s)" in text
    from nbgrader import api

    with api.Gradebook(f"sqlite:///{clone.root / 'gradebook.db'}") as gradebook:
        scores = {row["student"]: row["score"] for row in gradebook.submission_dicts("sheet_3_2")}
    assert scores["blank"] == 0 < scores["partial"]


def case_similarity(clone: Clone) -> None:
    _ok(clone.run("similarity", "sheet_3_2", "examples/submissions", "--out", "similarity"))
    assert (clone.root / "similarity" / "index.html").is_file()
    pairs = (clone.root / "similarity" / "pairs.csv").read_text().splitlines()
    assert len(pairs) >= 2 and "partial" in "\n".join(pairs)  # a header, then the pairs of the three examples


def case_client(clone: Clone) -> None:
    code = ("from autograder.student.client import submit, check\n"
            "import reference.sheet_3_2 as ref\n"
            "check('3.2.1.3', ns={'HEAD_FOR_TASK': ref.HEAD_FOR_TASK}, folder='assignments/sheet_3_2')\n"
            "print('submit is callable:', callable(submit))\n")
    text = _ok(clone.run("-c", code, exe=PYTHON))
    assert re.search(r"3\.2\.1\.3\s+head_for_task\s+pass", text) and "submit is callable: True" in text


def case_config(clone: Clone) -> None:
    text = _ok(clone.run("config"))
    assert "sheet_3_2" in text and "Understanding LLMs" in text


def term_results(clone: Clone) -> Path:
    """A copy of the graded results for the term's commands, so that the other cases read the grading as is."""
    copy = clone.root / "results-term"
    if not copy.exists():
        shutil.copytree(graded(clone), copy)
    return copy


def case_adjust(clone: Clone) -> None:
    results = term_results(clone)
    text = _ok(clone.run("adjust", "sheet_3_2", str(results), "partial", "--exercise", "3.2.1.2", "--points", "5",
                         "--reason", "appeal accepted", "--by", "ta1", "--note", "staff only"))
    assert "partial" in text
    listed = _ok(clone.run("adjust", "sheet_3_2", str(results), "partial", "--list"))
    assert "appeal accepted" in listed and "ta1" in listed
    table = list(csv.reader((results / "grades.csv").read_text().splitlines()))
    partial = dict(zip(table[0], next(row for row in table if row[0] == "partial"), strict=True))
    before = json.loads((graded(clone) / "partial.json").read_text())["score"]  # 3.2.1.2 had 0 of 12
    assert (float(partial["adjustments"]), float(partial["final"])) == (5.0, before + 5), partial
    _ok(clone.run("adjust", "sheet_3_2", str(results), "nobody", "--exercise", "3.2.1.2", "--points", "1",
                  "--reason", "x"), code=2)


def case_regrade(clone: Clone) -> None:
    results = term_results(clone)
    text = _ok(clone.run("regrade", "sheet_3_2", str(results), "--device", "cpu"))
    assert "0 students change" in text, text
    [run] = (results / "regrades").iterdir()
    assert (run / "diff.csv").is_file() and (run / "diff.html").is_file()
    assert not (results / "history").exists()  # a preview changes nothing


def case_lms_push(clone: Clone) -> None:
    """``lms-push`` against a real LTI 1.3 platform on 127.0.0.1 (tests/lms/lti_platform.py)."""
    sys.path.insert(0, str(ROOT / "tests" / "lms"))
    from joserfc.jwk import RSAKey
    from lti_platform import PlatformState, RunningPlatform

    from autograder.lms.client import public_jwks

    tool, platform_key = (RSAKey.generate_key(2048, private=True) for _ in range(2))
    state = PlatformState(issuer="https://lms.example.test", client_id="autograder-tool",
                          platform_private_pem=platform_key.as_pem(private=True).decode(),
                          platform_public_pem=platform_key.as_pem(private=False).decode(),
                          tool_jwks=public_jwks(tool, "k1"))
    running = RunningPlatform(state)
    try:
        outside = clone.root.parent  # the key lives outside the course folder, as the docs ask
        (outside / "lms-key.pem").write_bytes(tool.as_pem(private=True))
        (outside / "roster.csv").write_text("student_id,lms_user_id\nblank,lms-blank\npartial,lms-partial\n")
        config = outside / "lms_config.py"
        config.write_text(
            "import importlib.util\nfrom pathlib import Path\nfrom autograder.core.config import LmsConfig\n"
            f"spec = importlib.util.spec_from_file_location('course', {str(clone.root / 'course_config.py')!r})\n"
            "real = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(real)\n"
            f"config = real.config.model_copy(update={{'root': Path({str(clone.root)!r}), 'lms': LmsConfig("
            f"issuer='https://lms.example.test', client_id='autograder-tool', deployment_id='d1', "
            f"token_url='{state.base}/token', lineitems_url='{state.base}/ags/lineitems', "
            f"private_key_file={str(outside / 'lms-key.pem')!r}, key_id='k1')}})\n")
        results = graded(clone)
        args = ("lms-push", "sheet_3_2", str(results), "--config", str(config), "--roster", str(outside / "roster.csv"))
        _ok(clone.run(*args, "--dry-run"))
        assert state.scores == []  # a dry run sends nothing
        _ok(clone.run(*args))
        finals = {sid: json.loads((results / f"{sid}.json").read_text())["score"] for sid in ("blank", "partial")}
        assert {score["userId"]: score["scoreGiven"] for _, score in state.scores} == {
            "lms-blank": finals["blank"], "lms-partial": finals["partial"]}
    finally:
        running.stop()


def case_written(clone: Clone) -> None:
    results = term_results(clone)
    _ok(clone.run("written", "sheet_3_2", str(results), "--export", "written.csv"))
    rows = list(csv.DictReader((clone.root / "written.csv").read_text().splitlines()))
    assert {row["student_id"] for row in rows} == {"blank", "partial"} and all(not row["points"] for row in rows)
    marked = rows[0] | {"points": "1", "comment": "clear and short", "staff_note": "staff only"}
    with open(clone.root / "marks.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([marked, *rows[1:]])
    _ok(clone.run("written", "sheet_3_2", str(results), "--import", "marks.csv", "--by", "ta1"))
    table = list(csv.reader((results / "grades.csv").read_text().splitlines()))
    row = dict(zip(table[0], next(r for r in table if r[0] == marked["student_id"]), strict=True))
    assert float(row["written"]) == 1.0, row
    again = _ok(clone.run("written", "sheet_3_2", str(results), "--import", "marks.csv", "--by", "ta1"))
    assert len((results / "staff" / "written.jsonl").read_text().splitlines()) == 1, again  # idempotent


CASES: dict[str, Callable[[Clone], None]] = {
    "grade": case_grade, "check": case_check, "serve": case_serve, "assign": case_assign,
    "release": case_release, "new-sheet": case_new_sheet, "rubric": case_rubric, "report": case_report,
    "export": case_export, "nbgrader-export": case_nbgrader_export, "similarity": case_similarity,
    "client": case_client, "config": case_config, "adjust": case_adjust, "regrade": case_regrade,
    "lms-push": case_lms_push, "written": case_written,
}


def test_every_readme_command_has_a_case() -> None:
    rows = readme_commands()
    assert len(rows) >= 10, rows
    assert set(rows) == set(CASES), f"README rows without a case: {set(rows) - set(CASES)}; " \
                                    f"cases without a row: {set(CASES) - set(rows)}"


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_works_on_a_clean_clone(command: str, clone: Clone) -> None:
    assert command in CASES, f"the README's command table has `{command}`, which this test does not run"
    CASES[command](clone)


def test_the_parser_sees_a_new_row(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    readme.write_text(text.replace("| staff | `autograder config` |",
                                   "| TA | `autograder frobnicate SHEET` | new |\n| staff | `autograder config` |"))
    assert "frobnicate" in readme_commands(readme) and "frobnicate" not in CASES
    assert os.path.basename(EXE) == "autograder"
