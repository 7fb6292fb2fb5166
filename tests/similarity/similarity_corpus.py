"""Submissions for the similarity tests, built from examples/ and tests/alternatives/.

- ``alice``: the complete example solution;
- ``alt_<name>``: the released notebook plus one alternative correct solution (independent work);
- ``copy_verbatim``: alice's notebook, byte for byte, under another name;
- ``copy_disguised``: alice's own code with every name she chose changed, comments and whitespace
  redone (``ast.unparse``), functions and cells in reverse order;
- ``copy_one_function``: an independent solution plus one of alice's functions;
- ``untouched``: the released notebook; and a few files that are not notebooks at all.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb"
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"
ALTERNATIVES = sorted((ROOT / "tests" / "alternatives" / "sheet_3_2").glob("*.py"))
TAKEN_FUNCTION = "make_extractive_example"  # what copy_one_function takes from alice

# the independent solution that copy_one_function starts from (one without that function)
TAKER = next(a for a in ALTERNATIVES if f"def {TAKEN_FUNCTION}(" not in a.read_text())
COPIES = {("alice", "copy_verbatim"), ("alice", "copy_disguised"), ("alice", "copy_one_function"),
          ("alt_" + TAKER.stem, "copy_one_function"), ("copy_disguised", "copy_verbatim"),
          ("copy_disguised", "copy_one_function"), ("copy_one_function", "copy_verbatim")}


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def notebook_with(cells: list[str]) -> str:
    """The released notebook with ``cells`` appended (prose and metadata kept, like a real submission)."""
    nb = json.loads(NOTEBOOK.read_text())
    nb["cells"] += [{"cell_type": "code", "execution_count": None, "id": f"own{i}", "metadata": {},
                     "outputs": [], "source": source} for i, source in enumerate(cells)]
    return json.dumps(nb, indent=1)


class _Rename(ast.NodeTransformer):
    """Every name the author chose gets another: defs, arguments, variables and self.attributes."""

    def __init__(self, keep: set[str]) -> None:
        self.keep = keep
        self.names: dict[str, str] = {}

    def new(self, name: str) -> str:
        if name in self.keep or name.startswith("__") or name in self.names.values():
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self.new(node.name)
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self.new(node.name)
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self.new(node.arg)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        self.generic_visit(node)
        if node.arg in self.names:  # a call of one of her own functions
            node.arg = self.names[node.arg]
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self.new(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self.new(node.attr)
        return node


def disguise(cells: list[str]) -> list[str]:
    trees = [ast.parse(source) for source in cells]
    renamer = _Rename(keep=set(dir(builtins)) | {"self"})
    for _ in range(2):  # the second pass renames uses that came before their definition
        for tree in trees:
            renamer.visit(tree)
    out = []
    for tree in reversed(trees):
        tree.body.reverse()
        out.append("# my own work\n" + ast.unparse(tree).replace("    ", "  "))
    return out


def function_source(cells: list[str], name: str) -> str:
    for source in cells:
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return ast.get_source_segment(source, node) or ""
    raise LookupError(name)


def own_cells_of_complete() -> list[str]:
    given = set(code_cells(NOTEBOOK))
    return [c for c in code_cells(COMPLETE) if c not in given and not c.startswith("check(")]


def build(folder: Path) -> dict[str, Path]:
    """Write the corpus into ``folder``; returns {student id: file}."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, text: str | bytes, suffix: str = ".ipynb") -> None:
        path = folder / f"{name}{suffix}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        files[name] = path

    shutil.copyfile(COMPLETE, folder / "alice.ipynb")
    files["alice"] = folder / "alice.ipynb"
    shutil.copyfile(COMPLETE, folder / "copy_verbatim.ipynb")
    files["copy_verbatim"] = folder / "copy_verbatim.ipynb"
    put("copy_disguised", notebook_with(disguise(own_cells_of_complete())))
    for alternative in ALTERNATIVES:
        put(f"alt_{alternative.stem}", notebook_with([alternative.read_text()]))
    put("copy_one_function", notebook_with([TAKER.read_text(), function_source(code_cells(COMPLETE), TAKEN_FUNCTION)]))
    shutil.copyfile(NOTEBOOK, folder / "untouched.ipynb")
    files["untouched"] = folder / "untouched.ipynb"
    put("empty", b"")
    put("truncated", NOTEBOOK.read_bytes()[:500])
    put("binary", b"\x00\x01 not a notebook", ".py")
    put("only_markdown", json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "<script>alert(1)</script>"}]}))
    return files


def independent(ids: list[str]) -> list[tuple[str, str]]:
    """Pairs of independent work: alice and the alternatives, and copy_one_function's borrowed base
    against the other alternatives (its base is an alternative solution, so that pair is a copy).
    Two alternatives that are one recipe at other settings (the same code but for comments and
    numbers, e.g. batches of 8 and of 32) are one piece of work, not two."""
    solo = ["alice"] + [i for i in ids if i.startswith("alt_")]
    pairs = {tuple(sorted((x, y))) for i, x in enumerate(solo) for y in solo[i + 1 :]}
    return sorted(pair for pair in pairs if not one_recipe(*pair))


def _recipe(name: str) -> str | None:
    path = ROOT / "tests" / "alternatives" / "sheet_3_2" / f"{name.removeprefix('alt_')}.py"
    if not name.startswith("alt_") or not path.is_file():
        return None
    code = "\n".join(line.split("#", 1)[0].rstrip() for line in path.read_text().splitlines())
    return re.sub(r"\b\d+(\.\d+)?\b", "N", code)


def one_recipe(*names: str) -> bool:
    """Every one of ``names`` is an alternative, and all are the same code but for comments and numbers."""
    recipes = {_recipe(name) for name in names}
    return len(names) > 1 and None not in recipes and len(recipes) == 1
