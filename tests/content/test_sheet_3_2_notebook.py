"""The Sheet 3.2 student notebook: built from its master, valid, runnable untouched, in step with the reference.

The notebook is what ``autograder assign sheet_3_2`` builds from ``sheets/sheet_3_2/master.md``; the
numbers it states are checked against the grader's own (course_config and the reference). It is never
imported: its stubs are compared with the reference by parsing both with ``ast``; running it (and
the master) uses ``exec`` of the code cells in a fresh namespace (no kernel needed).
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
MASTER = ROOT / "sheets" / "sheet_3_2" / "master.md"
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
def config():
    from autograder.core.config import load_config

    return load_config(ROOT / "course_config.py")


def _stub_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "stub" in c.metadata.get("autograder", {})]


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


def test_notebook_is_valid_and_exactly_what_assign_builds(notebook, config):
    from autograder.authoring.build import build_notebook

    nbformat.validate(notebook)
    sheet = config.sheet("sheet_3_2")
    assert config.resolve(sheet.master) == MASTER
    assert build_notebook(config, sheet) == NOTEBOOK.read_text(encoding="utf-8"), \
        "sheet_3_2.ipynb is stale: run `autograder assign sheet_3_2`"
    assert "{{" not in NOTEBOOK.read_text(encoding="utf-8")


def test_every_contract_name_has_exactly_one_stub(notebook):
    stubbed: list[str] = []
    for cell in _stub_cells(notebook):
        names = cell.metadata["autograder"]["stub"]
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
    keep = [c for c in complete.cells if c.id == "setup" or "stub" in c.metadata.get("autograder", {})]
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


def test_notebook_states_what_the_grader_uses(notebook, config):
    """Points, thresholds, settings and time limits: the notebook states the grader's own numbers.

    The numbers are read from where the grader reads them (course_config, the reference, the hidden
    tests' markers), never from the master, so a value written by hand in the master is caught.
    """
    sheet = config.sheet("sheet_3_2")
    points = sheet.exercise_points()  # tests and written answers together, as the headings say
    text = "\n".join(cell.source for cell in notebook.cells)
    flat = " ".join(text.split())
    headings = [line for line in text.splitlines() if line.startswith("#")]
    marks = _hidden_marks()
    for exercise, pts in points.items():
        assert any(exercise.lower() in h.lower() and f"({pts:g} points)" in h for h in headings), exercise
        total = sum(m["points"] for m in marks if m["exercise"] == exercise)
        assert total == sheet.points[exercise], (exercise, total, sheet.points[exercise])
    listed = ", ".join(f"{exercise} ({pts:g})" for exercise, pts in points.items())
    assert f"Points: {listed}; {sheet.total_points:g} in total." in flat
    assert f"{sheet.written_points:g} points are for short **written answers**" in flat
    for question in sheet.written:  # each answer cell says its points and that staff grade them
        unit = "point" if question.points == 1 else "points"
        assert f"(question `{question.id}`, {question.points:g} {unit}, graded by staff)" in text
    assert f"below **{ref.LSTM_NLL_THRESHOLD}**" in text
    assert f"at least **{ref.QA_ACCURACY_THRESHOLD:.0%}**" in text
    assert f"n_steps={ref.QA_SETTINGS['n_steps']}, lr={ref.QA_SETTINGS['lr']}" in text
    assert f"n_iters={ref.LSTM_SETTINGS['n_iters']}, lr={ref.LSTM_SETTINGS['lr']}" in text
    assert f"**{ref.QA_BATCH_RANGE[0]} to {ref.QA_BATCH_RANGE[1]} examples**" in text
    assert (f"scores below {ref.QA_RETRY_BELOW:.0%}, the grader trains it once more from scratch with "
            f"`n_steps={ref.QA_RETRY_STEPS}`") in flat
    assert f"max_length={ref.QA_MAX_LENGTH})" in text
    assert f"about {ref.HELDOUT_NAMES_PER_CATEGORY} names per category" in flat
    timeouts = {m["name"]: m["timeout"] for m in marks if m["timeout"]}
    assert timeouts["test_train_extractive_qa_learns"] == ref.QA_TRAINING_TIMEOUT
    assert timeouts["test_train_char_lstm_learns_the_names"] == ref.LSTM_TRAINING_TIMEOUT
    assert f"`train_char_lstm` {ref.LSTM_TRAINING_TIMEOUT} s" in flat
    assert f"`train_extractive_qa` {ref.QA_TRAINING_TIMEOUT} s" in flat
    assert f"each of your cells within {config.limits.cell_timeout_s:g} s" in flat
    assert f"each call it makes to your code within {config.limits.test_timeout_s:g} s" in flat


def test_stub_docstrings_state_the_training_settings(notebook):
    """The training stubs' docstrings (expanded from the reference) repeat the grader's settings."""
    stubs = "\n".join(cell.source for cell in _stub_cells(notebook))
    lstm, qa = ref.LSTM_SETTINGS, ref.QA_SETTINGS
    flat = " ".join(stubs.split())
    assert (f"n_iters={lstm['n_iters']}, lr={lstm['lr']} (at most {ref.LSTM_TRAINING_TIMEOUT} s) and requires "
            f"a held-out NLL per character below {ref.LSTM_NLL_THRESHOLD}.") in flat
    assert f"mini-batch of {ref.QA_BATCH_RANGE[0]} to {ref.QA_BATCH_RANGE[1]} examples" in flat
    assert (f"n_steps={qa['n_steps']}, lr={qa['lr']}, examples of max_length={ref.QA_MAX_LENGTH} (at most "
            f"{ref.QA_TRAINING_TIMEOUT} s), and requires an exact-match span accuracy of at least "
            f"{ref.QA_ACCURACY_THRESHOLD:.0%}") in flat
    assert (f"a model below {ref.QA_RETRY_BELOW:.0%} is trained once more with n_steps={ref.QA_RETRY_STEPS} "
            "and the better run counts.") in flat


def test_public_check_enforces_the_graders_batch_range():
    """The public check (shipped, so it cannot import the reference) enforces the range the grader states."""
    public_checks = _load_module(SHEET_DIR / "public_checks.py", "public_checks_for_batch_range")
    assert public_checks.QA_BATCH_RANGE == ref.QA_BATCH_RANGE


def test_master_runs_from_its_folder_with_the_reference():
    """The master opens in Jupyter: its cells run from sheets/sheet_3_2/ with the reference's definitions.

    The check cells are left out here (test_public_checks_pass_on_the_reference runs those checks).
    """
    import sys

    import jupytext

    master = jupytext.reads(MASTER.read_text(encoding="utf-8"), fmt="md:myst")
    code = [c for c in master.cells if c.cell_type == "code"]
    assert [c.metadata.get("autograder") for c in code].count("staff") == 1
    cells = [c for c in code if not str(c.metadata.get("autograder", "")).startswith("check")]
    namespace: dict = {"__name__": "__main__"}
    cwd, path = os.getcwd(), list(sys.path)
    os.chdir(MASTER.parent)
    try:
        for cell in cells:
            exec(compile(cell.source, f"<master cell {cell.metadata.get('cell_id')}>", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
        sys.path[:] = path
    assert namespace["COURSE_ROOT"] == ROOT
    for names in ref.CONTRACT.values():
        for name in names:
            assert namespace[name] is getattr(ref, name), name
