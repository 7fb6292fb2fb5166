"""Run single hidden tests of Sheet 3.2 in-process, against a solution held in this interpreter.

For fast regression tests of the hidden suite itself ("does this test accept that correct style?"),
without a sandbox: :class:`LocalStudent` offers the ``student`` proxy's interface (attribute access,
``make``, ``make_handle``, ``reseed``) over a plain namespace, and :func:`hidden_module` imports a
hidden test module by file name. The real grading path (sandbox, wire) is covered by
``test_validation.py``; this module never replaces it.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ROOT / "tests" / "hidden" / "sheet_3_2"
SHEET_DIR = ROOT / "assignments" / "sheet_3_2"
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"

for _path in (ROOT, SHEET_DIR, HIDDEN):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


class LocalStudent:
    """The ``student`` fixture's interface over a namespace dict (no sandbox, no wire)."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        object.__setattr__(self, "_ns", namespace)

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("__", "hypothesis_", "_pytest")):
            raise AttributeError(name)
        try:
            return object.__getattribute__(self, "_ns")[name]
        except KeyError:
            raise AttributeError(name) from None

    def has(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_ns")

    def make(self, factory: str, *args: Any, **kwargs: Any) -> Any:
        import sheet_3_2_given

        from autograder.sandbox.factories import BUILTIN

        made = {**BUILTIN, **sheet_3_2_given.FACTORIES}[factory]
        return made(*args, **kwargs)

    make_handle = make

    def reseed(self, seed: int) -> None:
        from autograder.core.seeding import reseed

        reseed(seed)


def local_plot() -> Any:
    """A ``plot`` fixture of one's own: the judge's recorder over a plain dict (``len()`` charts drawn)."""
    from autograder.judge.plots import PlotRecorder

    return PlotRecorder({}, "local")


def call_hidden(test: Any, **fixtures: Any) -> None:
    """Call a hidden test with the fixtures its signature asks for, out of ``fixtures``."""
    import inspect

    wanted = inspect.signature(test).parameters
    test(**{name: value for name, value in fixtures.items() if name in wanted})


def hidden_module(name: str) -> ModuleType:
    """``tests/hidden/sheet_3_2/<name>.py`` imported under a private name (its conftest first)."""
    for module_name, path in (("_hidden_conftest", HIDDEN / "conftest.py"), (f"_hidden_{name}", HIDDEN / f"{name}.py")):
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            with warnings.catch_warnings():  # the judge registers points/exercise/gpu/timeout, not us
                warnings.simplefilter("ignore")
                spec.loader.exec_module(module)
    return sys.modules[f"_hidden_{name}"]


def complete_namespace(*extra_sources: str) -> dict[str, Any]:
    """The complete example solution's cells run in a fresh namespace, then ``extra_sources``."""
    namespace: dict[str, Any] = {"__name__": "__student__"}
    nb = nbformat.read(COMPLETE, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith("check(")]
    for source in cells + list(extra_sources):
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - our own example solutions
    return namespace
