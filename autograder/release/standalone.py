"""What makes a student bundle work in a kernel without the ``autograder`` package (Colab, a laptop).

The sheet's public checks import the one check runner, :mod:`autograder.student.checks`, which imports only
the standard library. The bundle ships that very file as a private module, ``_autograder_checks.py``,
and its Python files import it from there (``from autograder.student.checks import ...`` becomes
``from _autograder_checks import ...`` in the bundle's copy only), so the notebook's ``check()`` gives
the same verdicts in the same words as ``autograder check`` and the service, with no second copy of
the logic in the repository. Its HTML table comes from the one renderer's template and stylesheet
(:mod:`autograder.pages`), which the copy carries in its comment header (a bundle is these files and
no others; the rest of the copy stays the file byte for byte). The bundle's README names the one install command: the packages the
notebook and its modules import, found by reading them.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from autograder import pages
from autograder.core import pysource
from autograder.student import checks

MODULE = "_autograder_checks"
FILE = f"{MODULE}.py"
_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from autograder\.student\.checks import ", re.MULTILINE)
PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml", "cv2": "opencv-python",
             "skimage": "scikit-image"}


def runner_source() -> str:
    """``autograder/student/checks.py`` as shipped: the file itself, under a note that says where it comes from."""
    source = Path(checks.__file__).read_text(encoding="utf-8")
    outside = sorted(imported_modules(source) - set(sys.stdlib_module_names))
    if outside:  # the runner must stay dependency-free, or a student's kernel cannot import it
        raise RuntimeError(f"autograder/student/checks.py imports {', '.join(outside)}: it must use the standard library only")
    return ("# A copy of autograder/student/checks.py, the course's one public-check runner, shipped with this sheet so\n"
            "# that check() works without the autograder package. Do not edit: it is replaced at each release.\n"
            + shipped_pages() + source)


def shipped_pages() -> str:
    """The check table's template and the stylesheet's ``checks`` section as the copy's comment header
    (``#| @name``, then ``#|`` before each line), which :func:`autograder.student.checks._shipped_files` reads."""
    lines = ["# The table's HTML template and style, from autograder/pages (read by _shipped_files):"]
    for name, text in (("checks.html", pages.template_source("checks.html")),
                       ("style.css", str(pages.stylesheet("checks")))):
        lines.append(f"{checks.SHIPPED_MARK} @{name}")
        lines += [f"{checks.SHIPPED_MARK} {line}" if line else checks.SHIPPED_MARK for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def redirect_imports(source: str) -> str:
    """A public Python file of the bundle with ``from autograder.student.checks import`` pointed at the shipped copy."""
    return _IMPORT.sub(lambda m: f"{m['indent']}from {MODULE} import ", source)


def imported_modules(source: str) -> set[str]:
    """The top-level names of every module ``source`` imports (nested imports included); none if it does not parse."""
    try:
        tree = pysource.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def notebook_code(path: Path) -> str:
    """The code cells of a notebook, IPython magics and shell lines left out."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    lines = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            source = "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")
            lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            lines.append("")
    return "\n".join(lines)


def requirements(files: Iterable[Path], bundle: Path) -> list[str]:
    """The pip packages the bundle's notebooks and modules import: not the standard library, not its own modules."""
    files = list(files)
    own = {path.stem for path in files if path.suffix == ".py"} | {
        path.name for path in bundle.iterdir() if path.is_dir()}
    found: set[str] = set()
    for path in files:
        if path.suffix == ".py":
            found |= imported_modules(path.read_text(encoding="utf-8"))
        elif path.suffix == ".ipynb":
            found |= imported_modules(notebook_code(path))
    outside = found - set(sys.stdlib_module_names) - own - {"autograder", "IPython"}
    return sorted(PIP_NAMES.get(name, name) for name in outside)


def make_standalone(bundle: Path) -> list[str]:
    """Point the bundle's Python files at the shipped runner (written when one uses it); returns what still
    imports the ``autograder`` package, which a student's kernel may not have."""
    uses_runner = False
    for path in sorted(bundle.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        redirected = redirect_imports(source)
        if redirected != source:
            path.write_text(redirected, encoding="utf-8")
            uses_runner = True
    if uses_runner:
        (bundle / FILE).write_text(runner_source(), encoding="utf-8")
    return [f"{path.relative_to(bundle)} imports the autograder package, which a student's kernel may not have "
            f"(only autograder.student.checks ships with the bundle)"
            for path in sorted(bundle.rglob("*.py")) if "autograder" in imported_modules(path.read_text("utf-8"))]
