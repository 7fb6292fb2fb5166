"""Do a sheet's parts agree on points and exercise ids? Read with ``ast`` before anything is graded.

The release gate (:mod:`autograder.release.gate`) runs these checks with its other static ones, so a
sheet whose config and hidden suite disagree is refused in seconds, not after minutes of training,
and each problem is named once, with what to fix:

- ``points``: per exercise, the hidden tests' ``points`` markers add up to the course config's
  points (a parametrized test counts once per case); the totals are shown with the first problem;
- ``exercise ids``: the ids of the hidden tests' ``exercise`` markers, the reference's ``CONTRACT``,
  the master's check cells and the public checks' ``CHECKS`` are all exercises of the course config,
  and every exercise of the config has a hidden test. A marker with an unknown id that is close to a
  known one whose points it would complete is one problem (a typo), not two;
- ``public checks``: every check ``CHECKS`` lists is defined, every ``check_*`` is listed, and every
  name a check needs (``@needs``) or reads (``ns.NAME``) is in the contract or defined by the notebook.

Whatever cannot be read statically (a marker whose value is not a constant, a parametrization
that cannot be counted) is left to the grading checks and said in a note, never guessed.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.authoring.reference import ReferencePackage, reference_modules
from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig
from autograder.release.signatures import notebook_definitions

NS_METHODS = frozenset({"has", "make", "make_handle", "reseed", "session", "_namespace"})


@dataclass(frozen=True)
class MarkedTest:
    nodeid: str
    exercise: str | None  # None: no readable exercise marker
    points: float | None  # the test's points times its number of cases; None: not readable
    marked: bool  # has both markers


@dataclass
class Consistency:
    points: list[str]
    exercise_ids: list[str]
    public_checks: list[str]
    notes: list[str]


# --------------------------------------------------------------------------- the hidden suite


def _mark(decorator: ast.expr, name: str) -> ast.Call | None:
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Attribute) \
            and node.value.attr == "mark":
        return decorator if isinstance(decorator, ast.Call) else ast.Call(node, [], [])
    return None


def _module_values(tree: ast.Module) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            values.update({t.id: value for t in targets if isinstance(t, ast.Name)})
    return values


def _value(node: ast.expr, values: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return values.get(node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("sorted", "list", "tuple") \
            and len(node.args) == 1:
        inner = _value(node.args[0], values)
        return list(inner) if isinstance(inner, (dict, list, tuple, set, str)) else None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _cases(function: ast.FunctionDef | ast.AsyncFunctionDef, values: dict[str, Any]) -> int | None:
    """How many items pytest makes of the test (its parametrizations multiplied); None if unknown."""
    count = 1
    for decorator in function.decorator_list:
        call = _mark(decorator, "parametrize")
        if call is None:
            continue
        argvalues = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "argvalues"), None)
        cases = _value(argvalues, values) if argvalues is not None else None
        if not isinstance(cases, (list, tuple, dict, set)):
            return None
        count *= len(cases)
    return count


def marked_tests(hidden_dir: Path) -> list[MarkedTest]:
    """Every top-level ``test_*`` function of the hidden suite with its exercise and points."""
    tests = []
    for path in sorted(hidden_dir.rglob("test_*.py")):
        try:
            tree = pysource.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue  # the grading checks report a suite that does not import
        values = _module_values(tree)
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
                continue
            exercise_call = next(filter(None, (_mark(d, "exercise") for d in node.decorator_list)), None)
            points_call = next(filter(None, (_mark(d, "points") for d in node.decorator_list)), None)
            exercise = _value(exercise_call.args[0], values) if exercise_call and exercise_call.args else None
            points = _value(points_call.args[0], values) if points_call and points_call.args else None
            cases = _cases(node, values)
            total = float(points) * cases if isinstance(points, (int, float)) and cases is not None else None
            tests.append(MarkedTest(f"{path.relative_to(hidden_dir).as_posix()}::{node.name}",
                                    str(exercise) if exercise is not None else None, total,
                                    exercise_call is not None and points_call is not None))
    return tests


# --------------------------------------------------------------------------- the other parts


def contract_table(config: CourseConfig, sheet: SheetConfig) -> dict[str, tuple[str, ...]] | None:
    """The reference's ``CONTRACT`` (``{exercise: names}``), or None when it has none (or it is unreadable)."""
    modules = reference_modules(config, sheet)
    if sheet.reference_module not in modules:
        return None
    try:
        tree = ReferencePackage(modules).trees[sheet.reference_module]
    except (OSError, SyntaxError, ValueError):
        return None
    value = _module_values(tree).get("CONTRACT")
    return {str(k): tuple(v) for k, v in value.items()} if isinstance(value, dict) else None


