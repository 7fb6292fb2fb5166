"""Stub cells: ``from <reference module> import a, b`` in the master, stubs of ``a`` and ``b`` in the notebook.

The stubs are written from the reference's *source*, parsed with ``ast`` and never imported (the
reference package is followed through ``from .module import name`` to each definition, as the
release gate does):

- a function: ``def name(<parameters and defaults as written, annotations dropped>):``, its
  docstring as written, ``raise NotImplementedError``;
- a class: ``class Name(<bases as written>):``, its docstring, then ``__init__`` and every public or
  ``__dunder__`` method, each with signature and docstring; ``__init__`` of a class with bases calls
  ``super().__init__()`` first; ``staticmethod``, ``classmethod`` and ``property`` decorators are
  kept, others dropped;
- a constant: the comment block directly above its assignment, then ``NAME = None``.

Definitions are separated by two blank lines, methods by one.
"""

from __future__ import annotations

import ast

from autograder.authoring.reference import ReferencePackage, render_params
from autograder.core import pysource
from autograder.core.errors import AssignError

KEPT_DECORATORS = {"staticmethod", "classmethod", "property"}
KEPT_DECORATOR_ATTRIBUTES = {"setter", "getter", "deleter"}


def stub_imports(source: str, top: str, package: ReferencePackage, where: str) -> list[tuple[str, str]]:
    """``[(module, name), ...]`` of a stub cell's ``from <module> import ...`` lines, in order, checked."""
    try:
        tree = pysource.parse(source)
    except SyntaxError as exc:
        raise AssignError(f"{where}: a stub cell holds `from {top} import ...` lines; line {exc.lineno} "
                          f"is not valid Python: {exc.msg}") from None
    found: list[tuple[str, str]] = []
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.level:
            raise AssignError(f"{where}: a stub cell holds only `from {top} import ...` lines; line "
                              f"{node.lineno} is `{ast.unparse(node)}`")
        module = node.module or ""
        if not (module == top or module.startswith(top + ".")) or module not in package.trees:
            raise AssignError(f"{where}: `from {module} import ...`: stubs come from the sheet's reference "
                              f"module {top} or one of its submodules ({', '.join(sorted(package.trees))})")
        for alias in node.names:
            if alias.name == "*" or alias.asname:
                raise AssignError(f"{where}: `{ast.unparse(node)}`: name each stubbed item as the reference "
                                  "names it (no `*`, no `as`)")
            if alias.name in {name for _, name in found}:
                raise AssignError(f"{where}: {alias.name} is imported twice")
            found.append((module, alias.name))
    if not found:
        raise AssignError(f"{where}: a stub cell with no `from {top} import ...` line")
    return found


def expand(package: ReferencePackage, imports: list[tuple[str, str]], where: str) -> str:
    """The stubs' source, in the order of ``imports``."""
    return "\n\n\n".join(_stub(package, module, name, where) for module, name in imports)


def _stub(package: ReferencePackage, module: str, name: str, where: str) -> str:
    located = package.locate(module, name)
    if located is None:
        imported = _imported_from_outside(package, module, name)
        raise AssignError(f"{where}: `{name}` is not defined in the reference's {module}"
                          + (f" (it imports it from {imported}: stub only what the reference defines)"
                             if imported else ""))
    defined_in, node = located
    source = package.sources[defined_in]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "\n".join(_function(node, source, ""))
    if isinstance(node, ast.ClassDef):
        return "\n".join(_class(node, source))
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    return "\n".join([*_comment_above(node, source), f"{name} = None"])


def _imported_from_outside(package: ReferencePackage, module: str, name: str, depth: int = 0) -> str:
    """The module outside the package that ``name`` comes from, following imports inside it ("" if none)."""
    for node in package.trees[module].body if depth < 20 else []:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name).split(".")[0] != name:
                    continue
                inside = package.resolve_from(module, node) if isinstance(node, ast.ImportFrom) else None
                if inside:
                    return _imported_from_outside(package, inside, alias.name, depth + 1)
                return getattr(node, "module", None) or alias.name
    return ""


def _segment(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, source: str) -> str:
    """The parameters as written in the reference (defaults' source text), without annotations."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = [("posonly" if i < len(a.posonlyargs) else "arg", p.arg, _segment(source, d) if d else "")
              for i, (p, d) in enumerate(zip(positional, defaults))]
    if a.vararg:
        params.append(("vararg", a.vararg.arg, ""))
    params += [("kwonly", p.arg, _segment(source, d) if d else "") for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        params.append(("kwarg", a.kwarg.arg, ""))
    return render_params(tuple(params))


def _docstring(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, source: str,
               indent: str) -> list[str]:
    """The docstring as written in the reference, ``\"\"\"`` quoted, its first line at ``indent``."""
    if not (node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)):
        return []
    literal = node.body[0].value
    value = str(literal.value)
    written = _segment(source, literal)
    if written.startswith(('"""', 'r"""', 'R"""')) or "\\" in value or '"""' in value or value.endswith('"'):
        text = written  # as written: its own quotes keep escapes and quote characters intact
    else:
        text = f'"""{value}"""'
    return [indent + line if i == 0 else line for i, line in enumerate(text.split("\n"))]


def _decorators(fn: ast.FunctionDef | ast.AsyncFunctionDef, indent: str) -> list[str]:
    kept = []
    for decorator in fn.decorator_list:
        if (isinstance(decorator, ast.Name) and decorator.id in KEPT_DECORATORS) or (
                isinstance(decorator, ast.Attribute) and decorator.attr in KEPT_DECORATOR_ATTRIBUTES):
            kept.append(f"{indent}@{ast.unparse(decorator)}")
    return kept


def _function(fn: ast.FunctionDef | ast.AsyncFunctionDef, source: str, indent: str,
              calls_super: bool = False) -> list[str]:
    body = indent + "    "
    prefix = "async def" if isinstance(fn, ast.AsyncFunctionDef) else "def"
    lines = [*_decorators(fn, indent), f"{indent}{prefix} {fn.name}{_signature(fn, source)}:",
             *_docstring(fn, source, body)]
    if calls_super:
        lines.append(f"{body}super().__init__()")
    return [*lines, f"{body}raise NotImplementedError"]


def _public(name: str) -> bool:
    return name == "__init__" or not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _class(node: ast.ClassDef, source: str) -> list[str]:
    bases = [_segment(source, base) for base in node.bases]
    bases += [f"{kw.arg}={_segment(source, kw.value)}" if kw.arg else f"**{_segment(source, kw.value)}"
              for kw in node.keywords]
    lines = [f"class {node.name}" + (f"({', '.join(bases)})" if bases else "") + ":"]
    lines += _docstring(node, source, "    ")
    methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(m.name)]
    for method in methods:
        if len(lines) > 1:
            lines.append("")
        lines += _function(method, source, "    ", calls_super=method.name == "__init__" and bool(node.bases))
    if len(lines) == 1:
        lines.append("    pass")
    return lines


def _comment_above(node: ast.stmt, source: str) -> list[str]:
    """The block of ``#`` lines directly above ``node`` (no blank line between), as written."""
    lines = source.splitlines()
    block: list[str] = []
    index = node.lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        block.insert(0, lines[index].strip())
        index -= 1
    return block
