"""``{{ expression }}`` values: the one templating scheme of a master.

The text between ``{{`` and ``}}`` is a Python f-string replacement field (an expression, then an
optional ``!r``/``!s``/``!a`` conversion and ``:format spec``), evaluated in :class:`Values`:
``points`` (an exercise's autograded and written points together), ``total``, ``autograded``
(the tests' points per exercise), ``written`` (question id -> its declaration), ``staff_points`` (all
written points), ``limits``, ``sheet``, ``config`` and ``ref`` (the imported reference, imported
only when an expression uses it). Masters are staff-authored, so the expression is trusted code.
Single braces are left alone; a field never spans lines. Literal double braces (an f-string's
``{{`` in a given cell) are written as values themselves: ``{{ "{{" }}`` and ``{{ "}" * 2 }}``.
"""

from __future__ import annotations

import builtins
import importlib
import re
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import AssignError

FIELD = re.compile(r"\{\{(?P<field>[^\n]*?)\}\}")


class Values:
    """The names a ``{{ }}`` expression sees; ``ref`` is imported only for an expression that uses it."""

    def __init__(self, config: CourseConfig, sheet: SheetConfig,
                 import_reference: Callable[[], Any] | None = None) -> None:
        self.fixed: dict[str, Any] = {
            "points": sheet.exercise_points(), "total": sheet.total_points, "limits": config.limits,
            "sheet": sheet, "config": config, "autograded": dict(sheet.points),
            "written": {question.id: question for question in sheet.written}, "staff_points": sheet.written_points,
        }
        self._import_reference = import_reference or (lambda: import_reference_module(config, sheet))
        self._ref: Any = None

    @property
    def names(self) -> list[str]:
        return [*self.fixed, "ref"]

    def namespace(self, code: CodeType) -> dict[str, Any]:
        """Globals for ``code`` (globals, so that comprehensions in it see the names too)."""
        found: dict[str, Any] = {"__builtins__": builtins, **self.fixed}
        if "ref" in _names(code):
            if self._ref is None:
                self._ref = self._import_reference()
            found["ref"] = self._ref
        return found


def _names(code: CodeType) -> set[str]:
    """Every name ``code`` and the code nested in it (comprehensions, lambdas) load."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def import_reference_module(config: CourseConfig, sheet: SheetConfig) -> Any:
    """The reference package, imported as the judge imports it (course root and assignment folder on the path).

    The path is put back afterwards: the caller (a test run, a notebook) keeps its own imports, and a
    later ``import public_checks`` there finds its own sheet's module, not this one's.
    """
    saved = list(sys.path)
    sys.path[:0] = [str(folder) for folder in (config.root, config.resolve(sheet.assignment_dir))
                    if str(folder) not in sys.path]
    try:
        return importlib.import_module(sheet.reference_module)
    except Exception as exc:  # any failure of staff code is reported the same way
        raise AssignError(f"the reference {sheet.reference_module} could not be imported for `ref`: "
                          f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.path[:] = saved


def _quoted(field: str) -> str:
    """An f-string whose only replacement field is ``field`` (3.11: the expression may not reuse the quote)."""
    for quote in ("'''", '"""'):
        if quote not in field:
            return f"f{quote}{{{field}}}{quote}"
    raise SyntaxError("the expression uses both ''' and \"\"\"")


def fill(text: str, values: Values, where: str) -> str:
    """``text`` with every ``{{ field }}`` replaced by its formatted value; ``where`` names the cell in errors."""

    def one(match: re.Match[str]) -> str:
        field = match.group("field").strip()
        if not field:
            raise AssignError(f"{where}: an empty value {match.group(0)!r}; write {{{{ expression }}}}")
        try:
            code = compile(_quoted(field), f"<{{{{ {field} }}}}>", "eval")
        except SyntaxError as exc:
            raise AssignError(f"{where}: {{{{ {field} }}}} is not a valid expression: {exc.msg}") from None
        try:
            return str(eval(code, values.namespace(code)))  # staff-authored, trusted
        except NameError as exc:
            known = ", ".join(values.names)
            raise AssignError(f"{where}: {{{{ {field} }}}}: {exc} (the names a value can use: {known})") from None
        except AssignError as exc:
            raise AssignError(f"{where}: {{{{ {field} }}}}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - any failure of the expression is the author's to fix
            raise AssignError(f"{where}: {{{{ {field} }}}} failed: {type(exc).__name__}: {exc}") from None

    return FIELD.sub(one, text)
