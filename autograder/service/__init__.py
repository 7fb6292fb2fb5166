"""The JupyterHub grading service: students submit notebooks, workers grade them, everyone reads
feedback; TAs (hub groups) see the class. See docs/service.md.

Modules: ``settings`` (the hub's environment, read once), ``models`` (database tables),
``queue`` (jobs and grading workers), ``security`` (hub OAuth and tokens), ``store`` (shared
queries and rules), ``routes`` (JSON API), ``pages`` and ``templates`` (HTML), ``app``
(:func:`create_app`), ``server`` (:func:`serve`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.service.app import create_app
    from autograder.service.server import serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import autograder.service` stays cheap and needs no web stack.
    if name == "create_app":
        from autograder.service.app import create_app

        return create_app
    if name == "serve":
        from autograder.service.server import serve

        return serve
    raise AttributeError(name)
