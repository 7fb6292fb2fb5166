"""Which training checks a known-wrong variant cannot change, so the gate need not run them for it.

A variant (the reference plus cells that redefine some names) differs from the reference only where
its changed names are used. The training checks (hidden tests with a ``timeout`` marker: they train
a model, nearly all of a grading's cost) of an exercise the variant neither declares (``# exercise:``,
``# also:``) nor reaches give the reference's outcome; the gate reuses that instead of training again.
An exercise is *reached* when a name its tests read from ``student`` (in the test, its module's
helpers and fixtures) leads, through the names the reference's and the variant's top-level
definitions use, to a changed name. Everything is read with ``ast``, nothing imported; whatever the
analysis cannot follow (a dynamic ``getattr(student, ...)``, a variant cell that does more than
define names) counts as reaching everything, so the answer errs on the side of running a check.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from autograder.core import pysource

EVERYTHING = "*"  # a name set holding it reaches (or changes) every name


@dataclass(frozen=True)
class HiddenTest:
    nodeid: str  # as the judge reports it: "<file relative to the hidden folder>::<function>"
    exercise: str | None  # None when the marker's value cannot be read statically
    training: bool  # carries a ``timeout`` marker
    names: frozenset[str]  # what it reads from ``student``


def _marker(decorator: ast.expr, name: str) -> ast.Call | None:
    """``@pytest.mark.<name>(...)`` (or ``@mark.<name>(...)``), else None."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Attribute) \
            and node.value.attr == "mark":
        return decorator if isinstance(decorator, ast.Call) else ast.Call(node, [], [])
    return None


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _student_names(node: ast.AST) -> set[str]:
    """``student.X``, ``student.has("X")`` and ``getattr(student, "X")`` in ``node``; EVERYTHING if dynamic."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "student":
            names.add(sub.attr)
        if isinstance(sub, ast.Call):
            target = sub.args[1] if (isinstance(sub.func, ast.Name) and sub.func.id in ("getattr", "hasattr")
                                     and len(sub.args) > 1 and isinstance(sub.args[0], ast.Name)
                                     and sub.args[0].id == "student") else \
                sub.args[0] if (isinstance(sub.func, ast.Attribute) and sub.func.attr == "has" and sub.args) else None
            if target is not None:
                names.add(target.value if isinstance(target, ast.Constant) and isinstance(target.value, str)
                          else EVERYTHING)
    return names - {"has", "make", "make_handle", "reseed", "session"}  # the proxy's own methods


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def hidden_tests(hidden_dir: Path) -> list[HiddenTest]:
    """Every top-level ``test_*`` function of the hidden suite, with its exercise, kind and student names."""
    conftest = hidden_dir / "conftest.py"
    shared = _functions(pysource.parse(conftest.read_text(encoding="utf-8"))) if conftest.is_file() else {}
    tests = []
    for path in sorted(hidden_dir.rglob("test_*.py")):
        tree = pysource.parse(path.read_text(encoding="utf-8"))
        constants, local = _constants(tree), _functions(tree)
        helpers = {**shared, **local}
        for name, node in local.items():
            if not name.startswith("test"):
                continue
            exercise = None
            for decorator in node.decorator_list:
                call = _marker(decorator, "exercise")
                if call is not None and call.args:
                    arg = call.args[0]
                    exercise = (arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                else constants.get(arg.id) if isinstance(arg, ast.Name) else None)
            training = any(_marker(d, "timeout") is not None for d in node.decorator_list)
            tests.append(HiddenTest(f"{path.relative_to(hidden_dir).as_posix()}::{name}", exercise, training,
                                    frozenset(_reads(node, helpers))))
    return tests


def _reads(test: ast.AST, helpers: Mapping[str, ast.AST]) -> set[str]:
    """Student names read by ``test`` and the helpers and fixtures it uses (by name), transitively."""
    seen: set[str] = set()
    pending = [test]
    names: set[str] = set()
    while pending:
        node = pending.pop()
        names |= _student_names(node)
        used = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            used |= {arg.arg for arg in node.args.args}
        for name in used & helpers.keys() - seen:
            seen.add(name)
            pending.append(helpers[name])
    return names


def uses_graph(sources: Iterable[str]) -> dict[str, set[str]]:
    """For each top-level name the sources define, the names its definition uses."""
    graph: dict[str, set[str]] = {}
    for source in sources:
        for node in pysource.parse(source).body:
            used = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
            for name in _bound(node) or ():
                graph.setdefault(name, set()).update(used - {name})
    return graph


def _bound(node: ast.stmt) -> set[str] | None:
    """The names a top-level statement binds; None when it does something else (any effect)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    if isinstance(node, ast.Import):
        return {alias.asname for alias in node.names if alias.asname}  # `import math` changes nothing
    if isinstance(node, ast.ImportFrom):
        return {alias.asname or alias.name for alias in node.names}
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return set()  # a docstring or a bare constant
    return None


def changed_names(cells: Iterable[str]) -> set[str]:
    """The names a variant's cells (re)define; EVERYTHING when a cell does more than define names."""
    changed: set[str] = set()
    for source in cells:
        try:
            tree = pysource.parse(source)
        except SyntaxError:
            return {EVERYTHING}
        for node in tree.body:
            bound = _bound(node)
            if bound is None:
                return {EVERYTHING}
            changed |= bound
    return changed


def reached_exercises(tests: Iterable[HiddenTest], graph: Mapping[str, set[str]], changed: set[str]) -> set[str]:
    """The exercises whose tests' student names lead (through ``graph``) to a ``changed`` name."""
    by_exercise: dict[str, set[str]] = {}
    for test in tests:
        by_exercise.setdefault(test.exercise or EVERYTHING, set()).update(test.names)
    reached = set()
    for exercise, names in by_exercise.items():
        if EVERYTHING in changed or EVERYTHING in names:
            reached.add(exercise)
            continue
        seen, pending = set(names), list(names)
        while pending:
            for used in graph.get(pending.pop(), ()):
                if used not in seen:
                    seen.add(used)
                    pending.append(used)
        if seen & changed:
            reached.add(exercise)
    return reached


def reusable_training_checks(tests: list[HiddenTest], graph: Mapping[str, set[str]], cells: list[str],
                             declared: set[str]) -> list[str]:
    """Node ids of the training checks a variant cannot change: of exercises it neither declares nor
    reaches. Empty for a variant that declares nothing (the gate then runs everything)."""
    if not declared:
        return []
    changed = changed_names(cells)
    variant_graph = uses_graph(cells) if EVERYTHING not in changed else {}
    merged = {name: set(graph.get(name, ())) | variant_graph.get(name, set()) for name in {*graph, *variant_graph}}
    reached = reached_exercises(tests, merged, changed)
    return [test.nodeid for test in tests if test.training and test.exercise is not None
            and test.exercise not in declared and test.exercise not in reached and EVERYTHING not in reached]
