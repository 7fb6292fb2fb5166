"""Course autograder: student code in a sandboxed process, a trusted pytest judge, tensor-aware checks.

The modules that a sheet's own files import moved into packages (docs/architecture.md). Files
written before the move still import them by their old names: a notebook released earlier in the
term (``autograder.client``), public checks (``autograder.checks``), a hidden suite
(``autograder.testing``), a course's ``course_config.py`` (``autograder.config``) and a cluster's
set-up (``autograder.distributed``). Those five old names still import, as the very module at the new
place (no copy, no second name to maintain), with a ``DeprecationWarning`` that names the new one.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

__version__ = "0.1.0"

MOVED = {  # old name -> where it lives now
    "autograder.client": "autograder.student.client",
    "autograder.checks": "autograder.student.checks",
    "autograder.testing": "autograder.judge.testing",
    "autograder.config": "autograder.core.config",
    "autograder.distributed": "autograder.grading.distributed",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old name of :data:`MOVED` as the module at its new place."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}: import {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported, at its new place, by :meth:`create_module`."""


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())
