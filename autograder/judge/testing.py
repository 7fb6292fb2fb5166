"""What every sheet's hidden suite shares: memoised student results, seeded builds, a hypothesis profile.

The judge's pytest plugin (:mod:`autograder.judge.plugin`) provides two session fixtures from here,
so a sheet's ``conftest.py`` only adds its own data fixtures:

- ``memo``: a :class:`Memo` (one per submission) for student calls several tests read;
- ``seeded``: :func:`build_seeded`, for judge-side models built under a fixed seed.

Secret data (:mod:`autograder.judge.secret`): files under the hidden suite's folder are secret by
default; :func:`secret` declares more (in a test, a fixture or a memo computation), and
``@pytest.mark.secret`` a whole test; :func:`safe_message` marks a failure message that holds only
the judge's own aggregates, so that it is shown even in a check that used secret data.

Property tests register the sheet's profile once in its conftest and use it per test::

    PROFILE = register_hypothesis_profile("sheet_3_3")      # conftest.py

    @settings(settings.get_profile("sheet_3_3"), max_examples=40)  # a test module
    @given(...)
    def test_...(student, ...): ...

Nothing here calls the student by itself; nothing here is imported in the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.judge import secret as secret_data
from autograder.judge.rpc import StudentFailure
from autograder.judge.secret import safe_message, secret

__all__ = ["Memo", "build_seeded", "register_hypothesis_profile", "safe_message", "secret"]


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
        tracker = secret_data.tracker()
        if tracker is not None:  # a value computed with secret data carries its taint to its readers
            tracker.memo_read(key)
        if key in self._errors:
            raise self._errors[key]
        if key not in self._values:
            reads = tracker.reads if tracker is not None else 0
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
            finally:
                if tracker is not None:
                    tracker.memo_computed(key, reads)
        return self._values[key]


def build_seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` under a fixed torch seed, leaving the global RNG as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def register_hypothesis_profile(name: str, **overrides: Any) -> str:
    """Register (and return the name of) a hypothesis profile fit for grading.

    Fixed seed and no example database, so a grade never changes between runs; no deadline (the
    student's code may be slow; the test's timeout marker bounds it); no shrinking, so a failing
    student gets the assertion's message rather than a minimal example; no health checks (a slow
    student function is not the suite's problem). ``overrides`` are passed on to
    ``settings.register_profile``, e.g. ``max_examples=50``. The global default profile is left
    alone: tests opt in with ``settings(settings.get_profile(name), ...)``.
    """
    from hypothesis import HealthCheck, Phase, settings

    options: dict[str, Any] = {
        "derandomize": True, "database": None, "deadline": None, "max_examples": 30,
        "phases": [Phase.explicit, Phase.generate], "suppress_health_check": list(HealthCheck),
        "print_blob": False,
    }
    settings.register_profile(name, **(options | overrides))
    return name
