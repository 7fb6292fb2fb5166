"""Do the notebook's stubs match the reference? Names, kinds and signatures, by parsing both with ``ast``.

Nothing is imported or run: the notebook's code cells are translated the way the sandbox translates
them (IPython magics become calls) and parsed; the reference package's modules are parsed and its
exported names followed through ``from .module import name`` to their definitions.

The contract is the reference's ``CONTRACT`` (``{exercise: (name, ...)}``) when it has one, else its
``__all__``, else the public names its top module defines or imports from inside the package.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

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


def notebook_cells(path: Path) -> list[tuple[int, str]]:
    """``(cell index, Python source)`` of the notebook's code cells, magics translated as in the sandbox."""
    from IPython.core.inputtransformer2 import TransformerManager

    data = json.loads(path.read_text(encoding="utf-8"))
    manager = TransformerManager()
    cells = []
    for index, cell in enumerate(data.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append((index, manager.transform_cell(source)))
    return cells


def notebook_definitions(path: Path) -> tuple[dict[str, Definition], list[str]]:
    """What the notebook defines at top level (later cells win), and cells that do not parse."""
    found: dict[str, Definition] = {}
    errors = []
    for index, source in notebook_cells(path):
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            errors.append(f"notebook cell {index} is not valid Python: {exc.msg} (line {exc.lineno})")
            continue
        found.update(definitions(tree, f"cell {index}"))
    return found, errors


# --------------------------------------------------------------------------- the reference


class ReferencePackage:
    """The reference's modules as syntax trees, keyed by dotted module name."""

    def __init__(self, modules: dict[str, tuple[bool, Path]]) -> None:
        self.files = modules
        self.sources = {name: path.read_text(encoding="utf-8") for name, (_, path) in modules.items()}
        self.trees = {name: ast.parse(source) for name, source in self.sources.items()}

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


# --------------------------------------------------------------------------- comparing


def compare(notebook: dict[str, Definition], reference: dict[str, Definition | None]) -> tuple[list[str], list[str]]:
    """``(problems, notes)``: every contract name must be defined alike in both."""
    problems, notes = [], []
    for name, want in reference.items():
        got = notebook.get(name)
        if want is None:
            problems.append(f"{name}: in the reference's contract but not defined in the reference")
            continue
        if got is None:
            problems.append(f"{name}: the reference defines it, the notebook does not")
            continue
        if got.kind != want.kind:
            problems.append(f"{name}: a {want.kind} in the reference but a {got.kind} in the notebook ({got.where})")
            continue
        if want.kind == "function" and got.params != want.params:
            problems.append(f"{name}: signature {name}{render_params(got.params)} in the notebook ({got.where}), "
                            f"{name}{render_params(want.params)} in the reference")
        if want.kind == "class":
            if "__init__" in want.methods and "__init__" not in got.methods:
                problems.append(f"{name}: the notebook's class has no __init__; the reference's takes "
                                f"{render_params(want.methods['__init__'])}")
            for method in sorted(want.methods.keys() & got.methods.keys()):
                if want.methods[method] != got.methods[method]:
                    problems.append(f"{name}.{method}: {render_params(got.methods[method])} in the notebook, "
                                    f"{render_params(want.methods[method])} in the reference")
        if not got.stub:
            notes.append(f"{name} in the notebook ({got.where}) is not a stub (no NotImplementedError, not None)")
    for name, got in notebook.items():
        if name in reference or not got.stub or (got.kind == "constant" and not name.isupper()):
            continue
        problems.append(f"{name}: a stub in the notebook ({got.where}) that the reference's contract lacks")
    return problems, notes


def check_stubs(config: CourseConfig, sheet: SheetConfig) -> tuple[list[str], list[str], int]:
    """``(problems, notes, contract size)`` for the sheet's notebook against its reference."""
    notebook_path = config.resolve(sheet.assignment_dir) / sheet.notebook
    if not notebook_path.is_file():
        return [f"the notebook {notebook_path} does not exist"], [], 0
    modules = reference_modules(config, sheet)
    if sheet.reference_module not in modules:
        return [f"the reference module {sheet.reference_module} was not found under {config.root}"], [], 0
    try:
        package = ReferencePackage(modules)
        names = package.contract(sheet.reference_module)
    except (SyntaxError, ValueError) as exc:
        return [f"the reference could not be parsed: {exc}"], [], 0
    try:
        got, errors = notebook_definitions(notebook_path)
    except (OSError, ValueError) as exc:
        return [f"the notebook could not be read: {exc}"], [], 0
    wanted = {name: package.resolve(sheet.reference_module, name) for name in names}
    problems, notes = compare(got, wanted)
    return errors + problems, notes, len(wanted)
