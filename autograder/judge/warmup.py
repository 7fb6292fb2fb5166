"""What a warm worker imports once so that every judge it forks starts fast."""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import Any

from autograder.core import pysource
from autograder.core.config import CourseConfig
from autograder.judge.pytest_flags import THIRD_PARTY_PLUGINS


def warm_judge(config: CourseConfig) -> None:
    """Import, once in the warm worker, what every judge process would otherwise import on first use.

    pytest's own plugin modules, the third-party plugins named in ``PYTEST_ARGS``, and the
    libraries the hidden suites import (found by reading their import statements). The hidden test
    modules and their local helpers are not imported: every judge imports them afresh.
    """
    from _pytest.config import default_plugins

    for name in (*(f"_pytest.{p}" for p in default_plugins), *THIRD_PARTY_PLUGINS):
        _try_import(name)
    _warm_hypothesis()
    for sheet in config.sheets.values():
        hidden = config.resolve(sheet.hidden_dir)
        for module, names in hidden_suite_imports(hidden):
            imported = _try_import(module, outside=hidden)
            for name in names if imported is not None else ():
                with contextlib.suppress(Exception):  # only speed is at stake
                    # resolves lazy attributes (transformers' _LazyModule), else a submodule
                    if getattr(imported, name, None) is None:
                        _try_import(f"{module}.{name}", outside=hidden)


def _warm_hypothesis() -> None:
    """Do hypothesis' once-per-process work here rather than in every judge.

    Its first property test registers a global Random (a full ``gc.collect()``), and its pytest
    plugin parses the source of every imported non-library module for constants. Done once here,
    a judge only pays for the hidden test modules it imports itself.
    """
    with contextlib.suppress(Exception), warnings.catch_warnings():  # only speed is at stake
        warnings.simplefilter("ignore")  # "slow code in plugin": exactly what is wanted, here
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.entropy import deterministic_PRNG

        with deterministic_PRNG():
            pass
        providers._get_local_constants()


def hidden_suite_imports(hidden: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, names)`` for every absolute import statement in the hidden suite's files."""
    found: dict[str, set[str]] = {}
    for path in sorted(hidden.rglob("*.py")) if hidden.is_dir() else []:
        try:
            tree = pysource.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, set())
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.setdefault(node.module, set()).update(a.name for a in node.names if a.name != "*")
    return [(module, tuple(sorted(names))) for module, names in sorted(found.items())]


def _try_import(name: str, *, outside: Path | None = None) -> Any:
    """Import ``name`` unless it is missing or (with ``outside``) a module of that folder."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
        if spec is None or (outside is not None and spec.origin and Path(spec.origin).is_relative_to(outside)):
            return None
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a module that fails here fails in the judge, where it is reported
        return None
