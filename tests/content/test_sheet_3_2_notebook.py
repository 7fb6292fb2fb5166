"""The Sheet 3.2 student notebook: generated, valid, runnable untouched, and in step with the reference.

The notebook is never imported: its stubs are compared with the reference by parsing both with
``ast``; running it uses ``exec`` of its code cells in a fresh namespace (no kernel needed).
"""

from __future__ import annotations

import ast
import inspect
import os
from pathlib import Path

import nbformat
import pytest

import reference.sheet_3_2 as ref

ROOT = Path(__file__).resolve().parents[2]
SHEET_DIR = ROOT / "assignments" / "sheet_3_2"
NOTEBOOK = SHEET_DIR / "sheet_3_2.ipynb"
SUBMISSIONS = ROOT / "examples" / "submissions"


def _load_module(path: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def builder():
    return _load_module(SHEET_DIR / "build_notebook.py", "build_notebook_sheet_3_2")


def _stub_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "stub" in c.metadata.get("sheet_3_2", {})]


def _definitions(source: str) -> dict[str, ast.AST]:
    """Top-level functions, classes and assignments of a source, by name."""
    found: dict[str, ast.AST] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node
    return found


def _signature(fn: ast.FunctionDef) -> tuple:
    a = fn.args
    defaults = [ast.unparse(d) for d in a.defaults]
    kw_defaults = [None if d is None else ast.unparse(d) for d in a.kw_defaults]
    return ([x.arg for x in a.posonlyargs + a.args], defaults, [x.arg for x in a.kwonlyargs], kw_defaults,
            a.vararg is not None, a.kwarg is not None)


