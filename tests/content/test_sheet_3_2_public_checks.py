"""Sheet 3.2's public checks, run by the one runner (:mod:`autograder.student.checks`) in all three places.

The notebook's ``check()`` (the notebook's globals), ``autograder check`` (the sandbox proxy) and
the notebook client say the same thing: pass, FAIL, or "to do" for an exercise not yet written
(the partial example's one bug is for the hidden tests to find: its public checks pass).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import reference.sheet_3_2 as ref
from autograder.student.checks import PASS, TODO, NotebookNamespace, run_check

ROOT = Path(__file__).resolve().parents[2]
SHEET_DIR = ROOT / "assignments" / "sheet_3_2"
SUBMISSIONS = ROOT / "examples" / "submissions"
ROW = re.compile(r"^(\S+)\s+(\S+)\s+(pass|FAIL|to do)\b")


def _run_cells(path: Path) -> dict:
    """The notebook's code cells, its check cells left out, executed in one namespace (as Jupyter would)."""
    namespace: dict = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(SHEET_DIR)
    try:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and not cell.source.startswith("check("):
                exec(compile(cell.source, f"<cell {cell.id}>", "exec"), namespace)  # noqa: S102 - the notebook is the test
    finally:
        os.chdir(cwd)
    return namespace


def _cli_check(notebook: Path) -> tuple[int, dict[tuple[str, str], str], str]:
    """``autograder check sheet_3_2 NOTEBOOK``: exit code, {(exercise, check): status}, stdout."""
    exe = Path(sys.executable).parent / "autograder"
    env = {**os.environ, "COLUMNS": "400", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(exe), "check", "sheet_3_2", str(notebook)], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    rows = {}
    for line in done.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│┃").split("│")]
        if len(cells) >= 3 and cells[0] in ref.CONTRACT:
            rows[cells[0], cells[1]] = cells[2]
    return done.returncode, rows, done.stdout + done.stderr


def test_public_checks_cover_every_exercise_and_say_to_do_on_the_blank():
    import public_checks

    assert set(public_checks.CHECKS) == set(ref.CONTRACT)
    ns = NotebookNamespace(_run_cells(SUBMISSIONS / "blank.ipynb"))
    for checks in public_checks.CHECKS.values():
        for fn in checks:
            status, message = run_check(fn, ns)
            assert status == TODO, (fn.__name__, message)


def test_public_checks_pass_on_the_reference():
    import public_checks

    namespace = {name: getattr(ref, name) for names in ref.CONTRACT.values() for name in names}
    namespace.update(mlm_tokenizer=ref.given.build_mlm_tokenizer(), qa_tokenizer=ref.given.build_qa_tokenizer(),
                     qa_config=ref.given.make_qa_config())
    ns = NotebookNamespace(namespace)
    for checks in public_checks.CHECKS.values():
        for fn in checks:
            assert run_check(fn, ns) == (PASS, ""), fn.__name__


@pytest.fixture(scope="module")
def partial_in_notebook() -> dict[tuple[str, str], str]:
    """The partial example's ``check()`` table, as the notebook prints it (the caller's globals found)."""
    import contextlib
    import io

    namespace = _run_cells(SUBMISSIONS / "partial.ipynb")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec("check()", namespace)  # noqa: S102 - as the notebook's check cell does
    return {(m[1], m[2]): m[3] for m in map(ROW.match, printed.getvalue().splitlines()) if m}


def test_notebook_check_says_pass_and_to_do(partial_in_notebook):
    assert set(partial_in_notebook.values()) == {"pass", "to do"}, partial_in_notebook
    assert partial_in_notebook["3.2.2", "cosine_lr"] == "pass"
    assert partial_in_notebook["3.2.3.2", "extractive_qa_model"] == "to do"


def test_autograder_check_says_what_the_notebook_says(partial_in_notebook):
    code, rows, output = _cli_check(SUBMISSIONS / "partial.ipynb")
    assert rows == partial_in_notebook, output
    assert code == 6, output  # no check fails, some exercises are still to do


def test_autograder_check_says_to_do_for_an_untouched_notebook():
    import public_checks

    code, rows, output = _cli_check(SUBMISSIONS / "blank.ipynb")
    assert len(rows) == sum(map(len, public_checks.CHECKS.values())), output
    assert set(rows.values()) == {"to do"}, output
    assert code == 6, output  # nothing fails, nothing is finished either
