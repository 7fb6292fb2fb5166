"""nbgrader runs ``alembic`` from PATH when it creates a gradebook: the tests' own gradebooks need
this interpreter's bin folder there too (``export_to_gradebook`` arranges it for itself)."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(autouse=True)
def _venv_bin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
