"""The import rules of docs/architecture.md: every import follows its package's row, and no module cycle.

The table in docs/architecture.md is the rule (its "may import" column); this test reads it, so
the page and the check cannot drift apart. Imports inside functions count (a lazy import is still a
dependency); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "autograder"
DOC = ROOT / "docs" / "architecture.md"
TOP_LEVEL = {"api": "api", "api_outcomes": "api", "__init__": "core", "__main__": "cli"}  # top-level modules and their rows
STUDENT_THIRD_PARTY = {"IPython", "jinja2", "markupsafe"}  # what every Jupyter kernel has (markupsafe comes with jinja2)


def rules(doc: Path = DOC) -> dict[str, set[str]]:
    """``{package: packages it may import}`` from the doc's table."""
    found: dict[str, set[str]] = {}
    names: list[str] = []
    rows = []
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and (m := re.fullmatch(r"`(\w+)`", cells[0])):
            names.append(m.group(1))
            rows.append((m.group(1), cells[2]))
    for name, allowed in rows:
        if allowed.startswith("every package but"):
            found[name] = set(names) - {name} - set(re.findall(r"`(\w+)`", allowed))
        elif allowed.startswith("every package"):
            found[name] = set(names) - {name}
        else:
            found[name] = set(re.findall(r"`(\w+)`", allowed))
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"  # autograder/__init__.py: the version only
    if len(parts) == 2 and (PACKAGE / f"{parts[1]}.py").is_file():
        return TOP_LEVEL.get(parts[1], parts[1])
    return parts[1]


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            for other in node.orelse:
                yield from _imports(other)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            # importlib.import_module("autograder.pages") is an import too
            yield ast.Import(names=[ast.alias(name=node.args[0].value)], lineno=node.lineno)
        yield from _imports(node)


def imported(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """``(module of the project it imports, line)`` for every import in ``path``; third-party as ``'third:<name>'``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _imports(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            if target.split(".")[0] != "autograder":
                yield f"third:{target.split('.')[0]}", node.lineno
                continue
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            yield target, node.lineno


def project_graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """``{module: {imported module or third:<name>: line}}`` for every module of the package."""
    files = {module_name(p): p for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    known = set(files)
    return {module: {target: line for target, line in imported(module, path, known) if target != module}
            for module, path in files.items()}


def violations(graph: dict[str, dict[str, int]], allowed: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        own = package_of(module)
        for target, line in sorted(targets.items()):
            if target.startswith("third:"):
                name = target.removeprefix("third:")
                if own == "student" and name not in sys.stdlib_module_names and name not in STUDENT_THIRD_PARTY:
                    found.append(f"{module}:{line} imports {name}: the student side needs only the standard "
                                 f"library and {', '.join(sorted(STUDENT_THIRD_PARTY))}")
                continue
            other = package_of(target)
            if other != own and other not in allowed.get(own, set()):
                found.append(f"{module}:{line} imports {target}: {own} may import only "
                             f"{', '.join(sorted(allowed.get(own, ()))) or 'nothing of the project'}")
    return found


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    edges = {m: [t for t in targets if t in graph] for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_cycles(allowed: dict[str, set[str]]) -> list[str]:
    """The rule table itself must be a hierarchy: no package may reach itself through what it may import."""
    graph = {p: {q: 0 for q in targets if q in allowed} for p, targets in allowed.items()}
    return [" -> ".join(c) for c in cycles(graph)]


# --------------------------------------------------------------------------- the tests


def test_the_table_names_every_package_and_is_a_hierarchy() -> None:
    allowed = rules()
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages - set(allowed) == set(), "a package without a row in docs/architecture.md"
    assert set(allowed) - packages - set(TOP_LEVEL.values()) == set(), "a row for a package that does not exist"
    assert package_cycles(allowed) == []


def test_every_import_follows_its_packages_row() -> None:
    assert violations(project_graph(), rules()) == []


def test_no_import_cycle_between_modules() -> None:
    assert cycles(project_graph()) == []


# The checks themselves fail on what they exist to catch.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "autograder"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _tree(tmp_path, {
        "__init__.py": "", "core/__init__.py": "", "core/config.py": "",
        "sandbox/__init__.py": "", "sandbox/runtime.py": "from autograder.judge import runner\n",
        "judge/__init__.py": "", "judge/runner.py": "from autograder.sandbox import runtime\n",
        "student/__init__.py": "", "student/client.py": "def f():\n    import torch\n",
        "outputs/__init__.py": "", "outputs/feedback.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from autograder.judge import runner\n"),
    })
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", root)
    return root


def test_an_upward_import_a_cycle_and_a_heavy_student_import_are_caught(fake_package: Path) -> None:
    allowed = {"core": set(), "sandbox": {"core"}, "judge": {"core", "sandbox"}, "student": set(),
               "outputs": {"core"}}
    graph = project_graph(fake_package)
    found = violations(graph, allowed)
    assert any("autograder.sandbox.runtime:1 imports autograder.judge.runner" in v for v in found)
    assert any("autograder.student.client:2 imports torch" in v for v in found)
    assert not any("outputs.feedback" in v for v in found)  # TYPE_CHECKING only
    assert cycles(graph) == [["autograder.judge.runner", "autograder.sandbox.runtime"]]
    assert package_cycles({"a": {"b"}, "b": {"a"}}) == ["a -> b"]


def test_the_doc_table_is_what_is_enforced(tmp_path: Path) -> None:
    doc = tmp_path / "architecture.md"
    doc.write_text("| package | job | may import | must never |\n|---|---|---|---|\n"
                   "| `core` | x | (nothing) | y |\n| `judge` | x | `core` | y |\n"
                   "| `api` | x | every package but `cli` | y |\n| `cli` | x | every package | y |\n")
    assert rules(doc) == {"core": set(), "judge": {"core"}, "api": {"core", "judge"},
                          "cli": {"core", "judge", "api"}}
