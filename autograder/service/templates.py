"""The service's HTML pages: templates ``service/*.html`` of the one environment (:mod:`autograder.pages`).

The service's routes name a page by its own name (``student.html``); :class:`ServiceTemplates`
finds it under ``service/`` of the shared templates, so the service, the exported feedback, the TA
report and the similarity report are rendered by one autoescaped environment with one stylesheet.
Element ids and classes are what the browser tests look for.
"""

from __future__ import annotations

from jinja2 import Environment, Template

from autograder import pages

FOLDER = "service"


class ServiceTemplates:
    """The service's pages in the one environment: ``get_template("ta.html")`` is ``service/ta.html``."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    def get_template(self, name: str) -> Template:
        return self.env.get_template(f"{FOLDER}/{name}")


def environment() -> ServiceTemplates:
    """What ``app.state.templates`` holds (:func:`autograder.service.pages.render` renders with it)."""
    return ServiceTemplates(pages.environment())
