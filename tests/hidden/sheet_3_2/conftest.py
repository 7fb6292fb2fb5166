"""Judge-side objects shared by the Sheet 3.2 hidden tests.

The engine's plugin provides ``student``, ``ref``, ``device`` and ``seed``; this file only adds what
the judge builds for itself from the shipped files (tokenizers, data) and a session memo for student
results that several tests read (one training run, several checks). Nothing here calls the student.

Property tests use the ``sheet_3_2`` hypothesis profile registered below (fixed seed, no database,
no shrinking: a failing student gets the assertion message, not a minimal example), through
``settings(settings.get_profile(PROFILE), max_examples=N)``; the global default is left alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, Phase, settings

from autograder.rpc import StudentFailure

PROFILE = "sheet_3_2"

settings.register_profile(
    PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


class Memo:
    """Results of expensive student calls, computed by the first test that asks for them.

    A call that failed fails the same way for every later test that asks, without running again
    (a training run that timed out must not cost its timeout once per test). Tests that share a
    handle through the memo run one after another: a sandbox restart invalidates handles.

    With ``judged=`` the computation is the judge measuring a student's result with the reference's
    helpers: an error there that is not the student's code raising (say, an output of the wrong
    structure) becomes a failed check with that message, not a grader error.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._errors: dict[str, BaseException] = {}

    def once(self, key: str, compute: Callable[[], Any], *, judged: str | None = None) -> Any:
        if key in self._errors:
            raise self._errors[key]
        if key not in self._values:
            try:
                self._values[key] = compute()
            except (AssertionError, StudentFailure) as exc:
                self._errors[key] = exc
                raise
            except Exception as exc:
                if judged is None:
                    self._errors[key] = exc
                    raise
                failure = AssertionError(f"{judged} ({type(exc).__name__}: {exc})")
                self._errors[key] = failure
                raise failure from exc
        return self._values[key]


@pytest.fixture(scope="session")
def memo() -> Memo:
    return Memo()


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


def build_seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` under a fixed torch seed, leaving the global RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


@pytest.fixture(scope="session")
def seeded() -> Callable[[int, Callable[[], Any]], Any]:
    """:func:`build_seeded`, for tests that build judge-side models (tiny GPT-2s)."""
    return build_seeded