def master_exercises(config: CourseConfig, sheet: SheetConfig) -> list[str]:
    """The exercise ids of the master's ``:autograder: check <exercise>`` cells."""
    from autograder.authoring.master import directive, read_master
    from autograder.core.errors import AssignError

    if sheet.master is None or not config.resolve(sheet.master).is_file():
        return []
    try:
        master = read_master(config.resolve(sheet.master))
        kinds = [directive(cell, "") for cell in master.cells]
    except AssignError:
        return []  # the notebook step reports a broken master
    return [argument for kind, argument in kinds if kind == "check" and argument]


def _checks_table(tree: ast.Module) -> dict[str, list[str]] | None:
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "CHECKS" and isinstance(value, ast.Dict):
            return {str(key.value): [item.id for item in items.elts if isinstance(item, ast.Name)]
                    for key, items in zip(value.keys, value.values)
                    if isinstance(key, ast.Constant) and isinstance(items, (ast.List, ast.Tuple))}
    return None


def _needed(function: ast.FunctionDef) -> set[str]:
    """Names the check declares with ``@needs(...)`` and reads as ``ns.NAME``."""
    names: set[str] = set()
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name) and decorator.func.id == "needs":
            names |= {a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ns":
            names.add(node.attr)
    return names - NS_METHODS


def public_check_problems(config: CourseConfig, sheet: SheetConfig, known: set[str]) -> tuple[list[str], dict[str, list[str]]]:
    """``(problems, CHECKS table)``: checks listed but missing, defined but unlisted, needing unknown names."""
    if not sheet.public_checks:
        return [], {}
    path = config.resolve(sheet.assignment_dir) / sheet.public_checks
    try:
        tree = pysource.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as exc:
        return [f"{path.name} cannot be read or parsed: {exc}"], {}
    table = _checks_table(tree)
    if table is None:
        return [f"{path.name} has no CHECKS table ({{exercise: [check_..., ...]}}): add one"], {}
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    listed = {name for names in table.values() for name in names}
    problems = []
    for exercise, names in table.items():
        for name in names:
            function = functions.get(name)
            if function is None:
                problems.append(f"{path.name}: CHECKS[{exercise!r}] lists {name}, which the file does not define: "
                                "define it or remove it from CHECKS")
                continue
            for missing in sorted(_needed(function) - known):
                problems.append(f"{path.name}: {name} (exercise {exercise}) uses {missing}, which neither the "
                                "reference's contract nor the notebook defines: fix the name, or add it to "
                                "the contract and the notebook")
    problems += [f"{path.name}: {name} is defined but not listed in CHECKS, so it never runs: add it to its "
                 "exercise's list" for name in sorted(functions.keys() - listed) if name.startswith("check_")]
    return problems, table


# --------------------------------------------------------------------------- points and ids


def _points(tests: list[MarkedTest]) -> tuple[dict[str, float], set[str]]:
    sums: dict[str, float] = {}
    unreadable: set[str] = set()
    for test in tests:
        if test.exercise is None:
            continue
        if test.points is None:
            unreadable.add(test.exercise)
        else:
            sums[test.exercise] = sums.get(test.exercise, 0.0) + test.points
    return sums, unreadable


def check_consistency(config: CourseConfig, sheet: SheetConfig) -> Consistency:
    """Points, exercise ids and public checks of ``sheet``, read without importing or grading anything."""
    result = Consistency([], [], [], [])
    want = {str(k): float(v) for k, v in sheet.points.items()}
    tests = marked_tests(config.resolve(sheet.hidden_dir))
    result.exercise_ids += [f"{t.nodeid} lacks a points or exercise marker: add @pytest.mark.points(n) and "
                            "@pytest.mark.exercise(id)" for t in tests if not t.marked]
    result.notes += [f"{t.nodeid}: its exercise marker is not a constant; the grading checks its points"
                     for t in tests if t.marked and t.exercise is None]
    sums, unreadable = _points(tests)
    result.notes += [f"exercise {ex}: a test's points or parametrization cannot be counted statically; the "
                     "grading checks its points" for ex in sorted(unreadable)]
    explained: set[str] = set()
    for unknown in sorted(sums.keys() - want.keys()):
        marked_by = ", ".join(t.nodeid for t in tests if t.exercise == unknown)
        close = difflib.get_close_matches(unknown, list(want), n=1, cutoff=0.6)
        if close and close[0] not in unreadable and abs(want[close[0]] - sums.get(close[0], 0.0) - sums[unknown]) < 1e-9:
            explained.add(close[0])
            result.exercise_ids.append(f"{marked_by} marked exercise {unknown!r}, which the course config does not "
                                       f"have; did you mean {close[0]!r}? (its tests give {sums.get(close[0], 0):g} "
                                       f"of its {want[close[0]]:g} points without it): fix the marker")
        else:
            result.exercise_ids.append(f"{marked_by} marked exercise {unknown!r}, which the course config does not "
                                       f"have (it has {', '.join(want)}): fix the marker or add {unknown!r} "
                                       "to the sheet's points")
    for exercise, points in want.items():
        if exercise not in sums and exercise not in unreadable and exercise not in explained:
            result.exercise_ids.append(f"exercise {exercise} of the course config has no hidden test: write one "
                                       "or remove it from the sheet's points")
        elif exercise in sums and exercise not in unreadable | explained and abs(sums[exercise] - points) > 1e-9:
            result.points.append(f"exercise {exercise}: the hidden tests' points markers add up to "
                                 f"{sums[exercise]:g}, the course config gives {points:g}: change "
                                 "the markers or the config")
    if result.points:
        total = sum(sums.values())
        result.points[0] += f" (in total: hidden tests {total:g}, course config {sum(want.values()):g})"
    contract = contract_table(config, sheet)
    known = set(want)
    for source, ids in (("the reference's CONTRACT", list(contract or {})),
                        (f"the master ({sheet.master})", master_exercises(config, sheet))):
        result.exercise_ids += [f"{source} has exercise {ex!r}, which the course config does not: rename it "
                                f"to one of {', '.join(want)}" for ex in dict.fromkeys(ids) if ex not in known]
    if contract is not None:
        result.exercise_ids += [f"exercise {ex} of the course config is missing from the reference's CONTRACT: "
                                "list its names there" for ex in want if ex not in contract]
    names = {name for group in (contract or {}).values() for name in group}
    if contract is None:
        try:
            names = set(ReferencePackage(reference_modules(config, sheet)).contract(sheet.reference_module))
        except (KeyError, OSError, SyntaxError, ValueError):
            names = set()
    notebook = config.resolve(sheet.assignment_dir) / sheet.notebook
    try:
        defined = set(notebook_definitions(notebook)[0]) if notebook.is_file() else set()
    except (OSError, ValueError):
        defined = set()
    problems, table = public_check_problems(config, sheet, names | defined)
    result.public_checks += problems
    result.exercise_ids += [f"{sheet.public_checks}: CHECKS has exercise {ex!r}, which the course config does "
                            f"not: rename it to one of {', '.join(want)}" for ex in table if ex not in known]
    return result
