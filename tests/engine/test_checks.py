"""autograder.student.checks: the one public-check runner (statuses, the table, make_check's namespace)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.judge.rpc import SandboxTimeout, StudentCodeError
from autograder.student.checks import (
    FAIL,
    PASS,
    TODO,
    CheckRow,
    NotebookNamespace,
    expect,
    make_check,
    needs,
    render,
    run_check,
    run_checks,
)


class FakeProxy:
    """The sandbox proxy's shape: names as attributes, ``has``, the student's errors with ``type_name``."""

    def __init__(self, raises: BaseException) -> None:
        self.raises = raises

    def has(self, name: str) -> bool:
        return True

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            raise self.raises

        return call


@needs("add")
def check_add(ns) -> None:
    expect(ns.add(1, 2) == 3, "add(1, 2) should be 3")


@needs("add", "CONSTANT")
def check_constant(ns) -> None:
    expect(ns.CONSTANT == ns.add(1, 1), "CONSTANT should be add(1, 1)")


CHECKS = {"one": [check_add], "two": [check_constant]}


def test_statuses_in_the_notebook() -> None:
    assert run_check(check_add, _ns({"add": lambda a, b: a + b})) == (PASS, "")
    assert run_check(check_add, _ns({"add": lambda a, b: a - b})) == (FAIL, "add(1, 2) should be 3")
    assert run_check(check_add, _ns({})) == (TODO, "add is not defined yet (or still None)")
    assert run_check(check_constant, _ns({"add": lambda a, b: a + b, "CONSTANT": None}))[0] == TODO

    def unfinished(a, b):
        raise NotImplementedError

    assert run_check(check_add, _ns({"add": unfinished})) == (TODO, "not implemented yet (raises NotImplementedError)")
    assert run_check(check_add, _ns({"add": lambda a, b: {}[a]})) == (FAIL, "raised KeyError: 1")


def test_statuses_through_the_sandbox_proxy() -> None:
    not_yet = StudentCodeError("NotImplementedError", "", "traceback")
    assert run_check(check_add, FakeProxy(not_yet))[0] == TODO
    broken = StudentCodeError("ZeroDivisionError", "division by zero", "traceback")
    assert run_check(check_add, FakeProxy(broken)) == (FAIL, "raised ZeroDivisionError: division by zero")
    slow = SandboxTimeout("your code ran past the 60 s limit")
    assert run_check(check_add, FakeProxy(slow)) == (FAIL, "your code ran past the 60 s limit")


def test_run_checks_and_the_table() -> None:
    calls = []
    rows = run_checks(CHECKS, ns=_ns({"add": lambda a, b: a + b}), before_each=lambda: calls.append(1))
    assert rows == [CheckRow("one", "add", PASS), CheckRow("two", "constant", TODO, "CONSTANT is not defined yet "
                                                                                   "(or still None)")]
    assert calls == [1, 1] and [row.passed for row in rows] == [True, False]
    assert run_checks(CHECKS, "two", ns=_ns({})) == [CheckRow("two", "constant", TODO,
                                                              "add is not defined yet (or still None)")]
    assert render(rows).splitlines() == [
        "one        add       pass",
        "two        constant  to do  CONSTANT is not defined yet (or still None)",
        "1/2 public checks pass; to do: two. The grade comes from the hidden tests, which check much more.",
    ]


def test_make_check_reads_the_callers_globals(capsys) -> None:
    check = make_check(CHECKS)
    notebook = {"check": check, "add": lambda a, b: a + b, "CONSTANT": 2}
    exec("check('two')", notebook)  # noqa: S102 - a notebook cell
    assert capsys.readouterr().out.splitlines()[0] == "two        constant  pass"
    check("one", ns={"add": lambda a, b: 0})
    assert "FAIL   add(1, 2) should be 3" in capsys.readouterr().out
    check("three")
    assert capsys.readouterr().out == "unknown exercise 'three'; choose one of one, two\n"


def test_the_runner_imports_only_the_standard_library() -> None:
    code = ("import sys, autograder.student.checks; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'rich', 'pydantic', 'numpy')))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.stdout.strip() == "[]"


def _ns(namespace: dict) -> NotebookNamespace:
    return NotebookNamespace(namespace)


# --------------------------------------------------------------------------- what check() shows (issue 22, item 11)

MIXED = [CheckRow("3.2.1.1", "head", PASS), CheckRow("3.2.2", "cosine_lr", FAIL, "cosine_lr(0, ...) should be 0.0 <b>"),
         CheckRow("mlm", "mask_tokens", TODO, "not implemented yet (raises NotImplementedError)"),
         CheckRow("mlm", "collator", TODO, "make_mlm_collator is not defined yet (or still None)")]


def test_the_summary_says_what_fails_and_what_is_still_to_do() -> None:
    from autograder.student.checks import summary_line

    assert summary_line(MIXED) == ("1/4 public checks pass, 1 FAIL; to do: mlm. "
                                   "The grade comes from the hidden tests, which check much more.")
    assert render(MIXED).splitlines()[-1] == summary_line(MIXED)


def test_the_report_is_text_as_repr_and_badges_as_html() -> None:
    from autograder.student.checks import CheckReport, summary_line

    report = CheckReport(MIXED)
    assert repr(report) == str(report) == render(MIXED)
    page = report._repr_html_()
    assert page.index(summary_line(MIXED)) < page.index("<table")  # the summary first
    assert [m for m in ("check-pass", "check-fail", "check-todo") if m in page] == ["check-pass", "check-fail",
                                                                                 "check-todo"]
    assert "&#10003; pass" in page and "&#10007; FAIL" in page and page.count("&#9675; to do") == 2
    assert "should be 0.0 &lt;b&gt;" in page and "0.0 <b>" not in page  # the message escaped


def test_check_prints_text_outside_a_kernel(capsys) -> None:
    make_check(CHECKS)("two", ns={"CONSTANT": 2, "add": lambda a, b: a + b})
    assert capsys.readouterr().out.splitlines()[-1].startswith("1/1 public checks pass.")


def test_in_a_jupyter_kernel_check_displays_html_and_text_from_the_bundles_copy(tmp_path) -> None:
    """A real kernel, the runner as the bundle ships it (``_autograder_checks.py``, no autograder package)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from autograder.release.standalone import FILE, runner_source

    (tmp_path / FILE).write_text(runner_source(), encoding="utf-8")
    source = ("import sys\nsys.modules['autograder'] = None  # the package is not importable here\n"
              "from _autograder_checks import expect, make_check, needs\n"
              "@needs('add')\ndef check_add(ns):\n    expect(ns.add(1, 2) == 3, 'add(1, 2) should be 3')\n"
              "@needs('LATER')\ndef check_later(ns):\n    pass\n"
              "check = make_check({'one': [check_add], 'two': [check_later]})\n"
              "add = lambda a, b: a - b\ncheck()")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    (output,) = notebook.cells[0].outputs
    assert output.output_type == "display_data"
    html, text = output.data["text/html"], output.data["text/plain"]
    assert "&#10007; FAIL" in html and "&#9675; to do" in html and "add(1, 2) should be 3" in html
    assert text.splitlines()[-1].startswith("0/2 public checks pass, 1 FAIL; to do: two.")
