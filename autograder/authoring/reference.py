"""The reference package read as source: its definitions, signatures and modules, parsed with ``ast``, never imported.

Authoring writes stub cells from it (:mod:`autograder.authoring.stubs`) and the release gate compares
the notebook's stubs with it (:mod:`autograder.release.signatures`): one parser for both. The reference
package is followed through ``from .module import name`` to each definition.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig

Params = tuple[tuple[str, str, str], ...]
"""``(kind, name, default)`` per parameter; kind is posonly, arg, vararg, kwonly or kwarg."""


@dataclass(frozen=True)
class Definition:
    kind: str  # function, class, constant
    params: Params = ()
    methods: dict[str, Params] = field(default_factory=dict)
    stub: bool = False
    where: str = ""


# --------------------------------------------------------------------------- parsing


def _default(node: ast.expr | None) -> str:
    if node is None:
        return ""
    try:
        return repr(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.unparse(node)


def params_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Params:
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = [("posonly" if i < len(a.posonlyargs) else "arg", p.arg, _default(d))
           for i, (p, d) in enumerate(zip(positional, defaults))]
    if a.vararg:
        out.append(("vararg", a.vararg.arg, ""))
    out += [("kwonly", p.arg, _default(d)) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append(("kwarg", a.kwarg.arg, ""))
    return tuple(out)


def render_params(params: Params) -> str:
    parts, star_done = [], False
    for i, (kind, name, default) in enumerate(params):
        if kind == "kwonly" and not star_done:
            parts.append("*")
            star_done = True
        prefix = {"vararg": "*", "kwarg": "**"}.get(kind, "")
        star_done = star_done or kind == "vararg"
        parts.append(f"{prefix}{name}" + (f"={default}" if default else ""))
        if kind == "posonly" and (i + 1 == len(params) or params[i + 1][0] != "posonly"):
            parts.append("/")
    return "(" + ", ".join(parts) + ")"


def _raises_not_implemented(body: list[ast.stmt]) -> bool:
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def definitions(tree: ast.Module, where: str) -> dict[str, Definition]:
    """Top-level functions, classes and assigned names; a later definition replaces an earlier one."""
    found: dict[str, Definition] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = Definition("function", params_of(node),
                                          stub=_raises_not_implemented(node.body), where=where)
        elif isinstance(node, ast.ClassDef):
            methods = {m.name: params_of(m) for m in node.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
            found[node.name] = Definition("class", methods=methods, stub=_raises_not_implemented(node.body),
                                          where=where)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            is_none = isinstance(node.value, ast.Constant) and node.value.value is None
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = Definition("constant", stub=is_none, where=where)
    return found


# --------------------------------------------------------------------------- the reference


class ReferencePackage:
    """The reference's modules as syntax trees, keyed by dotted module name."""

    def __init__(self, modules: dict[str, tuple[bool, Path]]) -> None:
        self.files = modules
        self.sources = {name: path.read_text(encoding="utf-8") for name, (_, path) in modules.items()}
        self.trees = {name: pysource.parse(source) for name, source in self.sources.items()}

    def resolve_from(self, module: str, node: ast.ImportFrom) -> str | None:
        if node.level:
            is_package = self.files[module][0]
            base = module.split(".")
            base = base if is_package else base[:-1]
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        return target if target in self.trees else None

    def resolve(self, module: str, name: str) -> Definition | None:
        """The definition ``name`` has in ``module``, following imports inside the package."""
        located = self.locate(module, name)
        if located is None:
            return None
        source, node = located
        return definitions(ast.Module(body=[node], type_ignores=[]), source).get(name)

    def locate(self, module: str, name: str, depth: int = 0) -> tuple[str, ast.stmt] | None:
        """``(module, node)`` of the top-level statement that defines ``name``, following imports in the package."""
        if depth > 20 or module not in self.trees:
            return None
        tree = self.trees[module]
        found: ast.stmt | None = None
        for node in tree.body:  # a later definition replaces an earlier one, as in definitions()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    found = node
        if found is not None:
            return module, found
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                source = self.resolve_from(module, node)
                for alias in node.names:
                    if source and (alias.asname or alias.name) == name:
                        return self.locate(source, alias.name, depth + 1)
        return None

    def contract(self, top: str) -> list[str]:
        tree = self.trees[top]
        for wanted in ("CONTRACT", "__all__"):
            for node in tree.body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id == wanted for t in targets) and node.value:
                        value = ast.literal_eval(node.value)
                        if isinstance(value, dict):
                            return [name for names in value.values() for name in names]
                        return list(value)
        names = [n for n in definitions(tree, top) if not n.startswith("_")]
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and self.resolve_from(top, node):
                names += [a.asname or a.name for a in node.names if not (a.asname or a.name).startswith("_")]
        return names


def reference_modules(config: CourseConfig, sheet: SheetConfig) -> dict[str, tuple[bool, Path]]:
    """``{module name: (is package, file)}``: the reference module, its submodules and its parents' ``__init__``."""
    parts = sheet.reference_module.split(".")
    found: dict[str, tuple[bool, Path]] = {}
    for i in range(1, len(parts) + 1):
        name, base = ".".join(parts[:i]), config.root.joinpath(*parts[:i])
        if (base / "__init__.py").is_file():
            found[name] = (True, base / "__init__.py")
        elif base.with_suffix(".py").is_file():
            found[name] = (False, base.with_suffix(".py"))
    top = config.root.joinpath(*parts)
    if (top / "__init__.py").is_file():
        for path in sorted(top.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            relative = path.relative_to(top).with_suffix("")
            pieces = [*parts, *relative.parts]
            is_package = pieces[-1] == "__init__"
            name = ".".join(pieces[:-1] if is_package else pieces)
            if all((top.joinpath(*relative.parts[:j]) / "__init__.py").is_file() for j in range(len(relative.parts))):
                found[name] = (is_package, path)
    return found