def _reference_node(name: str) -> ast.AST:
    obj = getattr(ref, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return _definitions(inspect.getsource(inspect.getmodule(obj)))[name]
    for module in ("heads", "schedules", "mlm", "utilities", "lstm", "qa_model", "grading"):
        source = (ROOT / "reference" / "sheet_3_2" / f"{module}.py").read_text()
        if name in _definitions(source):
            return _definitions(source)[name]
    raise AssertionError(f"{name} not found in the reference")


def test_notebook_is_valid_and_up_to_date(notebook, builder):
    nbformat.validate(notebook)
    assert nbformat.writes(builder.build()) + "\n" == NOTEBOOK.read_text(encoding="utf-8"), \
        "sheet_3_2.ipynb is stale: run assignments/sheet_3_2/build_notebook.py"


def test_every_contract_name_has_exactly_one_stub(notebook):
    stubbed: list[str] = []
    for cell in _stub_cells(notebook):
        names = cell.metadata["sheet_3_2"]["stub"]
        defined = _definitions(cell.source)
        assert set(names) <= set(defined), cell.id
        stubbed += names
    contract = [name for names in ref.CONTRACT.values() for name in names]
    assert sorted(stubbed) == sorted(contract)


def test_stub_signatures_match_the_reference(notebook):
    stubs: dict[str, ast.AST] = {}
    for cell in _stub_cells(notebook):
        stubs.update(_definitions(cell.source))
    for names in ref.CONTRACT.values():
        for name in names:
            want, got = _reference_node(name), stubs[name]
            if isinstance(want, (ast.FunctionDef, ast.ClassDef)):
                assert type(want) is type(got), name
            if isinstance(want, ast.FunctionDef):
                assert _signature(got) == _signature(want), name
            elif isinstance(want, ast.ClassDef):
                want_methods = {n.name: n for n in want.body if isinstance(n, ast.FunctionDef)}
                got_methods = {n.name: n for n in got.body if isinstance(n, ast.FunctionDef)}
                assert set(got_methods) == set(want_methods), name
                for method, node in want_methods.items():
                    assert _signature(got_methods[method]) == _signature(node), (name, method)
            else:
                assert isinstance(got, (ast.Assign, ast.AnnAssign)), name
                assert ast.unparse(got.value) == "None", f"constant stub {name} should be None"


def test_published_settings_match_the_reference(builder):
    assert builder.LSTM_SETTINGS == ref.LSTM_SETTINGS
    assert builder.LSTM_NLL_THRESHOLD == ref.LSTM_NLL_THRESHOLD
    assert builder.QA_SETTINGS == ref.QA_SETTINGS
    assert builder.QA_MAX_LENGTH == ref.QA_MAX_LENGTH
    assert builder.QA_ACCURACY_THRESHOLD == ref.QA_ACCURACY_THRESHOLD


def _run_notebook(nb, skip_checks: bool = False) -> dict:
    namespace: dict = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(SHEET_DIR)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code" or (skip_checks and cell.source.startswith("check(")):
                continue
            exec(compile(cell.source, f"<cell {cell.id}>", "exec"), namespace)  # noqa: S102 - running the notebook is the test
    finally:
        os.chdir(cwd)
    return namespace


@pytest.fixture(scope="module")
def blank_namespace(notebook):
    return _run_notebook(notebook)


def test_untouched_notebook_runs_and_its_stubs_are_unimplemented(blank_namespace):
    ns = blank_namespace
    for names in ref.CONTRACT.values():
        for name in names:
            obj = ns[name]
            if inspect.isclass(obj) or inspect.isfunction(obj):
                params = inspect.signature(obj).parameters
                args = [None] * sum(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params.values())
                kwargs = {p.name: None for p in params.values() if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
                with pytest.raises(NotImplementedError):
                    obj(*args, **kwargs)
            else:
                assert obj is None, name


def test_example_submissions_are_in_sync():
    maker = _load_module(ROOT / "examples" / "make_examples.py", "make_examples_sheet_3_2")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for name, sources in (("complete", maker.SOLUTIONS), ("partial", maker.PARTIAL), ("blank", {})):
        want = nbformat.writes(maker.fill(notebook, sources)) + "\n"
        assert (SUBMISSIONS / f"{name}.ipynb").read_text(encoding="utf-8") == want, \
            f"{name}.ipynb is stale: run examples/make_examples.py"
    complete = nbformat.read(SUBMISSIONS / "complete.ipynb", as_version=4)
    assert "reference" not in "".join(c.source for c in complete.cells if c.cell_type == "code")


def test_complete_example_agrees_with_the_reference_on_pure_functions():
    import torch

    complete = nbformat.read(SUBMISSIONS / "complete.ipynb", as_version=4)
    keep = [c for c in complete.cells if c.id == "setup" or "stub" in c.metadata.get("sheet_3_2", {})]
    ns = _run_notebook(nbformat.v4.new_notebook(cells=keep))
    gen = torch.Generator().manual_seed(0)
    start, end = torch.randn(12, generator=gen), torch.randn(12, generator=gen)
    assert ns["best_span"](start, end, 4) == ref.best_span(start, end, 4)
    for step in range(0, 25, 3):
        kwargs = {"base_lr": 0.1, "total_steps": 20, "warmup_steps": 4, "min_lr": 0.01}
        assert ns["cosine_lr"](step, **kwargs) == pytest.approx(ref.cosine_lr(step, **kwargs))
    losses = [3.0, 2.0, 2.5, 1.9, 2.6, 2.7, 1.0]
    assert ns["early_stopping"](losses, 2, 0.2) == ref.early_stopping(losses, 2, 0.2)
    assert ns["HEAD_FOR_TASK"] == ref.HEAD_FOR_TASK and ns["FOX_ANSWER_SPAN"] == ref.FOX_ANSWER_SPAN
    logits, ids = torch.randn(3, 5, 2), torch.tensor([[0, 0, 3, 4, 5], [3, 4, 0, 0, 0], [0] * 5])
    assert torch.equal(ns["pool_last_token"](logits, ids, 0), ref.pool_last_token(logits, ids, 0))


def _hidden_marks() -> list[dict]:
    """Each hidden test's points, exercise and timeout markers (the modules imported, never run)."""
    import sys
    import warnings

    hidden = ROOT / "tests" / "hidden" / "sheet_3_2"
    sys.path.insert(0, str(hidden))
    tests = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _load_module(hidden / "conftest.py", "_hidden_marks_conftest")  # the hypothesis profile
        for path in sorted(hidden.glob("test_*.py")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = _load_module(path, f"_hidden_marks_{path.stem}")
            for name, fn in vars(module).items():
                if name.startswith("test_") and callable(fn):
                    marks = {m.name: m.args for m in getattr(fn, "pytestmark", [])}
                    cases = len(marks["parametrize"][1]) if "parametrize" in marks else 1
                    tests.append({"name": name, "points": marks["points"][0] * cases,
                                  "exercise": marks["exercise"][0], "timeout": (marks.get("timeout") or (None,))[0]})
    finally:
        sys.path.remove(str(hidden))
    return tests


def test_notebook_states_what_the_grader_uses(notebook):
    """Points per exercise, thresholds, settings and time limits: the notebook and the grader agree."""
    from autograder.config import load_config

    config = load_config(ROOT / "course_config.py")
    points = config.sheet("sheet_3_2").points
    text = "\n".join(cell.source for cell in notebook.cells)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    marks = _hidden_marks()
    for exercise, pts in points.items():
        assert any(exercise.lower() in h.lower() and f"({pts:g} points)" in h for h in headings), exercise
        total = sum(m["points"] for m in marks if m["exercise"] == exercise)
        assert total == pts, (exercise, total, pts)
    assert f"below **{ref.LSTM_NLL_THRESHOLD}**" in text
    assert f"at least **{ref.QA_ACCURACY_THRESHOLD:.0%}**" in text
    assert f"n_steps={ref.QA_SETTINGS['n_steps']}, lr={ref.QA_SETTINGS['lr']}" in text
    assert f"n_iters={ref.LSTM_SETTINGS['n_iters']}, lr={ref.LSTM_SETTINGS['lr']}" in text
    assert f"**{ref.QA_BATCH_RANGE[0]} to {ref.QA_BATCH_RANGE[1]} examples**" in text
    timeouts = {m["name"]: m["timeout"] for m in marks if m["timeout"]}
    assert timeouts["test_train_extractive_qa_learns"] == ref.QA_TRAINING_TIMEOUT
    assert timeouts["test_train_char_lstm_learns_the_names"] == ref.LSTM_TRAINING_TIMEOUT
    assert f"`train_char_lstm`\n  {ref.LSTM_TRAINING_TIMEOUT} s" in text or \
        f"`train_char_lstm` {ref.LSTM_TRAINING_TIMEOUT} s" in " ".join(text.split())
    assert f"`train_extractive_qa` {ref.QA_TRAINING_TIMEOUT} s" in " ".join(text.split())
    assert f"each call it makes to your code within {config.limits.test_timeout_s:g} s" in " ".join(text.split())
