"""The one way to render a page: one autoescaped Jinja2 environment, its templates, one stylesheet.

Every HTML the autograder writes comes from a template in ``autograder/pages/templates/`` rendered
by :func:`render`: the feedback page and fragment (:mod:`autograder.outputs.feedback`, with the
to-do lines of :mod:`autograder.outputs.todo_view` and the written answers of
:mod:`autograder.outputs.written_view`), the regrade diff (:mod:`autograder.term.regrade_diff`),
the TA report (:mod:`autograder.outputs.report`), the similarity report
(:mod:`autograder.similarity.render`), the service's pages (:mod:`autograder.service.templates`),
what the notebook client shows in a student's kernel (:mod:`autograder.student.client`) and
``check()``'s table (:mod:`autograder.student.checks`).

- Autoescape is on for every template, whatever its name: a value reaches the page escaped unless
  it is :class:`~markupsafe.Markup` (HTML another template already made). Escaping is
  :func:`html.escape`'s with ``quote=True`` (``&quot;`` and ``&#x27;``), as the renderers wrote it
  before they moved here.
- ``StrictUndefined``: a name a template uses but no caller passes is an error, not an empty string.
- One stylesheet, ``style.css``: standalone pages embed it whole (:func:`stylesheet`); a fragment
  shown inside someone else's page (a notebook output, the service's pages) embeds the sections it
  needs. Every rule is scoped to a class, so embedding never restyles the host page.

Templates and the stylesheet are package data (``pyproject.toml``), read through
:mod:`importlib.resources`, so a wheel renders the same pages as a checkout.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

__all__ = ["Markup", "environment", "render", "stylesheet", "stylesheet_sections", "template_source"]

_SECTION = re.compile(r"^/\* section: ([\w-]+) \*/$", re.MULTILINE)


def _escaped(value: Any) -> Any:
    """Every ``{{ }}`` value as ``html.escape(str(value), quote=True)`` writes it (Markup kept as it is)."""
    if hasattr(value, "__html__"):
        return value
    return Markup(str(escape(str(value))).replace("&#34;", "&quot;").replace("&#39;", "&#x27;"))


def _g(value: float) -> str:
    """``{:g}``: ``3.0`` -> ``3``, ``0.25`` -> ``0.25``."""
    return f"{value:g}"


def _percent(share: float) -> str:
    """A share in [0, 1] as ``42%``."""
    return f"{100 * share:.0f}%"


@functools.cache
def _stylesheet_text() -> str:
    return resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")


@functools.cache
def stylesheet_sections() -> dict[str, str]:
    """The stylesheet's sections by name (``/* section: NAME */`` starts one), in file order."""
    text = _stylesheet_text()
    marks = list(_SECTION.finditer(text))
    return {mark[1]: text[mark.end():(marks[i + 1].start() if i + 1 < len(marks) else len(text))].strip()
            for i, mark in enumerate(marks)}


def stylesheet(*sections: str) -> Markup:
    """The one stylesheet, whole, or only the named sections (for a fragment inside another page)."""
    if not sections:
        return Markup(_stylesheet_text())
    found = stylesheet_sections()
    return Markup("\n".join(found[name] for name in sections))


@functools.cache
def environment() -> Environment:
    """The one environment (built once): every template of ``autograder/pages/templates``."""
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_escaped,
    )
    env.filters.update(g=_g, percent=_percent)
    env.globals.update(stylesheet=stylesheet)
    return env


def render(template_name: str, **context: Any) -> str:
    """``template_name`` (a path under ``templates/``) rendered with ``context``."""
    return environment().get_template(template_name).render(**context)


def template_source(template_name: str) -> str:
    """A template's text, as shipped (the student bundle carries ``checks.html`` inside its runner)."""
    return resources.files(__package__).joinpath("templates", template_name).read_text(encoding="utf-8")
