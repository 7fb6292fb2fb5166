"""Stub names and signatures (parsed, never imported), and the reference wrapped as a submission."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from release_helpers import ROOT, TOY

from autograder.authoring.reference import definitions, params_of, render_params
from autograder.core.config import load_config
from autograder.release.signatures import check_stubs, compare, notebook_definitions
from autograder.release.wrap import overlay, wrapped_reference


def _fn(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_params_render_every_kind() -> None:
    params = params_of(_fn("def f(a, /, b, c=1e-3, *args, d, e=None, **kw): pass"))
    assert render_params(params) == "(a, /, b, c=0.001, *args, d, e=None, **kw)"
    assert render_params(params_of(_fn("def f(step, *, base_lr, warmup_steps=0): pass"))) == \
        "(step, *, base_lr, warmup_steps=0)"
    # 1e-3 and 0.001 are one default; annotations do not matter
    assert params_of(_fn("def f(x: float = 1e-3): pass")) == params_of(_fn("def f(x=0.001): pass"))


def test_compare_reports_kind_signature_methods_and_extra_stubs() -> None:
    reference = definitions(ast.parse(
        "def f(a, *, k=1): return a\nclass C:\n    def __init__(self, n): pass\n    def go(self, x): pass\n"
        "X = (1, 2)\n"), "ref")
    notebook = definitions(ast.parse(
        "def f(a, k=1): raise NotImplementedError\nclass C:\n    def go(self, y): raise NotImplementedError\n"
        "def X(): raise NotImplementedError\nEXTRA = None\nhelper = None\n"), "cell 1")
    problems, notes = compare(notebook, reference)
    assert problems == [
        "f: signature f(a, k=1) in the notebook (cell 1), f(a, *, k=1) in the reference",
        "C: the notebook's class has no __init__; the reference's takes (self, n)",
        "C.go: (self, y) in the notebook, (self, x) in the reference",
        "X: a constant in the reference but a function in the notebook (cell 1)",
        "EXTRA: a stub in the notebook (cell 1) that the reference's contract lacks",
    ]
    assert notes == []


def test_notebook_is_parsed_with_magics_and_later_cells_win(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\n!ls\ndef f(a): raise NotImplementedError"),
                nbformat.v4.new_markdown_cell("def not_code(x): pass"),
                nbformat.v4.new_code_cell("def f(a, b): raise NotImplementedError"),
                nbformat.v4.new_code_cell("def broken(:\n")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    found, errors = notebook_definitions(path)
    assert render_params(found["f"].params) == "(a, b)" and found["f"].where == "cell 2"
    assert "not_code" not in found
    assert errors and errors[0].startswith("notebook cell 3 is not valid Python")


def test_toy_and_sheet_3_2_notebooks_match_their_references() -> None:
    toy = load_config(TOY / "course_config.py")
    assert check_stubs(toy, toy.sheet("toy")) == ([], [], 6)
    if not (ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb").exists():
        pytest.skip("Sheet 3.2's notebook is not there yet")
    course = load_config(ROOT / "course_config.py")
    problems, _, size = check_stubs(course, course.sheet("sheet_3_2"))
    assert problems == [] and size >= 20


def _run_wrapped(source: str, check: str, *, path: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a wrapped submission with the reference's folder off sys.path, as in the sandbox."""
    program = f"import sys; sys.path[:0] = {path!r}\nns = {{'__name__': '__main__'}}\n" \
              f"exec(compile({source!r}, 'wrapped', 'exec'), ns)\n{check}"
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=cwd, timeout=120,
                          check=False)


def test_wrapped_toy_reference_runs_without_its_files(tmp_path: Path) -> None:
    config = load_config(TOY / "course_config.py")
    source = wrapped_reference(config, config.sheet("toy"))
    assert source.startswith("# %%\nimport torch")  # the notebook's given cell comes first
    done = _run_wrapped(source, "assert ns['add'](2, 3) == 5 and ns['Counter'](1).bump(2) == 3\n"
                        "assert sys.modules['toy_reference'].__file__.endswith('toy_reference/__init__.py')\n"
                        "assert type(sys.modules['toy_reference'].__spec__.loader).__name__ == '_AgReferenceLoader'",
                        path=[str(TOY / "assignments" / "toy")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    variant = overlay(config, config.sheet("toy"), ["def add(a, b):\n    return a - b"])
    done = _run_wrapped(variant, "assert ns['add'](2, 3) == -1 and ns['scaled'](2) == 4",
                        path=[str(TOY / "assignments" / "toy")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_wrapped_sheet_3_2_reference_imports_its_submodules(tmp_path: Path) -> None:
    if not (ROOT / "reference" / "sheet_3_2" / "__init__.py").exists():
        pytest.skip("Sheet 3.2's reference is not there yet")
    config = load_config(ROOT / "course_config.py")
    from autograder.release.wrap import reference_cells

    loader, star = reference_cells(config, config.sheet("sheet_3_2"))
    source = f"{loader}\n{star}\n"
    names = json.dumps(["cosine_lr", "CharLSTM", "best_span", "ExtractiveQAModel"])
    done = _run_wrapped(source, f"assert all(n in ns for n in {names})\n"
                        "assert ns['cosine_lr'](0, base_lr=1.0, total_steps=10) == 1.0\n"
                        "heads = sys.modules['reference.sheet_3_2.heads']\n"
                        "assert type(heads.__spec__.loader).__name__ == '_AgReferenceLoader'",
                        path=[str(ROOT / "assignments" / "sheet_3_2")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
