"""Judge-side data shared by the Sheet 3.2 hidden tests.

The engine's plugin provides ``student``, ``ref``, ``device``, ``seed``, ``plot``, ``memo`` (a
session memo for student results that several tests read: one training run, several checks) and
``seeded`` (judge-side builds under a fixed seed); see docs/writing-tests.md. This file only adds
what the judge builds for itself from the shipped files (tokenizers, data). Nothing here calls the
student.

Property tests use the ``sheet_3_2`` hypothesis profile registered below (fixed seed, no database,
no shrinking: a failing student gets the assertion message, not a minimal example), through
``settings(settings.get_profile(PROFILE), max_examples=N)``; the global default is left alone.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from autograder.judge.testing import register_hypothesis_profile

PROFILE = register_hypothesis_profile("sheet_3_2")


@pytest.fixture(scope="session")
def given(ref: Any) -> Any:
    """The sheet's public given module, as the reference imports it (the judge's own copy)."""
    return importlib.import_module(f"{ref.__name__}._given").given


@pytest.fixture(scope="session")
def names_data(given: Any) -> dict[str, list[str]]:
    return given.load_names_data()


@pytest.fixture(scope="session")
def qa_tokenizer(given: Any) -> Any:
    return given.build_qa_tokenizer()


@pytest.fixture(scope="session")
def mlm_tokenizer(given: Any) -> Any:
    return given.build_mlm_tokenizer()
